"""Word tokenisation with character offsets, identical in Python and inside a TensorFlow graph.

A token is either a run of word characters (Unicode letters, marks, numbers, and `_`) or a single
other non-space character (punctuation, symbols). Spaces (Unicode `Z*` categories and
`\\t\\n\\v\\f\\r`) separate tokens. Offsets are **character (code point) offsets into the Python
string**, end exclusive, so `text[start:end] == token` both for `tokenize` and for the in-graph
`tf_tokenize`, which decodes UTF-8 before measuring.

The module also computes a small casing feature per token (Reimers & Gurevych 2017), the same way in
Python and in the graph.

Example:
    >>> tokenize("Mr. Müller lives in São Paulo.")
    [('Mr', 0, 2), ('.', 2, 3), ('Müller', 4, 10), ('lives', 11, 16), ('in', 17, 19), ('São', 20, 23), ('Paulo', 24, 29), ('.', 29, 30)]
"""

from __future__ import annotations

import unicodedata

import tensorflow as tf

__all__ = [
    "tokenize",
    "tf_tokenize",
    "CASING_CLASSES",
    "casing_id",
    "tf_casing_ids",
]

_SPACE_RE = r"[\t\n\v\f\r\p{Z}]"
_WORD_RE = r"[\p{L}\p{M}\p{N}_]"

#: Casing classes; index 0 is padding.
CASING_CLASSES = ("<pad>", "other", "numeric", "lower", "upper", "title", "has_digit")


def _char_class(ch: str) -> int:
    """0 = space, 1 = word character, 2 = other (a token by itself)."""
    cat = unicodedata.category(ch)
    if cat[0] == "Z" or ch in "\t\n\v\f\r":
        return 0
    if cat[0] in "LMN" or ch == "_":
        return 1
    return 2


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """Split `text` into `(token, start_char, end_char)` triples.

    Args:
        text: A raw sentence.

    Returns:
        Tokens with character offsets (`text[start:end] == token`).

    Raises:
        TypeError: `text` is not a string.
    """
    if not isinstance(text, str):
        raise TypeError(f"`text` must be a string. Received {type(text).__name__}: {text!r:.60}")
    out = []
    start = None
    for i, ch in enumerate(text):
        c = _char_class(ch)
        if start is not None and (c != 1):
            out.append((text[start:i], start, i))
            start = None
        if c == 1 and start is None:
            start = i
        elif c == 2:
            out.append((ch, i, i + 1))
    if start is not None:
        out.append((text[start:], start, len(text)))
    return out


def tf_tokenize(sentences: tf.Tensor) -> tuple[tf.RaggedTensor, tf.RaggedTensor, tf.RaggedTensor]:
    """In-graph `tokenize` over a batch of UTF-8 sentences.

    Args:
        sentences: A 1-D `tf.string` tensor.

    Returns:
        `(tokens, starts, ends)`: ragged `[batch, (tokens)]` tensors of strings, int32 character
        start offsets, int32 character end offsets (exclusive), equal to `tokenize`'s output.
    """
    sentences = tf.convert_to_tensor(sentences, tf.string)
    chars = tf.strings.unicode_split(sentences, "UTF-8")  # [B, (chars)]
    flat = chars.flat_values
    is_space = tf.strings.regex_full_match(flat, _SPACE_RE)
    is_word = tf.strings.regex_full_match(flat, _WORD_RE)
    cls = tf.where(is_space, 0, tf.where(is_word, 1, 2))
    cls = chars.with_flat_values(tf.cast(cls, tf.int32))
    # Previous / next character classes within each row (space at the boundaries).
    pad = tf.zeros([cls.nrows(), 1], tf.int32)
    padded = tf.concat([pad, cls, pad], axis=1)  # ragged [B, (n + 2)]
    prev = padded[:, :-2]
    nxt = padded[:, 2:]
    cur = cls
    starts_flag = tf.logical_or(
        tf.equal(cur.flat_values, 2),
        tf.logical_and(tf.equal(cur.flat_values, 1), tf.not_equal(prev.flat_values, 1)),
    )
    ends_flag = tf.logical_or(
        tf.equal(cur.flat_values, 2),
        tf.logical_and(tf.equal(cur.flat_values, 1), tf.not_equal(nxt.flat_values, 1)),
    )
    positions = tf.ragged.range(chars.row_lengths(), dtype=tf.int64)
    pos = tf.cast(positions.flat_values, tf.int32)
    rowids = chars.value_rowids()
    start_pos = tf.boolean_mask(pos, starts_flag)
    end_pos = tf.boolean_mask(pos, ends_flag) + 1
    token_rows = tf.boolean_mask(rowids, starts_flag)
    nrows = tf.shape(sentences, out_type=tf.int64)[0]
    starts = tf.RaggedTensor.from_value_rowids(start_pos, token_rows, nrows=nrows)
    ends = tf.RaggedTensor.from_value_rowids(end_pos, token_rows, nrows=nrows)
    texts = tf.strings.substr(
        tf.gather(sentences, token_rows), start_pos, end_pos - start_pos, unit="UTF8_CHAR"
    )
    tokens = tf.RaggedTensor.from_value_rowids(texts, token_rows, nrows=nrows)
    return tokens, starts, ends


def casing_id(token: str) -> int:
    """The casing class of a token (an index into `CASING_CLASSES`; never 0 for a token)."""
    cats = [unicodedata.category(c) for c in token]
    if not cats:
        return 0
    if all(c == "Nd" for c in cats):
        return 2
    if all(c == "Ll" for c in cats):
        return 3
    if all(c == "Lu" for c in cats):
        return 4
    if cats[0] == "Lu" and len(cats) > 1 and all(c == "Ll" for c in cats[1:]):
        return 5
    if "Nd" in cats:
        return 6
    return 1


def tf_casing_ids(tokens: tf.Tensor) -> tf.Tensor:
    """In-graph `casing_id` for a string tensor of any shape ('' gives 0)."""
    tokens = tf.convert_to_tensor(tokens, tf.string)
    rules = [
        (r"\p{Nd}+", 2),
        (r"\p{Ll}+", 3),
        (r"\p{Lu}+", 4),
        (r"\p{Lu}\p{Ll}+", 5),
        (r".*\p{Nd}.*", 6),
    ]
    out = tf.where(tf.equal(tokens, ""), 0, 1)
    for pattern, value in reversed(rules):
        out = tf.where(tf.strings.regex_full_match(tokens, pattern), value, out)
    return tf.cast(out, tf.int32)
