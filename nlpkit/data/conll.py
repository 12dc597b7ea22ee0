"""CoNLL-format readers and writer for tagged sentences.

Formats read:

- CoNLL-2003, 4 columns (`token POS chunk NER`), space separated, `-DOCSTART-` lines between
  documents, a blank line after each sentence. Choose the tag column with `tag_column`
  (default: the last one).
- 2 columns (`token<TAB>tag` or `token tag`).

Every non-blank line of a file must have the same number of columns; a line with a different
count, or a tag that is not `O` / `<B|I|E|S>-<type>`, raises `DataFormatError` naming the file and
line.

Example:
    >>> from pathlib import Path
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "tiny.txt"
    >>> _ = p.write_text("John B-PER\\nran O\\n\\nParis S-LOC\\n")
    >>> read_conll(p)
    ([['John', 'ran'], ['Paris']], [['B-PER', 'O'], ['S-LOC']])
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from nlpkit.data._decoding import decode, text_encoding
from nlpkit.errors import DataFormatError
from nlpkit.text.tags import split_tag
from nlpkit.utils.validation import check_same_length, check_token_lists

__all__ = ["read_conll", "iter_conll", "write_conll"]

DOCSTART = "-DOCSTART-"


def read_conll(
    path: str | os.PathLike,
    *,
    tag_column: int = -1,
    token_column: int = 0,
    encoding: str = "utf-8",
) -> tuple[list[list[str]], list[list[str]]]:
    """Read a CoNLL-format file into token lists and tag lists.

    Args:
        path: The file.
        tag_column: Index of the tag column (negative counts from the end; -1 = last). For
            CoNLL-2003, -1 (or 3) is the NER tag, 2 the chunk tag.
        token_column: Index of the token column.
        encoding: File encoding.

    Returns:
        `(sentences, tags)`: two lists of equal length, one token list and one tag list per
        sentence. `-DOCSTART-` lines and empty sentences are skipped.

    Raises:
        FileNotFoundError: `path` does not exist.
        DataFormatError: a line has the wrong number of columns or a malformed tag.
    """
    sentences: list[list[str]] = []
    tags: list[list[str]] = []
    for tokens, sentence_tags in iter_conll(
        path, tag_column=tag_column, token_column=token_column, encoding=encoding
    ):
        sentences.append(tokens)
        tags.append(sentence_tags)
    return sentences, tags


def iter_conll(
    path: str | os.PathLike,
    *,
    tag_column: int = -1,
    token_column: int = 0,
    encoding: str = "utf-8",
):
    """Yield `(tokens, tags)` one sentence at a time from a CoNLL file (`read_conll` lazily).

    Memory stays that of one sentence whatever the file's size; the checks and errors are
    `read_conll`'s.

    Example:
        >>> from pathlib import Path
        >>> _ = Path("tiny.conll").write_text("Ann B-PER\\nsings O\\n\\nBob B-PER\\n")
        >>> list(iter_conll("tiny.conll"))
        [(['Ann', 'sings'], ['B-PER', 'O']), (['Bob'], ['B-PER'])]
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"CoNLL file {path} does not exist.")
    tokens_now: list[str] = []
    tags_now: list[str] = []
    ncols = None
    text_encoding(encoding, first=True)  # an unknown codec fails before any work
    with open(path, "rb") as fh:
        for lineno, data in enumerate(fh, start=1):
            # decoded line by line: bad bytes name their line; a UTF-8 BOM is dropped
            line = decode(path, data, encoding, line=lineno, first=lineno == 1).rstrip("\r\n")
            if not line.strip():
                if tokens_now:
                    yield tokens_now, tags_now
                    tokens_now, tags_now = [], []
                continue
            cols = line.split("\t") if "\t" in line else line.split()
            if cols[0] == DOCSTART:
                if tokens_now:
                    yield tokens_now, tags_now
                    tokens_now, tags_now = [], []
                continue
            if ncols is None:
                ncols = len(cols)
                if ncols < 2:
                    raise DataFormatError(
                        path,
                        lineno,
                        f"expected at least 2 columns (token and tag), found 1: {line!r}",
                    )
                for name, idx in (("tag_column", tag_column), ("token_column", token_column)):
                    if not -ncols <= idx < ncols:
                        raise DataFormatError(
                            path,
                            lineno,
                            f"`{name}`={idx} is out of range for a file with {ncols} columns",
                        )
            elif len(cols) != ncols:
                raise DataFormatError(
                    path,
                    lineno,
                    f"expected {ncols} columns like the first line, found {len(cols)}: {line!r}",
                )
            tag = cols[tag_column]
            try:
                split_tag(tag)
            except ValueError as e:
                raise DataFormatError(path, lineno, str(e)) from e
            tokens_now.append(cols[token_column])
            tags_now.append(tag)
    if tokens_now:
        yield tokens_now, tags_now


def write_conll(
    path: str | os.PathLike,
    sentences: Sequence[Sequence[str]],
    tags: Sequence[Sequence[str]],
    predictions: Sequence[Sequence[str]] | None = None,
    *,
    separator: str = " ",
) -> Path:
    """Write tagged sentences in CoNLL format (one token a line, blank line between sentences).

    Args:
        path: Output file (overwritten).
        sentences: Token lists.
        tags: One tag list per sentence (gold tags, or predictions when `predictions` is None).
        predictions: Optional predicted tags, written as a third column (the layout `conlleval`
            reads: `token gold predicted`).
        separator: Column separator, ' ' or '\\t'.

    Returns:
        The path written.

    Raises:
        ValueError: lengths do not match, or a token contains the separator or whitespace.
    """
    sentences = check_token_lists("sentences", sentences, allow_empty=True)
    tags = check_token_lists("tags", tags, allow_empty=True)
    check_same_length("sentences", sentences, "tags", tags)
    columns = [sentences, tags]
    if predictions is not None:
        predictions = check_token_lists("predictions", predictions, allow_empty=True)
        check_same_length("sentences", sentences, "predictions", predictions)
        columns.append(predictions)
    lines = []
    for i, rows in enumerate(zip(*columns, strict=True)):
        if len({len(r) for r in rows}) != 1:
            raise ValueError(
                f"Sentence {i}: tokens and tags must have the same length. "
                f"Received lengths {[len(r) for r in rows]}"
            )
        for cells in zip(*rows, strict=True):
            for c in cells:
                if not c or any(ch.isspace() for ch in c):
                    raise ValueError(
                        f"Sentence {i}: CoNLL cells cannot be empty or contain whitespace. Received {c!r}"
                    )
            lines.append(separator.join(cells))
        lines.append("")
    path = Path(path)
    path.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    return path
