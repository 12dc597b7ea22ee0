"""Decoding bytes read from data files: errors name the file and line; a UTF-8 BOM is dropped."""

from __future__ import annotations

import codecs
import gzip
import zlib
from pathlib import Path

from nlpkit.errors import DataFormatError

__all__ = ["decode", "open_gzip", "text_encoding"]


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


class _CheckedGzipFile(gzip.GzipFile):
    """A `GzipFile` whose truncated or corrupt data raises `DataFormatError` naming the file
    (gzip itself raises a bare `EOFError` or `BadGzipFile` that names nothing)."""

    def _checked(name):
        def method(self, *args):
            try:
                return getattr(super(), name)(*args)
            except (EOFError, gzip.BadGzipFile, zlib.error) as e:
                raise DataFormatError(
                    self.name, None, f"the gzip data is truncated or corrupt ({e})."
                ) from e

        method.__name__ = name
        return method

    for _name in ("read", "read1", "readline", "readinto", "readinto1", "peek"):
        locals()[_name] = _checked(_name)
    del _name, _checked


def open_gzip(path: str | Path, mode: str = "rb") -> gzip.GzipFile:
    """Open a `.gz` file for binary reading; truncated or corrupt data raises `DataFormatError`.

    Example:
        >>> data = gzip.compress(bytes(range(256)) * 8)
        >>> _ = Path("cut.txt.gz").write_bytes(data[: len(data) // 2])
        >>> open_gzip("cut.txt.gz").read()
        Traceback (most recent call last):
        ...
        nlpkit.errors.DataFormatError: cut.txt.gz: the gzip data is truncated or corrupt (Compressed file ended before the end-of-stream marker was reached).
    """
    if mode not in ("r", "rb"):
        raise ValueError(f"open_gzip reads only: mode must be 'rb'. Received: mode={mode!r}")
    return _CheckedGzipFile(str(path), "rb")
