"""Code every task's recipe runner shares: data path resolution, train/validation/test splits,
the `[output]` save and export step, and the JSON summary.

Example:
    >>> (train, held) = split_items(list("abcdefghij"), 0.2, seed=0)
    >>> len(train), len(held), sorted(train + held) == list("abcdefghij")
    (8, 2, True)
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nlpkit.data.paths import resolve_data_path

__all__ = [
    "recipe_dir",
    "stream_source",
    "resolve_path",
    "split_items",
    "split_pairs",
    "fit_arguments",
    "timed_fit",
    "save_and_export",
    "write_summary",
]


def recipe_dir(recipe_path: str | os.PathLike | None) -> Path | None:
    """The folder relative data paths are resolved from first (None for an in-memory recipe)."""
    if recipe_path is None:
        return None
    return Path(recipe_path).expanduser().absolute().parent


def resolve_path(
    value: str | os.PathLike, recipe_path: str | os.PathLike | None, key: str = "data.path"
) -> Path:
    """Resolve a data path named in a recipe: beside the recipe first, then in the current folder.

    `gensim:NAME` names a file shipped inside gensim. Every task resolves its inputs this way;
    outputs (`[output]`, `[generate] midi`, `[plot] path`) are written relative to the current
    folder.

    Raises:
        FileNotFoundError: nothing there; the message names the recipe key and every place looked.

    Example:
        >>> resolve_path("gensim:questions-words.txt", None).name
        'questions-words.txt'
    """
    try:
        return resolve_data_path(value, recipe_dir(recipe_path))
    except FileNotFoundError as e:
        where = f"{recipe_path}: " if recipe_path is not None else ""
        raise FileNotFoundError(f"{where}`{key}`: {e}") from None


def stream_source(value: str, recipe_path, key: str):
    """A recipe's file or glob for a streamed `fit` (`[data] stream = true`): a glob is matched
    beside the recipe first, then as given; a plain path is resolved like `resolve_path`."""
    if any(c in str(value) for c in "*?["):
        base = recipe_dir(recipe_path)
        if base is not None and not Path(value).is_absolute():
            import glob

            if glob.glob(str(base / value)):
                return str(base / value)
        return str(value)
    return resolve_path(value, recipe_path, key)


def split_items(items: Sequence, fraction: float, seed: int) -> tuple[list, list]:
    """Shuffle `items` with `seed` and hold out `round(len * fraction)` of them.

    Returns:
        `(kept, held_out)`, both lists.
    """
    if not 0.0 <= float(fraction) < 1.0:
        raise ValueError(f"A split fraction must be in [0, 1). Received: {fraction!r}")
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    n_held = int(round(len(order) * float(fraction)))
    return [items[i] for i in order[n_held:]], [items[i] for i in order[:n_held]]


def split_pairs(xs: Sequence, ys: Sequence, fraction: float, seed: int):
    """`split_items` over aligned `(xs, ys)`: returns `((x_kept, y_kept), (x_held, y_held))`.

    Example:
        >>> (kx, ky), (hx, hy) = split_pairs(["a", "b", "c", "d"], [0, 1, 0, 1], 0.25, seed=1)
        >>> len(kx), len(hx), all(["a", "b", "c", "d"].index(x) % 2 == y for x, y in zip(kx, ky))
        (3, 1, True)
    """
    kept, held = split_items(list(range(len(xs))), fraction, seed)

    def pick(idx):
        return [xs[i] for i in idx], [ys[i] for i in idx]

    return pick(kept), pick(held)


def fit_arguments(recipe: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of `pipeline.fit` from `[fit]` (`epochs` defaults to 10).

    Example:
        >>> fit_arguments({"fit": {"epochs": 3}})
        {'epochs': 3}
    """
    return {"epochs": 10, **recipe.get("fit", {})}


def timed_fit(pipeline: Any, recipe: dict[str, Any], *data: Any, validation_data=None) -> float:
    """Fit `pipeline` on `data` with the recipe's `[fit]` arguments; return the seconds taken.

    Returns:
        Wall-clock seconds of `pipeline.fit`, rounded to 0.1 (the summaries' `fit_seconds`).
    """
    import time

    start = time.perf_counter()
    pipeline.fit(*data, validation_data=validation_data, **fit_arguments(recipe))
    return round(time.perf_counter() - start, 1)


def save_and_export(
    pipeline: Any, recipe: dict[str, Any], summary: dict[str, Any], *, default_export: bool = True
) -> dict[str, Any]:
    """Apply a recipe's `[output]` table: `save` and/or `export` the fitted pipeline.

    `[output] save` is a folder (or true for `saved_models/<name>-pipeline`) that `nlpkit.load`
    reads back; `[output] export` is true (`saved_models/<name>/<n>/`, the next version), a
    folder, or false. `<name>` is the recipe's `name`, else the pipeline's `export_name`.
    The paths written are added to `summary` as `saved` and `exported`.

    Returns:
        `summary`.
    """
    from nlpkit.pipelines.base import DEFAULT_EXPORT_ROOT
    from nlpkit.utils.files import next_version_dir

    output = recipe.get("output", {})
    name = recipe.get("name") or pipeline.export_name
    save = output.get("save", False)
    if save:
        folder = DEFAULT_EXPORT_ROOT / f"{name}-pipeline" if save is True else Path(save)
        summary["saved"] = str(pipeline.save(folder))
    export = output.get("export", default_export)
    if export:
        if export is True:
            root = Path(output.get("_export_root", DEFAULT_EXPORT_ROOT))
            export = next_version_dir(root / name)
        summary["exported"] = str(pipeline.export(export))
    return summary


def write_summary(summary: dict[str, Any], path: str | os.PathLike | None = None) -> str:
    """The summary as indented JSON (written to `path` too when given).

    Example:
        >>> print(write_summary({"task": "ner", "dev_f1": 0.5}))
        {
          "task": "ner",
          "dev_f1": 0.5
        }
    """
    text = json.dumps(summary, indent=2, default=str)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text + "\n", encoding="utf-8")
    return text


def validated(
    recipe: dict[str, Any], task: str, recipe_path: str | os.PathLike | None
) -> dict[str, Any]:
    """`recipe` checked against `task`'s schema (the task key is filled in when missing)."""
    from nlpkit.recipes.schema import RecipeError, validate_recipe

    if recipe.get("task", task) != task:
        raise RecipeError(
            f"{recipe_path}: this runner is for task={task!r}. Received: task={recipe['task']!r}"
        )
    where = recipe_path if recipe_path is not None else "<recipe>"
    return validate_recipe({**recipe, "task": task}, where)
