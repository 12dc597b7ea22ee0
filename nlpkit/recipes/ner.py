"""`task = "ner"` recipes: read CoNLL files (or write the synthetic sample), fit an
`EntityTagger`, score the dev split, save and export.

`[data]`: `dir` (folder with the train/dev files, resolved beside the recipe first, then in the
current folder), `train`, `dev` (file names), `tag_column`, `max_sentences` (cap on training
sentences, 0 = all), or `sample = true` to write and use the synthetic sample
(`nlpkit.data.samples.write_sample_conll`) in `sample_dir` with `sample_train` / `sample_dev`
sentences. `[model]`: `EntityTagger` arguments (`pretrained_words = "all"` stands for None).
"""

from __future__ import annotations

import os
from typing import Any

from nlpkit.recipes.common import resolve_path, save_and_export, timed_fit, validated

__all__ = ["run_recipe"]

EXAMPLE = "Alice Smith flew from Paris to Tokyo to meet Acme Corp ."


def run_recipe(recipe: dict[str, Any], recipe_path: str | os.PathLike | None = None) -> dict:
    """Run an NER recipe: read data, fit, evaluate on dev, save and export.

    Returns:
        A summary dict: data used, dev metrics, paths written, one example's entities.
    """
    recipe = validated(recipe, "ner", recipe_path)
    from nlpkit.data.conll import read_conll
    from nlpkit.data.samples import write_sample_conll
    from nlpkit.pipelines.tagger import EntityTagger

    data = dict(recipe.get("data", {}))
    model_cfg = dict(recipe.get("model", {}))
    model_cfg.setdefault("verbose", 2)
    model_cfg.setdefault("seed", int(recipe.get("seed", 0)))
    if model_cfg.get("pretrained_words") == "all":  # TOML has no None
        model_cfg["pretrained_words"] = None
    summary: dict[str, Any] = {"task": "ner", "recipe": str(recipe_path)}
    if data.get("sample", False):
        paths = write_sample_conll(
            data.get("sample_dir", "saved_models/ner-sample-data"),
            n_train=int(data.get("sample_train", 200)),
            n_dev=int(data.get("sample_dev", 50)),
            seed=int(data.get("seed", recipe.get("seed", 0))),
        )
        train_path, dev_path = paths["train"], paths["dev"]
        summary["data"] = (
            f"SYNTHETIC SAMPLE (template sentences, not real data) in {train_path.parent}"
        )
    else:
        if "dir" not in data:
            raise ValueError(
                f"{recipe_path}: [data] needs `dir` (the folder with the CoNLL files), or "
                "`sample = true` for the synthetic sample (pipelines/ner-sample.toml)."
            )
        base = resolve_path(data["dir"], recipe_path, "data.dir")
        train_path = resolve_path(base / data.get("train", "train.txt"), None, "data.train")
        dev_path = resolve_path(base / data.get("dev", "dev.txt"), None, "data.dev")
        summary["data"] = str(base)
    tag_column = int(data.get("tag_column", -1))
    stream = bool(data.get("stream", False))
    if stream and (tag_column != -1 or data.get("max_sentences")):
        raise ValueError(
            f"{recipe_path}: [data] stream = true reads the tag from the last column of every "
            "sentence: leave out `tag_column` and `max_sentences`."
        )
    x_dev, y_dev = read_conll(dev_path, tag_column=tag_column)
    tagger = EntityTagger(**model_cfg)
    if stream:  # the training file is read lazily, once per epoch (docs/training.md)
        fit_seconds = timed_fit(tagger, recipe, train_path, validation_data=(x_dev, y_dev))
        n_train = tagger.card_["train_sentences"]
    else:
        x_train, y_train = read_conll(train_path, tag_column=tag_column)
        cap = int(data.get("max_sentences", 0))
        if cap:
            x_train, y_train = x_train[:cap], y_train[:cap]
        fit_seconds = timed_fit(tagger, recipe, x_train, y_train, validation_data=(x_dev, y_dev))
        n_train = len(x_train)
    scores = tagger.evaluate(x_dev, y_dev)
    summary.update(
        train_sentences=n_train,
        dev_sentences=len(x_dev),
        fit_seconds=fit_seconds,
        dev_precision=round(scores["precision"], 4),
        dev_recall=round(scores["recall"], 4),
        dev_f1=round(scores["f1"], 4),
        dev_per_type={k: round(v, 4) for k, v in scores.items() if k.endswith("/f1")},
    )
    save_and_export(tagger, recipe, summary)
    summary["example"] = {
        "text": EXAMPLE,
        "entities": [e._asdict() for e in tagger.predict([EXAMPLE])[0]],
    }
    return summary
