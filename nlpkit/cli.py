"""`nlpkit` command line: thin over the pipelines.

    nlpkit run pipelines/sentiment.toml [--set fit.epochs=3 ...] [--workers N]
    nlpkit version

A recipe is a TOML file with a `task` key naming the pipeline module, and tables the task's
`run_recipe(recipe, recipe_path)` function reads (`[data]`, `[model]`, `[fit]`, `[export]`).
Each task module returns a summary dict, printed here as JSON.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tomllib
from pathlib import Path
from typing import Any

from nlpkit._version import __version__

__all__ = ["main", "load_recipe", "TASKS"]

TASKS = {
    "classification": "nlpkit.pipelines.classifier",
    "ner": "nlpkit.pipelines.tagger",
    "chargen": "nlpkit.pipelines.chargen",
    "music": "nlpkit.pipelines.music",
    "translation": "nlpkit.pipelines.translator",
    "embeddings": "nlpkit.embeddings.recipe",
}


def _parse_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def load_recipe(path: str | os.PathLike, overrides: list[str] | None = None) -> dict[str, Any]:
    """Read a TOML recipe and apply `section.key=value` overrides."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Recipe {path} does not exist.")
    try:
        recipe = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{path}: not valid TOML: {e}") from e
    for item in overrides or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"`--set` expects section.key=value. Received: {item!r}")
        node = recipe
        *parents, leaf = key.strip().split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = _parse_value(value.strip())
    task = recipe.get("task")
    if task not in TASKS:
        raise ValueError(
            f"{path}: `task` must be one of {', '.join(map(repr, TASKS))}. Received: task={task!r}"
        )
    return recipe


def run_recipe_file(path: str | os.PathLike, overrides: list[str] | None = None) -> dict[str, Any]:
    recipe = load_recipe(path, overrides)
    module = importlib.import_module(TASKS[recipe["task"]])
    return module.run_recipe(recipe, Path(path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nlpkit", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="train, evaluate and export from a TOML recipe")
    run.add_argument("recipe", help="path to a recipe in pipelines/")
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
    sub.add_parser("version", help="print the nlpkit version")
    args = parser.parse_args(argv)
    if args.command == "version":
        print(__version__)
        return 0
    if args.workers is not None and "TF_CONFIG" not in os.environ:
        return _run_workers(args)
    try:
        summary = run_recipe_file(args.recipe, args.overrides)
    except (ValueError, TypeError, FileNotFoundError, ImportError) as e:
        print(f"nlpkit: error: {e}", file=sys.stderr)
        return 2
    text = json.dumps(summary, indent=2, default=str)
    print(text)
    if args.summary:
        Path(args.summary).write_text(text + "\n", encoding="utf-8")
    return 0


def _run_workers(args) -> int:
    """`nlpkit run RECIPE --workers N`: N local processes, each with its own TF_CONFIG, running
    the recipe with `model.distribution="multi_worker"`; worker 0 (the chief) writes the summary
    and the export, the others export to a temporary folder that is then removed."""
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
            return ["--set", f'export.root="{Path(tmp, f"worker-{i}").as_posix()}"']

        codes = launch_local_workers(argv, args.workers, extra_args=extra)
    if any(codes):
        print(f"nlpkit: error: worker exit codes {codes}", file=sys.stderr)
        return max(c if c > 0 else 1 for c in codes if c)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
