"""Tag schemes for sequence labelling: IOB1, IOB2 (BIO) and IOBES; chunk (span) extraction.

Chunks are read exactly as the CoNLL `conlleval` script reads them (its `startOfChunk` and
`endOfChunk` rules), which accept any of the three schemes, and mixtures of them. Converting between
schemes reads the chunks and writes them again, so the conversion is lossless for every sequence
that is valid in its scheme, and turns an invalid sequence into the valid sequence that conlleval
would have scored.

Schemes (for the chunk "New York" of type LOC followed by the chunk "Boston" of type LOC):

- `iob1`: `I-LOC I-LOC B-LOC`: `B-` only where a chunk directly follows one of the same type.
- `iob2`: `B-LOC I-LOC B-LOC`: every chunk starts with `B-`.
- `iobes`: `B-LOC E-LOC S-LOC`: single-token chunks are `S-`, last tokens `E-`.

Example:
    >>> get_spans(["B-PER", "I-PER", "O", "S-LOC"])
    [TokenSpan(start=0, end=2, label='PER'), TokenSpan(start=3, end=4, label='LOC')]
    >>> convert_tags(["I-LOC", "I-LOC", "B-LOC"], "iobes")
    ['B-LOC', 'E-LOC', 'S-LOC']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from nlpkit.utils.validation import check_choice

__all__ = [
    "SCHEMES",
    "TokenSpan",
    "split_tag",
    "check_tag",
    "start_of_chunk",
    "end_of_chunk",
    "get_spans",
    "spans_to_tags",
    "convert_tags",
    "detect_scheme",
    "chunk_tables",
    "allowed_transitions",
]

SCHEMES = ("iob1", "iob2", "iobes")
_PREFIXES = ("B", "I", "E", "S")


class TokenSpan(NamedTuple):
    """A chunk over tokens: `tokens[start:end]` has entity type `label`."""

    start: int
    end: int
    label: str


def split_tag(tag: str) -> tuple[str, str]:
    """Split a tag into (prefix, type): `'B-PER' -> ('B', 'PER')`, `'O' -> ('O', '')`.

    Raises:
        ValueError: the tag is neither `O` nor `<B|I|E|S>-<type>`.
    """
    if tag == "O":
        return "O", ""
    prefix, sep, kind = tag.partition("-")
    if not sep or prefix not in _PREFIXES or not kind:
        raise ValueError(
            f"Tag {tag!r} is not a valid tag: expected 'O' or '<prefix>-<type>' with prefix one of "
            f"'B', 'I', 'E', 'S' (for example 'B-PER')."
        )
    return prefix, kind


def check_tag(tag: str) -> str:
    """Return `tag` if it is valid (see `split_tag`), else raise ValueError."""
    split_tag(tag)
    return tag


def start_of_chunk(prev_tag: str, tag: str) -> bool:
    """conlleval's `startOfChunk`: does a chunk start at `tag`, given the previous tag?"""
    prev_prefix, prev_type = split_tag(prev_tag)
    prefix, kind = split_tag(tag)
    if prefix in ("B", "S"):
        return True
    if prev_prefix in ("E", "S", "O") and prefix in ("E", "I"):
        return True
    return prefix != "O" and prev_type != kind


def end_of_chunk(prev_tag: str, tag: str) -> bool:
    """conlleval's `endOfChunk`: did a chunk end at `prev_tag`, given the current tag?"""
    prev_prefix, prev_type = split_tag(prev_tag)
    prefix, kind = split_tag(tag)
    if prev_prefix in ("E", "S"):
        return True
    if prev_prefix in ("B", "I") and prefix in ("B", "S", "O"):
        return True
    return prev_prefix != "O" and prev_type != kind


def get_spans(tags: Sequence[str]) -> list[TokenSpan]:
    """Return the chunks of a tag sequence in any scheme, as conlleval reads them.

    Args:
        tags: One tag per token (`'O'`, `'B-PER'`, ...), in IOB1, IOB2 or IOBES.

    Returns:
        `TokenSpan(start, end, label)` tuples in order; `end` is exclusive.

    Raises:
        ValueError: a tag is malformed.

    Example:
        >>> [tuple(s) for s in get_spans(["I-ORG", "I-ORG", "B-ORG", "O"])]
        [(0, 2, 'ORG'), (2, 3, 'ORG')]
    """
    spans = []
    start = None
    kind = ""
    prev = "O"
    for i, tag in enumerate(list(tags) + ["O"]):
        if start is not None and end_of_chunk(prev, tag):
            spans.append(TokenSpan(start, i, kind))
            start = None
        if i < len(tags) and start_of_chunk(prev, tag):
            start, kind = i, split_tag(tag)[1]
        prev = tag
    return spans


def spans_to_tags(
    spans: Sequence[tuple[int, int, str]], length: int, scheme: str = "iob2"
) -> list[str]:
    """Write non-overlapping token spans as tags in `scheme`.

    Args:
        spans: `(start, end, label)` tuples, `end` exclusive, sorted and not overlapping.
        length: Number of tokens.
        scheme: 'iob1', 'iob2' or 'iobes'.

    Returns:
        A list of `length` tags.

    Raises:
        ValueError: unknown scheme, or spans out of range / overlapping.
    """
    check_choice("scheme", scheme, SCHEMES)
    tags = ["O"] * length
    prev_end, prev_label = -1, None
    for start, end, label in spans:
        if not (0 <= start < end <= length) or start < max(prev_end, 0):
            raise ValueError(
                f"Spans must be sorted, non-overlapping and within [0, {length}]. "
                f"Received span ({start}, {end}, {label!r})"
            )
        for i in range(start, end):
            tags[i] = f"I-{label}"
        if scheme == "iob2":
            tags[start] = f"B-{label}"
        elif scheme == "iobes":
            if end - start == 1:
                tags[start] = f"S-{label}"
            else:
                tags[start] = f"B-{label}"
                tags[end - 1] = f"E-{label}"
        elif prev_end == start and prev_label == label:  # iob1
            tags[start] = f"B-{label}"
        prev_end, prev_label = end, label
    return tags


def convert_tags(tags: Sequence[str], scheme: str) -> list[str]:
    """Convert a tag sequence in any scheme to `scheme` ('iob1', 'iob2' or 'iobes').

    The chunks are read as conlleval reads them and written again, so the conversion is lossless
    between valid sequences of any two schemes.

    Example:
        >>> convert_tags(["B-PER", "E-PER", "S-PER"], "iob1")
        ['I-PER', 'I-PER', 'B-PER']
    """
    return spans_to_tags(get_spans(tags), len(tags), scheme)


def detect_scheme(sequences: Sequence[Sequence[str]]) -> str:
    """Guess the scheme of tagged data: 'iobes' if any `E-`/`S-` tag appears, 'iob1' if a chunk
    starts with `I-`, otherwise 'iob2'.

    Raises:
        ValueError: a tag is malformed.
    """
    iob1 = False
    for seq in sequences:
        prev = "O"
        for tag in seq:
            prefix, kind = split_tag(tag)
            if prefix in ("E", "S"):
                return "iobes"
            if prefix == "I" and start_of_chunk(prev, tag):
                iob1 = True
            prev = tag
    return "iob1" if iob1 else "iob2"


def chunk_tables(tags: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """conlleval's chunk rules as lookup tables over a tag set (for use inside a graph).

    Index `len(tags)` stands for the sentence boundary (read as 'O').

    Returns:
        `(starts, ends)`, two boolean arrays of shape `(K + 1, K + 1)`: `starts[p, c]` is
        `start_of_chunk(tags[p], tags[c])`; `ends[p, c]` is `end_of_chunk(tags[p], tags[c])`.
    """
    full = list(tags) + ["O"]
    n = len(full)
    starts = np.zeros((n, n), bool)
    ends = np.zeros((n, n), bool)
    for i, p in enumerate(full):
        for j, c in enumerate(full):
            starts[i, j] = start_of_chunk(p, c)
            ends[i, j] = end_of_chunk(p, c)
    return starts, ends


def allowed_transitions(
    tags: Sequence[str], scheme: str
) -> tuple[list[list[bool]], list[bool], list[bool]]:
    """Which tag-to-tag transitions are valid in `scheme` (for constrained CRF decoding).

    Args:
        tags: The tag set, in `scheme`.
        scheme: 'iob1', 'iob2' or 'iobes'.

    Returns:
        `(transitions, start, end)`: `transitions[i][j]` says whether `tags[j]` may follow
        `tags[i]`; `start[j]` whether a sentence may start with `tags[j]`; `end[i]` whether it
        may end with `tags[i]`.

    Example:
        >>> trans, start, end = allowed_transitions(["O", "B-PER", "I-PER"], "iob2")
        >>> trans[0][2], start[2], trans[1][2]
        (False, False, True)
    """
    check_choice("scheme", scheme, SCHEMES)
    parts = [split_tag(t) for t in tags]

    def ok(prev: tuple[str, str] | None, cur: tuple[str, str] | None) -> bool:
        pp, pt = prev if prev else ("O", "")
        cp, ct = cur if cur else ("O", "")
        if scheme == "iob2":
            return cp != "I" or (pp in ("B", "I") and pt == ct)
        if scheme == "iob1":
            if cp == "B":
                return pp in ("B", "I") and pt == ct
            return cp in ("I", "O")
        # iobes
        if pp in ("B", "I"):
            return cp in ("I", "E") and pt == ct
        return cp in ("B", "S", "O")

    if scheme != "iobes" and any(p in ("E", "S") for p, _ in parts):
        raise ValueError(f"Tags with 'E-'/'S-' prefixes are not valid in scheme {scheme!r}.")
    trans = [[ok(a, b) for b in parts] for a in parts]
    start = [ok(None, b) for b in parts]
    end = [ok(a, None) for a in parts]
    return trans, start, end
