"""TOML recipes: one schema for every task, one runner per task (what `nlpkit run` calls).

A recipe names its `task` and holds `[data]`, `[model]`, `[fit]` and `[output]` tables (plus
task tables such as `[generate]`); `docs/recipes.md` documents every key. The recipes in the
repository's `pipelines/` folder are installed with the package (as `nlpkit/recipes/bundled/`),
so `nlpkit run sentiment` works after `pip install nlpkit`.

Example:
    >>> "sentiment" in list_recipes()
    True
    >>> recipe = load_recipe("sentiment", ["fit.epochs=2"])
    >>> recipe["task"], recipe["fit"]["epochs"]
    ('classification', 2)
"""

from __future__ import annotations

import difflib
import importlib
import os
import tomllib
from pathlib import Path
from typing import Any

from nlpkit.recipes.schema import (
    TASKS,
    RecipeDeprecationWarning,
    RecipeError,
    apply_overrides,
    validate_recipe,
)

__all__ = [
    "TASKS",
    "RecipeError",
    "RecipeDeprecationWarning",
    "bundled_dir",
    "list_recipes",
    "find_recipe",
    "read_recipe",
    "load_recipe",
    "run_recipe",
    "run_recipe_file",
]


def bundled_dir() -> Path | None:
    """The folder of bundled recipes: `nlpkit/recipes/bundled/` in an installed wheel, the
    repository's `pipelines/` in a source checkout (or an editable install); None if neither."""
    installed = Path(__file__).resolve().parent / "bundled"
    if installed.is_dir() and any(installed.glob("*.toml")):
        return installed
    checkout = Path(__file__).resolve().parents[2] / "pipelines"
    if checkout.is_dir():
        return checkout
    return None


def list_recipes() -> dict[str, Path]:
    """Bundled recipes by name (file name without `.toml`), sorted by name."""
    folder = bundled_dir()
    if folder is None:
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.toml"))}


def find_recipe(name_or_path: str | os.PathLike) -> Path:
    """A recipe file: an existing path as given, else a bundled recipe by name (`sentiment`,
    `sentiment.toml`).

    Raises:
        FileNotFoundError: neither exists; the message lists the bundled names and the nearest.
    """
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return path
    text = os.fspath(name_or_path)
    bundled = list_recipes()
    stem = text[:-5] if text.endswith(".toml") else text
    if os.sep not in text and "/" not in text and stem in bundled:
        return bundled[stem]
    close = difflib.get_close_matches(stem, list(bundled), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    names = ", ".join(bundled) or "(none found)"
    raise FileNotFoundError(
        f"Recipe {text!r} does not exist: it is neither a file nor a bundled recipe.{hint} "
        f"Bundled recipes: {names} (list them with `nlpkit recipes`)."
    )


def read_recipe(path: str | os.PathLike) -> dict[str, Any]:
    """Parse a TOML recipe file (no validation)."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise RecipeError(f"{path}: not valid TOML: {e}") from e
    except UnicodeDecodeError as e:
        raise RecipeError(f"{path}: not UTF-8 text: {e}") from e


def load_recipe(
    name_or_path: str | os.PathLike, overrides: list[str] | None = None
) -> dict[str, Any]:
    """Read a recipe (a path or a bundled name), apply `section.key=value` overrides and
    validate it against the schema.

    Returns:
        The validated recipe, old spellings rewritten (see `nlpkit.recipes.schema`).

    Raises:
        FileNotFoundError: no such recipe.
        RecipeError: invalid TOML, a malformed override, or a recipe that does not match the
            schema (unknown section or key, wrong type), named with the file.
    """
    path = find_recipe(name_or_path)
    recipe, overridden = apply_overrides(read_recipe(path), overrides or [])
    return validate_recipe(recipe, path, overridden)


def run_recipe(
    recipe: dict[str, Any], recipe_path: str | os.PathLike | None = None
) -> dict[str, Any]:
    """Validate an in-memory recipe and run its task.

    Args:
        recipe: The recipe as a dict (as parsed from TOML).
        recipe_path: Where it came from: named in errors, and relative data paths are looked
            for beside it first.

    Returns:
        The task's JSON-safe summary.
    """
    recipe = validate_recipe(recipe, recipe_path if recipe_path is not None else "<recipe>")
    module = importlib.import_module(TASKS[recipe["task"]])
    return module.run_recipe(recipe, recipe_path)


def run_recipe_file(
    name_or_path: str | os.PathLike, overrides: list[str] | None = None
) -> dict[str, Any]:
    """`load_recipe` then run it; returns the summary."""
    path = find_recipe(name_or_path)
    recipe = load_recipe(path, overrides)
    module = importlib.import_module(TASKS[recipe["task"]])
    return module.run_recipe(recipe, path)
