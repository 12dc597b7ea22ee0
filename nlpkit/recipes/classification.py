"""`task = "classification"` recipes: read labelled texts, split, fit a `TextClassifier` (or the
binary `SentimentClassifier` with `preset = "sentiment"`), evaluate, save and export.

Tables (schema: `nlpkit.recipes.schema`, docs: `docs/recipes.md`): `[data]` (`format` among
csv, tsv, jsonl, folder, fasttext, tfds; `train`, optional `test`; `test_fraction` and
`validation_fraction` of what is left; for csv/tsv `header = false` reads every row as data, with
`text_column`/`label_column` as 0-based indices), `[model]` (`pretrained_words = "all"` stands for
None), `[fit]`, `[output]`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nlpkit.recipes.common import (
    resolve_path,
    save_and_export,
    split_pairs,
    stream_source,
    timed_fit,
    validated,
)

__all__ = ["run_recipe", "read_data"]

FORMATS = ("csv", "tsv", "jsonl", "folder", "fasttext", "tfds")


def read_data(
    spec: dict[str, Any], key: str, recipe_path: str | os.PathLike | None = None
) -> tuple[list[str], list]:
    """Read `[data] <key>` (`train` or `test`) in the recipe's `format`.

    Returns:
        `(texts, labels)`.
    """
    from nlpkit.data import classification as readers

    fmt = spec.get("format", "csv")
    if fmt not in FORMATS:
        raise ValueError(
            f"[data] format must be one of {', '.join(map(repr, FORMATS))}. Received: format={fmt!r}"
        )
    if key not in spec:
        raise ValueError(f"{recipe_path}: [data] needs `{key}` (a file, folder or TFDS name).")
    source = spec[key]
    if fmt == "tfds":
        return readers.read_tfds(
            source, split=spec.get(f"{key}_split", key), data_dir=spec.get("data_dir")
        )
    path = resolve_path(source, recipe_path, f"data.{key}")
    enc = spec.get("encoding", "utf-8")
    text_col, label_col = spec.get("text_column", "text"), spec.get("label_column", "label")
    if fmt in ("csv", "tsv"):
        return readers.read_csv(
            path, text_col, label_col, encoding=enc, header=bool(spec.get("header", True))
        )
    if fmt == "jsonl":
        return readers.read_jsonl(path, text_col, label_col, encoding=enc)
    if fmt == "folder":
        return readers.read_folder(path)
    return readers.read_fasttext(path, encoding=enc)


def run_recipe(recipe: dict[str, Any], recipe_path: str | os.PathLike | None = None) -> dict:
    """Train, evaluate, save and export a text classifier from a validated recipe.

    Returns:
        The summary: split sizes, test metrics, embedding coverage, paths written, and the
        exported SavedModel's answers for three test texts.
    """
    recipe = validated(recipe, "classification", recipe_path)
    import tensorflow as tf

    from nlpkit.recipes.schema import model_class

    data = recipe.get("data", {})
    seed = int(recipe.get("seed", 0))
    if data.get("stream", False):
        return _run_streamed(recipe, recipe_path)
    train = read_data(data, "train", recipe_path)
    if "test" in data:
        test = read_data(data, "test", recipe_path)
    else:
        train, test = split_pairs(*train, float(data.get("test_fraction", 0.2)), seed)
    train, val = split_pairs(*train, float(data.get("validation_fraction", 0.1)), seed + 1)
    model_cfg = dict(recipe.get("model", {}))
    model_cfg.setdefault("seed", seed)
    if model_cfg.get("pretrained_words") == "all":  # TOML has no None
        model_cfg["pretrained_words"] = None
    clf = model_class(recipe)(**model_cfg)
    fit_seconds = timed_fit(clf, recipe, *train, validation_data=val)
    metrics = clf.evaluate(*test)
    summary: dict[str, Any] = {
        "task": "classification",
        "recipe": str(recipe_path),
        "train_examples": len(train[0]),
        "validation_examples": len(val[0]),
        "test_examples": len(test[0]),
        "fit_seconds": fit_seconds,
        "test_metrics": {k: round(v, 4) for k, v in metrics.items()},
        "embedding_coverage": str(clf.oov_report_) if clf.oov_report_ is not None else None,
    }
    save_and_export(clf, recipe, summary)
    if "exported" in summary:
        reloaded = tf.saved_model.load(os.fspath(Path(summary["exported"])))
        samples = test[0][:3]
        served = reloaded.signatures["serving_default"](tf.constant(samples))
        summary["served_by_savedmodel"] = [
            {"text": t, "label": lab.decode(), "score": round(float(max(s)), 4)}
            for t, lab, s in zip(
                samples, served["label"].numpy(), served["scores"].numpy(), strict=True
            )
        ]
    return summary


def _run_streamed(recipe: dict[str, Any], recipe_path) -> dict:
    """`[data] stream = true`: `train` (a file or glob) and `validation` are streamed by `fit`;
    `test` is read into memory for evaluation."""
    from nlpkit.recipes.schema import model_class

    data = recipe["data"]
    fmt = data.get("format", "csv")
    if fmt not in ("csv", "tsv", "jsonl"):
        raise ValueError(
            f"{recipe_path}: [data] stream = true reads csv, tsv or jsonl files. "
            f"Received: format={fmt!r}"
        )
    if data.get("text_column", "text") != "text" or data.get("label_column", "label") != "label":
        raise ValueError(
            f"{recipe_path}: [data] stream = true reads the `text` and `label` columns; "
            "leave out text_column and label_column."
        )
    for key in ("train", "test"):
        if key not in data:
            raise ValueError(f"{recipe_path}: [data] stream = true needs `{key}` (a file).")
    train = stream_source(data["train"], recipe_path, "data.train")
    val = (
        stream_source(data["validation"], recipe_path, "data.validation")
        if "validation" in data
        else None
    )
    test = read_data(data, "test", recipe_path)
    model_cfg = dict(recipe.get("model", {}))
    model_cfg.setdefault("seed", int(recipe.get("seed", 0)))
    clf = model_class(recipe)(**model_cfg)
    fit_seconds = timed_fit(clf, recipe, train, validation_data=val)
    metrics = clf.evaluate(*test)
    summary: dict[str, Any] = {
        "task": "classification",
        "recipe": str(recipe_path),
        "train_examples": clf.card_["train_examples"],
        "train_data": "streamed",
        "test_examples": len(test[0]),
        "fit_seconds": fit_seconds,
        "test_metrics": {k: round(v, 4) for k, v in metrics.items()},
    }
    return save_and_export(clf, recipe, summary)
