"""`TokenVocabulary` and `split_tokens`: the word/character vocabulary of the translator.

Text is split in the graph (`split_tokens`: characters, or words with punctuation split off),
and a `TokenVocabulary` maps tokens to ids with an in-graph hash table. Ids 0-3 are the shared
special ids (`nlpkit.text.special_ids`): padding `""`, unknown `"[UNK]"`, start `"<s>"`, end
`"</s>"`; tokens follow, most frequent first (ties in string order).

Example:
    >>> import tensorflow as tf
    >>> tokens = split_tokens(tf.constant(["the cat.", "a cat"]), "word", lowercase=False)
    >>> vocab = TokenVocabulary.from_token_lists(
    ...     [[t.decode() for t in row] for row in tokens.to_list()])
    >>> vocab.tokens[4:]
    ['cat', '.', 'a', 'the']
    >>> vocab.lookup(split_tokens(tf.constant(["a dog"]), "word", False)).to_list()
    [[6, 1]]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import tensorflow as tf

from nlpkit.text.special_ids import UNK_ID
from nlpkit.utils.validation import check_choice

__all__ = [
    "TokenVocabulary",
    "split_tokens",
    "detokenize_words",
    "SPECIAL_TOKENS",
    "PAD",
    "UNK",
    "BOS",
    "EOS",
    "LEVELS",
]

PAD, UNK, BOS, EOS = "", "[UNK]", "<s>", "</s>"
SPECIAL_TOKENS = (PAD, UNK, BOS, EOS)
LEVELS = ("char", "word")


def split_tokens(texts: tf.Tensor, level: str, lowercase: bool) -> tf.RaggedTensor:
    """`(B,)` strings -> ragged `(B, None)` tokens, in the graph.

    Args:
        texts: A 1-D `tf.string` tensor.
        level: 'char' (Unicode characters; tabs and newlines become spaces) or 'word' (runs of
            non-space characters, every character that is not a letter, digit or space split off
            as its own token).
        lowercase: Lowercase (UTF-8 aware) first.

    Returns:
        A `tf.RaggedTensor` of token strings.
    """
    check_choice("level", level, LEVELS)
    if lowercase:
        texts = tf.strings.lower(texts, encoding="utf-8")
    if level == "char":
        texts = tf.strings.regex_replace(texts, r"[\r\n\t]", " ")
        return tf.strings.unicode_split(texts, "UTF-8")
    texts = tf.strings.regex_replace(texts, r"([^\pL\pN\s])", r" \1 ")
    return tf.strings.split(texts)


# (pattern, replacement) pairs of `detokenize_words`, applied in order (RE2 syntax).
_DETOKENIZE_RULES = (
    (r" ([.,!?;:%)\]}])", r"\1"),  # no space before closing punctuation
    (r"([(\[{]) ", r"\1"),  # nor after opening brackets
    (r"(\pL) (['’]) (\pL)", r"\1\2\3"),  # woman ' s -> woman's
    (r"(\pL|\pN) ([-/]) (\pL|\pN)", r"\1\2\3"),  # T - shirt -> T-shirt, 1 / 2 -> 1/2
)


def detokenize_words(texts: tf.Tensor) -> tf.Tensor:
    """Undo `split_tokens(..., "word", ...)` joined with spaces: attach punctuation again.

    A rule-based inverse in the graph: no space before closing punctuation or after opening
    brackets, and apostrophes, hyphens and slashes between letters or digits rejoin their
    neighbours. Quotes stay spaced (their side is ambiguous).

    Example:
        >>> text = tf.constant(["ein mann ( mit hut ) , der t - shirt ' s trägt ."])
        >>> detokenize_words(text).numpy()[0].decode()
        "ein mann (mit hut), der t-shirt's trägt."
    """
    for pattern, replacement in _DETOKENIZE_RULES:
        texts = tf.strings.regex_replace(texts, pattern, replacement)
    return texts


class TokenVocabulary:
    """A token list with an in-graph lookup table (ids 0-3 are PAD, UNK, BOS, EOS).

    Args:
        tokens: The tokens in id order, the four special tokens first.
    """

    def __init__(self, tokens: Sequence[str]):
        self.tokens = list(tokens)
        keys = tf.constant(self.tokens[1:], tf.string)
        values = tf.range(1, len(self.tokens), dtype=tf.int64)
        self.table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(keys, values), default_value=UNK_ID
        )

    @staticmethod
    def build(
        token_lists: Iterable[Sequence[str]], max_size: int | None = None, min_count: int = 1
    ) -> list[str]:
        """The token list (specials first, then by falling count, ties in string order)."""
        counts = Counter(t for toks in token_lists for t in toks)
        items = sorted(
            ((t, c) for t, c in counts.items() if c >= min_count and t not in SPECIAL_TOKENS),
            key=lambda tc: (-tc[1], tc[0]),
        )
        if max_size is not None:
            items = items[: max(0, max_size - len(SPECIAL_TOKENS))]
        return list(SPECIAL_TOKENS) + [t for t, _ in items]

    @classmethod
    def from_token_lists(
        cls, token_lists: Iterable[Sequence[str]], max_size: int | None = None, min_count: int = 1
    ) -> TokenVocabulary:
        """Count tokens and keep at most `max_size` (specials included) seen `min_count` times."""
        return cls(cls.build(token_lists, max_size, min_count))

    def __len__(self) -> int:
        return len(self.tokens)

    def lookup(self, tokens: tf.RaggedTensor) -> tf.RaggedTensor:
        """Ragged token strings -> ragged int32 ids (unknown tokens -> `UNK_ID`)."""
        return tf.cast(tf.ragged.map_flat_values(self.table.lookup, tokens), tf.int32)
