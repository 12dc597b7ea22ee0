"""Readers for parallel text: two line-aligned files, or one TSV file of `source<TAB>target`.

Gzipped files (`.gz`) are read transparently.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nlpkit.data._decoding import decode, open_gzip
from nlpkit.errors import DataFormatError
from nlpkit.utils.validation import check_int

__all__ = ["read_parallel", "read_lines", "iter_lines", "iter_parallel", "parallel_files"]


def _open(path: Path):
    return open_gzip(path) if path.suffix == ".gz" else open(path, "rb")


def read_lines(path: str | os.PathLike, max_lines: int | None = None) -> list[str]:
    """Read a UTF-8 text file (optionally gzipped) into a list of lines without line endings.

    Raises:
        FileNotFoundError: `path` does not exist.
        DataFormatError: A line is not valid UTF-8 (the message names the file and line).
    """
    return list(itertools.islice(iter_lines(path), max_lines))


def iter_lines(path: str | os.PathLike) -> Iterator[str]:
    """The lines of a UTF-8 text file (optionally gzipped) one at a time, without line endings:
    what `read_lines` returns, read lazily (for streamed training).

    Raises:
        FileNotFoundError: `path` does not exist.
        DataFormatError: A line is not valid UTF-8 (the message names the file and line).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Parallel text file {path} does not exist.")
    with _open(path) as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = decode(path, raw, "utf-8", line=lineno, first=lineno == 1)
            yield line.rstrip("\r\n")


def iter_parallel(
    source: str | os.PathLike, target: str | os.PathLike | None = None, *, separator: str = "\t"
) -> Iterator[tuple[str, str]]:
    """The `(source, target)` pairs `read_parallel` returns, read lazily from two line-aligned
    files or one TSV file (plain or `.gz`): memory does not grow with the corpus.

    Raises:
        FileNotFoundError: A file does not exist.
        DataFormatError: The two files have different line counts (both are named, found when
            the shorter one ends), or a TSV line does not have exactly two fields (file and line
            are named).

    Example:
        >>> from pathlib import Path
        >>> _ = Path("pairs.tsv").write_text("a dog\\tein Hund\\n\\nthe cat\\tdie Katze\\n")
        >>> list(iter_parallel("pairs.tsv"))
        [('a dog', 'ein Hund'), ('the cat', 'die Katze')]
    """
    if target is not None:
        src_lines, tgt_lines = iter_lines(source), iter_lines(target)
        n = 0
        for src in src_lines:
            tgt = next(tgt_lines, None)
            if tgt is None:
                raise DataFormatError(
                    source,
                    None,
                    f"has {n + 1 + sum(1 for _ in src_lines)} lines but {target} has {n}: the "
                    "source and target files must be line-aligned (one translation per line).",
                )
            n += 1
            yield src, tgt
        extra = sum(1 for _ in tgt_lines)
        if extra:
            raise DataFormatError(
                source,
                None,
                f"has {n} lines but {target} has {n + extra}: the source and target files must "
                "be line-aligned (one translation per line).",
            )
        return
    for lineno, line in enumerate(iter_lines(source), start=1):
        if not line.strip():
            continue
        fields = line.split(separator)
        if len(fields) != 2:
            raise DataFormatError(
                source,
                lineno,
                f"expected 2 fields (source{separator!r}target), found {len(fields)}: {line!r:.80}",
            )
        yield fields[0], fields[1]


def read_parallel(
    source: str | os.PathLike,
    target: str | os.PathLike | None = None,
    *,
    separator: str = "\t",
    max_examples: int | None = None,
) -> tuple[list[str], list[str]]:
    """Read a parallel corpus.

    Two forms: `read_parallel("train.en", "train.de")` reads two line-aligned files (line `i` of
    one translates line `i` of the other); `read_parallel("pairs.tsv")` reads one file whose lines
    are `source<TAB>target` (blank lines are skipped).

    Args:
        source: The source-language file, or the TSV file when `target` is None.
        target: The target-language file, line-aligned with `source`.
        separator: Field separator of the TSV form.
        max_examples: Read at most this many pairs (None: all).

    Returns:
        `(sources, targets)`: two lists of strings of equal length.

    Raises:
        FileNotFoundError: A file does not exist.
        DataFormatError: The two files have different line counts (both are named), or a TSV line
            does not have exactly two fields (file and line are named).

    Example:
        >>> from pathlib import Path
        >>> _ = Path("train.en").write_text("a dog\\nthe cat\\n")
        >>> _ = Path("train.de").write_text("ein Hund\\ndie Katze\\n")
        >>> read_parallel("train.en", "train.de")
        (['a dog', 'the cat'], ['ein Hund', 'die Katze'])
    """
    check_int("max_examples", max_examples, 1, allow_none=True)
    if target is not None:
        src_lines = read_lines(source)
        tgt_lines = read_lines(target)
        if len(src_lines) != len(tgt_lines):
            raise DataFormatError(
                source,
                None,
                f"has {len(src_lines)} lines but {target} has {len(tgt_lines)}: the source and "
                "target files must be line-aligned (one translation per line).",
            )
        if max_examples is not None:
            src_lines, tgt_lines = src_lines[:max_examples], tgt_lines[:max_examples]
        return src_lines, tgt_lines
    sources: list[str] = []
    targets: list[str] = []
    for lineno, line in enumerate(read_lines(source), start=1):
        if not line.strip():
            continue
        fields = line.split(separator)
        if len(fields) != 2:
            raise DataFormatError(
                source,
                lineno,
                f"expected 2 fields (source{separator!r}target), found {len(fields)}: {line!r:.80}",
            )
        sources.append(fields[0])
        targets.append(fields[1])
        if max_examples is not None and len(sources) >= max_examples:
            break
    return sources, targets


def parallel_files(x: Any, y: Any, name: str = "x") -> list[tuple[str, str | None]] | None:
    """`[(source file, target file or None for TSV)]` when `x` (and `y`) name parallel text
    files, else None (in-memory sentences).

    `x` and `y` name files as for `nlpkit.data.streaming.named_files` (a glob counts only when
    it matches a file, since a sentence may hold `?`); source and target files pair in order.
    Without `y`, `x` names TSV files (source and target on one line) or lists
    `(source file, target file)` pairs.

    Raises:
        ValueError: `x` and `y` name different numbers of files.
        FileNotFoundError: a named file does not exist.

    Example:
        >>> parallel_files(["Hallo Welt"], ["Hello world"]) is None
        True
    """
    from nlpkit.data.streaming import named_files

    if y is not None:
        sources = named_files(x, name, match_globs=True)
        targets = named_files(y, "y" if name == "x" else name, match_globs=True)
        if sources is None or targets is None:
            return None
        if len(sources) != len(targets):
            raise ValueError(
                f"`{name}` names {len(sources)} source file(s) but the targets name "
                f"{len(targets)}: source and target files are paired in order, one target file "
                f"per source file. Received: {sources[:3]} and {targets[:3]}"
            )
        return list(zip(sources, targets, strict=True))
    if (
        isinstance(x, (list, tuple))
        and x
        and all(
            isinstance(p, (list, tuple))
            and len(p) == 2
            and all(
                isinstance(v, os.PathLike) or (isinstance(v, str) and Path(v).is_file()) for v in p
            )
            for p in x
        )
    ):
        return [(os.fspath(src), os.fspath(tgt)) for src, tgt in x]
    files = named_files(x, name, match_globs=True)
    return None if files is None else [(f, None) for f in files]
