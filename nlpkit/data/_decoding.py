"""Decoding bytes read from data files: errors name the file and line; a UTF-8 BOM is dropped."""

from __future__ import annotations

import codecs
from pathlib import Path

from nlpkit.errors import DataFormatError

__all__ = ["decode", "text_encoding"]


def text_encoding(encoding: str, *, first: bool) -> str:
    """The codec for one piece of a file: UTF-8 with an optional BOM for the file's start.

    Excel and Notepad write UTF-8 files that start with a byte-order mark; decoding the first
    line as 'utf-8-sig' drops it, so the first header or token is read as written.

    Raises:
        ValueError: `encoding` is not a known codec.
    """
    try:
        name = codecs.lookup(encoding).name
    except LookupError as e:
        raise ValueError(f"Unknown text encoding: encoding={encoding!r}") from e
    return "utf-8-sig" if first and name == "utf-8" else encoding


def decode(
    path: str | Path, data: bytes, encoding: str, *, line: int = 1, first: bool = False
) -> str:
    """Decode `data` (which starts at line `line` of `path`), or raise `DataFormatError`.

    Args:
        path: The file, for the message.
        data: Its bytes (one line, several lines or the whole file).
        encoding: Text encoding.
        line: Line number of the first byte of `data`.
        first: `data` starts the file (a UTF-8 byte-order mark is then dropped).

    Example:
        >>> decode("a.txt", b"\\xef\\xbb\\xbftext", "utf-8", first=True)
        'text'
        >>> decode("a.txt", b"ok\\n\\xff", "utf-8")
        Traceback (most recent call last):
        ...
        nlpkit.errors.DataFormatError: a.txt, line 2: not valid utf-8 text: cannot decode byte b'\\xff' as utf-8 (invalid start byte). Re-save the file as utf-8 or pass the right `encoding=` (e.g. 'latin-1').
    """
    codec = text_encoding(encoding, first=first)
    try:
        return data.decode(codec)
    except UnicodeDecodeError as e:
        where = line + data[: e.start].count(b"\n")
        raise DataFormatError(
            path,
            where,
            f"not valid {encoding} text: cannot decode byte {data[e.start : e.start + 1]!r} as {encoding} ({e.reason}). "
            f"Re-save the file as {encoding} or pass the right `encoding=` (e.g. 'latin-1').",
        ) from e
