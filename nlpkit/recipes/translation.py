"""`task = "translation"` recipes: generate date pairs or read a parallel corpus, fit a
`Translator`, evaluate, translate examples, plot attention, save and export.

`[data]`: `kind = "dates"` (`train_size`, `validation_size`, `seed`; generated with Faker and
Babel) or `kind = "parallel"` (`path` to a folder with `train.<source><suffix>`,
`train.<target><suffix>`, `val.*`; `max_examples`; `stream = true` streams the two training
files through `fit` instead of reading them into memory, `val.*` is read into memory). `[evaluate]`: `beam_width`, `max_examples`.
`[examples]`: `sources`. `[plot]`: `path`, `source`.
"""

from __future__ import annotations

import os
from typing import Any

from nlpkit.recipes.common import resolve_path, save_and_export, timed_fit, validated
from nlpkit.utils.validation import check_choice

__all__ = ["run_recipe", "read_data"]


def read_data(
    data: dict[str, Any], recipe_path: str | os.PathLike | None = None, seed: int = 0
) -> tuple[tuple[list[str], list[str]], tuple[list[str], list[str]]]:
    """The recipe's training and validation pairs: `((train_x, train_y), (val_x, val_y))`."""
    from nlpkit.data.parallel import read_parallel

    kind = check_choice("data.kind", data.get("kind", "parallel"), ("dates", "parallel"))
    if kind == "dates":
        from nlpkit.data.dates import generate_dates

        seed = int(data.get("seed", seed))
        train = generate_dates(int(data.get("train_size", 10000)), seed=seed)
        val = generate_dates(int(data.get("validation_size", 1000)), seed=seed + 1)
        return train, val
    if "path" not in data:
        raise ValueError(
            f"{recipe_path}: [data] needs `path` (a folder with train.* and val.* files) when "
            "kind='parallel' (e.g. --set data.path=../shared/data/translation/multi30k)."
        )
    root = resolve_path(data["path"], recipe_path, "data.path")
    src, tgt = data.get("source", "en"), data.get("target", "de")
    max_n = data.get("max_examples")
    suffix = data.get("suffix", ".gz")
    train = read_parallel(
        root / f"train.{src}{suffix}", root / f"train.{tgt}{suffix}", max_examples=max_n
    )
    val = read_parallel(root / f"val.{src}{suffix}", root / f"val.{tgt}{suffix}")
    return train, val


def run_recipe(recipe: dict[str, Any], recipe_path: str | os.PathLike | None = None) -> dict:
    """Train, evaluate, plot, save and export a `Translator` from a validated recipe.

    Returns:
        A summary: validation metrics, example translations, paths written.
    """
    recipe = validated(recipe, "translation", recipe_path)
    from nlpkit.pipelines.translator import Translator

    seed = int(recipe.get("seed", 0))
    data = dict(recipe.get("data", {}))
    model_cfg = dict(recipe.get("model", {}))
    model_cfg.setdefault("seed", seed)
    translator = Translator(**model_cfg)
    if data.get("stream", False):
        train_x, train_y, (val_x, val_y) = _stream_data(data, recipe_path)
    else:
        (train_x, train_y), (val_x, val_y) = read_data(data, recipe_path, seed)
    fit_seconds = timed_fit(translator, recipe, train_x, train_y, validation_data=(val_x, val_y))
    eval_cfg = dict(recipe.get("evaluate", {}))
    n_eval = eval_cfg.get("max_examples")
    ex, ey = (val_x[:n_eval], val_y[:n_eval]) if n_eval else (val_x, val_y)
    metrics = translator.evaluate(ex, ey, beam_width=eval_cfg.get("beam_width"))
    summary: dict[str, Any] = {
        "task": "translation",
        "recipe": str(recipe_path),
        "train_pairs": translator.card_["train_pairs"],
        "fit_seconds": fit_seconds,
        "validation": metrics,
    }
    examples = list(recipe.get("examples", {}).get("sources", ex[:3]))
    summary["examples"] = dict(zip(examples, translator.predict(examples), strict=True))
    plot_cfg = dict(recipe.get("plot", {}))
    if plot_cfg.get("path"):
        translator.plot_attention(plot_cfg.get("source", ex[0]), path=plot_cfg["path"])
        summary["attention_plot"] = str(plot_cfg["path"])
    if data.get("stream", False):
        summary["train_data"] = "streamed"
    return save_and_export(translator, recipe, summary)


def _stream_data(data: dict[str, Any], recipe_path):
    """`[data] stream = true`: the training files' paths (streamed by `fit`) and the validation
    pairs (in memory)."""
    from nlpkit.data.parallel import read_parallel

    if data.get("kind", "parallel") != "parallel" or "path" not in data:
        raise ValueError(
            f"{recipe_path}: [data] stream = true reads parallel text files: kind = 'parallel' "
            "with `path` (a folder with train.* and val.* files)."
        )
    if "max_examples" in data:
        raise ValueError(
            f"{recipe_path}: [data] stream = true reads the whole training files: leave out "
            "`max_examples`."
        )
    root = resolve_path(data["path"], recipe_path, "data.path")
    src, tgt = data.get("source", "en"), data.get("target", "de")
    suffix = data.get("suffix", ".gz")
    train_x = resolve_path(root / f"train.{src}{suffix}", None, "data.path")
    train_y = resolve_path(root / f"train.{tgt}{suffix}", None, "data.path")
    val = read_parallel(root / f"val.{src}{suffix}", root / f"val.{tgt}{suffix}")
    return train_x, train_y, val
