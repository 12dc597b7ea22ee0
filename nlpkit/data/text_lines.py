"""Reading plain-text corpora: as a list of lines (one item each) or as one continuous stream.

Used by the character-level language model (`mode="lines"` reads names one a line,
`mode="stream"` reads a whole book) and by anything else that trains on raw text files.
Undecodable bytes raise `DataFormatError` naming the file and the line.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from nlpkit.data._decoding import decode

__all__ = ["read_lines", "iter_lines", "read_text", "iter_text_chunks"]


def _read_bytes(path: str | os.PathLike) -> tuple[Path, bytes]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Text file {path} does not exist (or is not a file).")
    return path, path.read_bytes()


def _decode(path: Path, data: bytes, encoding: str, line_offset: int = 0) -> str:
    # the file's first line (or whole text) drops a UTF-8 byte-order mark
    return decode(path, data, encoding, line=line_offset + 1, first=line_offset == 0)


def read_text(path: str | os.PathLike, *, encoding: str = "utf-8") -> str:
    """Read a whole text file as one string (a stream of characters); newlines normalised to \\n.

    Args:
        path: The file.
        encoding: Its text encoding.

    Returns:
        The text, with `\\r\\n` and `\\r` line ends turned into `\\n`.

    Raises:
        FileNotFoundError: `path` does not exist.
        DataFormatError: some bytes cannot be decoded; the message names the file and line.

    Example:
        >>> from pathlib import Path
        >>> _ = Path("play.txt").write_bytes(b"ROMEO:\\r\\nBut soft!\\r\\n")
        >>> read_text("play.txt")
        'ROMEO:\\nBut soft!\\n'
    """
    path, data = _read_bytes(path)
    text = _decode(path, data, encoding)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_lines(
    path: str | os.PathLike,
    *,
    encoding: str = "utf-8",
    strip: bool = True,
    skip_empty: bool = True,
) -> list[str]:
    """Read a text file as a list of lines, one item per line.

    Args:
        path: The file.
        encoding: Its text encoding.
        strip: Remove leading/trailing whitespace from every line (line ends are always removed).
        skip_empty: Drop lines that are empty (after stripping).

    Returns:
        The lines.

    Raises:
        FileNotFoundError: `path` does not exist.
        DataFormatError: a line cannot be decoded; the message names the file and line.

    Example:
        >>> from pathlib import Path
        >>> _ = Path("dinos.txt").write_text("Aachenosaurus\\nAardonyx\\n")
        >>> read_lines("dinos.txt")
        ['Aachenosaurus', 'Aardonyx']
    """
    return list(iter_lines(path, encoding=encoding, strip=strip, skip_empty=skip_empty))


def iter_lines(
    path: str | os.PathLike,
    *,
    encoding: str = "utf-8",
    strip: bool = True,
    skip_empty: bool = True,
) -> Iterator[str]:
    """The lines of a text file one at a time (what `read_lines` returns, without holding the
    file in memory): for streamed training on files larger than memory.

    Lines end at `\\n`, `\\r\\n` or `\\r` (as `bytes.splitlines`), numbered from 1 in that
    sense in error messages.

    Raises:
        FileNotFoundError: `path` does not exist.
        DataFormatError: a line cannot be decoded; the message names the file and line.

    Example:
        >>> from pathlib import Path
        >>> _ = Path("two.txt").write_text("a\\n\\nb\\n")
        >>> list(iter_lines("two.txt"))
        ['a', 'b']
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Text file {path} does not exist (or is not a file).")
    number = 0
    with open(path, "rb") as fh:
        for chunk in fh:
            for raw in chunk.splitlines():  # a lone CR also ends a line, as in read_lines
                number += 1
                line = _decode(path, raw, encoding, line_offset=number - 1)
                if strip:
                    line = line.strip()
                if skip_empty and not line:
                    continue
                yield line


def iter_text_chunks(
    path: str | os.PathLike, chunk_chars: int = 1 << 20, *, encoding: str = "utf-8"
) -> Iterator[str]:
    """Stream a large text file in chunks of whole lines of about `chunk_chars` characters.

    Args:
        path: The file.
        chunk_chars: Approximate characters per chunk (chunks end at line ends).
        encoding: Its text encoding.

    Yields:
        Consecutive pieces of the text whose concatenation is the whole file.

    Raises:
        FileNotFoundError: `path` does not exist.
        DataFormatError: a line cannot be decoded; the message names the file and line.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Text file {path} does not exist (or is not a file).")
    if chunk_chars < 1:
        raise ValueError(f"`chunk_chars` must be >= 1. Received: chunk_chars={chunk_chars}")
    buf: list[str] = []
    size = 0
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            line = _decode(path, raw, encoding, line_offset=number - 1)
            buf.append(line)
            size += len(line)
            if size >= chunk_chars:
                yield "".join(buf)
                buf, size = [], 0
    if buf:
        yield "".join(buf)
