"""`task = "chargen"` recipes: read names or a text file, split, fit a `CharGenerator`, sample,
save and export.

`[data]`: `source` = "names" (the US Census first names in the `names` package, `lists`) or
"file" (`path`, one item a line in `mode = "lines"`, running text in `mode = "stream"`); `case`
(keep, lower, upper, title); `max_items` / `max_chars`; `validation_fraction`. `stream = true`
(with `source = "file"`) streams `path` (a file or a glob, matched beside the recipe first)
through `fit` instead of reading it into memory, with `validation` (a file, read into memory)
for held-out text. `[generate]`: `CharGenerator.generate` arguments.
"""

from __future__ import annotations

import os
from typing import Any

from nlpkit.recipes.common import (
    resolve_path,
    save_and_export,
    stream_source,
    timed_fit,
    validated,
)
from nlpkit.utils.validation import check_choice, check_float, check_int

__all__ = ["run_recipe"]


def run_recipe(recipe: dict[str, Any], recipe_path: str | os.PathLike | None = None) -> dict:
    """Train, evaluate, sample, save and export a `CharGenerator` from a validated recipe.

    Returns:
        A summary: data sizes, validation metrics, samples, paths written, timings.
    """
    recipe = validated(recipe, "chargen", recipe_path)
    import numpy as np

    from nlpkit.data.samples import NAME_CASES, census_names
    from nlpkit.data.text_lines import read_lines, read_text
    from nlpkit.pipelines.chargen import CharGenerator

    data = dict(recipe.get("data", {}))
    model_cfg = dict(recipe.get("model", {}))
    gen_cfg = dict(recipe.get("generate", {}))
    model_cfg.setdefault("verbose", 2)
    model_cfg.setdefault("seed", int(recipe.get("seed", 0)))
    source = check_choice("data.source", data.get("source", "file"), ("names", "file"))
    mode = model_cfg.get("mode", "lines")
    stream = bool(data.get("stream", False))
    if stream:
        if source != "file" or "path" not in data:
            raise ValueError(
                f"{recipe_path}: [data] stream = true reads `path` (a text file or a glob) with "
                "source = 'file'."
            )
        unsupported = [k for k in ("max_items", "max_chars", "validation_fraction") if k in data]
        if unsupported or data.get("case", "keep") != "keep":
            raise ValueError(
                f"{recipe_path}: [data] stream = true reads the files as they are: leave out "
                f"{', '.join(unsupported) or 'case'} (give held-out text as `validation`)."
            )
        train = stream_source(data["path"], recipe_path, "data.path")
        val = None
        if "validation" in data:
            val = [resolve_path(data["validation"], recipe_path, "data.validation")]
        gen = CharGenerator(**model_cfg)
        fit_seconds = timed_fit(gen, recipe, train, validation_data=val)
        val_texts = gen._texts(val, "validation_data") if val else []
        summary = {
            "task": "chargen",
            "recipe": str(recipe_path),
            "train_data": "streamed",
            "train_items": gen.card_["num_items"],
            "validation_items": len(gen._items(val_texts)),
            "vocabulary_size": gen.vocabulary_.size,
            "fit_seconds": fit_seconds,
            "epochs_run": gen.card_["epochs_run"],
        }
        return _finish(gen, recipe, summary, val_texts, gen_cfg, model_cfg)
    if source == "names":
        texts = census_names(data.get("lists", ["first:female", "first:male"]))
    else:
        if "path" not in data:
            raise ValueError(f"{recipe_path}: [data] needs `path` when source='file'.")
        path = resolve_path(data["path"], recipe_path, "data.path")
        texts = read_lines(path) if mode == "lines" else [read_text(path)]
    case = check_choice("data.case", data.get("case", "keep"), tuple(NAME_CASES))
    texts = [NAME_CASES[case](t) for t in texts]
    frac = check_float("data.validation_fraction", data.get("validation_fraction", 0.1), 0.0, 0.5)
    if mode == "lines":
        rng = np.random.default_rng(model_cfg.get("seed", 0))
        texts = [texts[i] for i in rng.permutation(len(texts))]
        if "max_items" in data:
            texts = texts[: check_int("data.max_items", data["max_items"], 2)]
        cut = len(texts) - int(round(len(texts) * frac))
        train, val = texts[:cut], texts[cut:]
    else:
        text = "".join(texts)
        if "max_chars" in data:
            text = text[: check_int("data.max_chars", data["max_chars"], 2)]
        cut = len(text) - int(round(len(text) * frac))
        train, val = [text[:cut]], [text[cut:]]
    gen = CharGenerator(**model_cfg)
    fit_seconds = timed_fit(gen, recipe, train, validation_data=val if val and any(val) else None)
    summary: dict[str, Any] = {
        "task": "chargen",
        "recipe": str(recipe_path),
        "train_items": len(gen._items(train)),
        "validation_items": len(gen._items(val)) if any(val) else 0,
        "vocabulary_size": gen.vocabulary_.size,
        "fit_seconds": fit_seconds,
        "epochs_run": gen.card_["epochs_run"],
    }
    return _finish(gen, recipe, summary, val if any(val) else [], gen_cfg, model_cfg)


def _finish(gen, recipe, summary, val, gen_cfg, model_cfg) -> dict:
    """Validation metrics, samples, save and export (and the export's own samples)."""
    import tensorflow as tf

    if val:
        summary["validation"] = {k: round(v, 4) for k, v in gen.evaluate(val).items()}
    gen_args = {"n": 5, "seed": model_cfg.get("seed", 0), **gen_cfg}
    summary["samples"] = gen.generate(**gen_args)
    if gen.mode == "lines":
        summary["beam"] = gen.generate(
            gen_args.get("prompt", ""), n=3, method="beam", max_length=gen_args.get("max_length")
        )
    save_and_export(gen, recipe, summary)
    if "exported" in summary:
        loaded = tf.saved_model.load(summary["exported"])
        default_len = 2 * gen.max_item_length_ if gen.mode == "lines" else 200
        signature = loaded.signatures.get("generate", loaded.signatures.get("serving_default"))
        again = signature(
            prompts=tf.constant([gen_args.get("prompt", "")] * 2),
            max_length=tf.constant(int(gen_args.get("max_length") or default_len)),
            temperature=tf.constant(float(gen_args.get("temperature", 1.0))),
            seed=tf.constant(1),
        )["text"]
        summary["export_samples"] = [s.decode("utf-8") for s in again.numpy()]
    summary["model"] = repr(gen)
    return summary
