"""`nlpkit predict MODEL [INPUT]`: JSON lines of predictions (see `nlpkit predict --help`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

from nlpkit.commands.predictors import GENERATORS, open_model

__all__ = ["main", "read_inputs", "Progress"]


def read_inputs(source: str, text_field: str = "text") -> Iterator[str]:
    """Yield the texts of INPUT (a path or '-'): plain lines, or JSON lines with `text_field`.

    A line that starts with '{' is read as JSON; blank lines are skipped.

    Raises:
        ValueError: a JSON line is malformed or has no `text_field` string (names the line).
    """
    name = "<stdin>" if source == "-" else source
    handle = sys.stdin if source == "-" else open(Path(source), encoding="utf-8")  # noqa: SIM115
    try:
        for n, line in enumerate(handle, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            if line.lstrip().startswith("{"):
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    raise ValueError(f"{name}, line {n}: not valid JSON: {e}") from e
                text = obj.get(text_field) if isinstance(obj, dict) else None
                if not isinstance(text, str):
                    raise ValueError(
                        f"{name}, line {n}: a JSON line needs a string field {text_field!r}. "
                        f"Received keys: {sorted(obj) if isinstance(obj, dict) else type(obj).__name__}"
                    )
                yield text
            else:
                yield line
    finally:
        if handle is not sys.stdin:
            handle.close()


class Progress:
    """A one-line progress counter on stderr, shown only when stderr is a terminal."""

    def __init__(self, enabled: bool | None = None):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.done = 0

    def update(self, n: int) -> None:
        self.done += n
        if self.enabled:
            print(f"\rnlpkit predict: {self.done} inputs", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.enabled and self.done:
            print(file=sys.stderr)


def _batches(items: Iterator[str], size: int) -> Iterator[list[str]]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def main(args) -> int:
    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be at least 1. Received: {args.batch_size}")
    model = open_model(args.model)
    options = {"temperature": args.temperature, "seed": args.seed, "max_length": args.max_length}
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
    progress = Progress()
    try:
        if args.samples is not None or (model.task == "music"):
            if model.task not in GENERATORS:
                raise ValueError(
                    f"--samples is for generators (chargen, music); {args.model} is a "
                    f"{model.task} model."
                )
            for rec in model.samples(args.samples or 1, **options):
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")
            return 0
        for batch in _batches(read_inputs(args.input, args.text_field), args.batch_size):
            for rec in model.records(batch, **options):
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")
            out.flush()
            progress.update(len(batch))
    finally:
        progress.close()
        if out is not sys.stdout:
            out.close()
    return 0
