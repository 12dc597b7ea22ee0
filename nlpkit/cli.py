"""`nlpkit` command line: thin over the recipes and pipelines.

    nlpkit run sentiment [--set fit.epochs=3 ...]        (a bundled recipe, by name)
    nlpkit run pipelines/sentiment.toml --summary out.json
    nlpkit run sentiment --workers 2                    (N local workers, see docs/training.md)
    nlpkit recipes                                      (list the bundled recipes)
    nlpkit predict MODEL [INPUT] | evaluate MODEL DATA | info MODEL | export SAVED [DIR]
    nlpkit serve DIR [--host 127.0.0.1] [--port 8501]
    nlpkit version

A recipe is a TOML file with a `task` key and the tables `nlpkit.recipes` documents (`[data]`,
`[model]`, `[fit]`, `[output]`, ...; see docs/recipes.md). It is checked against the schema
before anything runs; the task's runner returns a summary, printed here as JSON.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path
from typing import Any

from nlpkit._version import __version__
from nlpkit.recipes import TASKS, RecipeDeprecationWarning, list_recipes, load_recipe
from nlpkit.recipes import run_recipe_file as _run_recipe_file

__all__ = ["main", "load_recipe", "TASKS"]


def run_recipe_file(path, overrides: list[str] | None = None) -> dict[str, Any]:
    """Run a recipe file or bundled recipe name (see `nlpkit.recipes.run_recipe_file`)."""
    return _run_recipe_file(path, overrides)


def _recipe_line(name: str, path) -> str:
    """`name  task  first comment line` for `nlpkit recipes`."""
    from nlpkit.recipes import read_recipe

    try:
        task = read_recipe(path).get("task", "?")
    except ValueError:
        task = "invalid"
    about = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            about = line.lstrip("# ").strip()
            break
    return f"{name:<22} {task:<15} {about}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nlpkit", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="train, evaluate and export from a TOML recipe")
    run.add_argument(
        "recipe", help="a recipe file, or the name of a bundled recipe (see `nlpkit recipes`)"
    )
    run.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a recipe value, e.g. --set fit.epochs=2",
    )
    run.add_argument("--summary", metavar="PATH", help="also write the JSON summary to PATH")
    run.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="train with N local worker processes (MultiWorkerMirroredStrategy, generated "
        "TF_CONFIG on 127.0.0.1); see docs/training.md",
    )
    sub.add_parser("recipes", help="list the bundled recipes (run one with `nlpkit run NAME`)")
    sub.add_parser("version", help="print the nlpkit version")
    from nlpkit.commands import register as register_model_commands

    register_model_commands(sub)  # predict, evaluate, info, export, serve (nlpkit/commands/)
    args = parser.parse_args(argv)
    if args.command == "version":
        print(__version__)
        return 0
    if getattr(args, "handler", None) is not None:
        try:
            return args.handler(args)
        except (ValueError, TypeError, FileNotFoundError, ImportError) as e:
            print(f"nlpkit {args.command}: error: {e}", file=sys.stderr)
            return 2
    if args.command == "recipes":
        for name, path in list_recipes().items():
            print(_recipe_line(name, path))
        return 0
    if args.workers is not None and "TF_CONFIG" not in os.environ:
        return _run_workers(args)
    from nlpkit.recipes.common import write_summary

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RecipeDeprecationWarning)
            recipe = load_recipe(args.recipe, args.overrides)
        for w in caught:  # old recipe spellings: say so, then run
            if issubclass(w.category, RecipeDeprecationWarning):
                print(f"nlpkit: warning: {w.message}", file=sys.stderr)
            else:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)
        summary = _run_loaded(recipe, args.recipe)
    except (ValueError, TypeError, FileNotFoundError, ImportError) as e:
        print(f"nlpkit: error: {e}", file=sys.stderr)
        return 2
    print(write_summary(summary, args.summary))
    return 0


def _run_workers(args) -> int:
    """`nlpkit run RECIPE --workers N`: N local processes, each with its own TF_CONFIG, running
    the recipe with `model.distribution="multi_worker"`; worker 0 (the chief) writes the summary
    and the recipe's `[output]`, the others save and export to a temporary folder that is then
    removed (every worker runs the same steps, so the export is not skipped, only redirected)."""
    import tempfile

    from nlpkit.training.distribute import launch_local_workers

    if args.workers < 1:
        print(
            f"nlpkit: error: --workers must be at least 1. Received: {args.workers}",
            file=sys.stderr,
        )
        return 2
    argv = ["-m", "nlpkit.cli", "run", args.recipe]
    for item in [*args.overrides, 'model.distribution="multi_worker"']:
        argv += ["--set", item]
    with tempfile.TemporaryDirectory(prefix="nlpkit-workers-") as tmp:

        def extra(i: int) -> list[str]:
            if i == 0:
                return ["--summary", args.summary] if args.summary else []
            scratch = Path(tmp, f"worker-{i}").as_posix()
            return [
                "--set",
                f'output.save="{scratch}/saved"',
                "--set",
                f'output.export="{scratch}/exported"',
            ]

        codes = launch_local_workers(argv, args.workers, extra_args=extra)
    if any(codes):
        print(f"nlpkit: error: worker exit codes {codes}", file=sys.stderr)
        return max(c if c > 0 else 1 for c in codes if c)
    return 0


def _run_loaded(recipe: dict[str, Any], name_or_path) -> dict[str, Any]:
    import importlib

    from nlpkit.recipes import find_recipe

    module = importlib.import_module(TASKS[recipe["task"]])
    return module.run_recipe(recipe, find_recipe(name_or_path))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
