"""`CharVocabulary`: characters <-> ids, with reserved ids and an unknown-character policy.

Ids 0-3 are reserved: 0 padding, 1 unknown character, 2 start of item (BOS), 3 end of item (EOS);
characters follow, most frequent first (ties in code-point order). Characters are Unicode code
points, exactly as Python's `list(text)` and `tf.strings.unicode_split(text, "UTF-8")` split them,
so the Python encoder and the in-graph encoder (`CharVocabulary.lookup()`) agree.

The unknown-character policy says what happens to a character outside the vocabulary:

- `"replace"`: it becomes the unknown id (1);
- `"skip"`: it is dropped;
- `"error"`: `encode` raises `ValueError` (in a graph: `tf.errors.InvalidArgumentError`).
"""

from __future__ import annotations

import collections
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import tensorflow as tf

from nlpkit.text.special_ids import BOS_ID, EOS_ID, PAD_ID, UNK_ID  # shared by every vocabulary
from nlpkit.utils.files import read_json, write_json
from nlpkit.utils.validation import check_choice, check_int

__all__ = [
    "CharVocabulary",
    "CharLookup",
    "UNKNOWN_POLICIES",
    "PAD_ID",
    "UNK_ID",
    "BOS_ID",
    "EOS_ID",
]

UNKNOWN_POLICIES = ("replace", "skip", "error")
SPECIAL_TOKENS = ("<pad>", "<unk>", "<s>", "</s>")


class CharVocabulary:
    """A character vocabulary with reserved ids and an unknown-character policy.

    Args:
        chars: The characters, in id order (ids start at 4). Each must be a single code point
            and appear once.
        unknown: Policy for characters outside the vocabulary: 'replace', 'skip' or 'error'.

    Raises:
        ValueError: an entry is not a single character, is repeated, or `unknown` is invalid.

    Example:
        >>> vocab = CharVocabulary.from_texts(["anna", "bob"])
        >>> vocab.encode("nab", add_bos=True, add_eos=True)
        [2, 6, 4, 5, 3]
        >>> vocab.decode([6, 4, 5, 3])
        'nab'
    """

    def __init__(self, chars: Sequence[str], unknown: str = "replace"):
        self.unknown = check_choice("unknown", unknown, UNKNOWN_POLICIES)
        chars = list(chars)
        seen = set()
        for i, c in enumerate(chars):
            if not isinstance(c, str) or len(c) != 1:
                raise ValueError(
                    f"Every vocabulary entry must be a single character. Received {c!r} at index {i}"
                )
            if c in seen:
                raise ValueError(f"Character {c!r} appears twice in the vocabulary (index {i}).")
            seen.add(c)
        self.chars = chars
        self._index = {c: i + len(SPECIAL_TOKENS) for i, c in enumerate(chars)}

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_texts(
        cls,
        texts: Iterable[str],
        *,
        min_count: int = 1,
        max_chars: int | None = None,
        unknown: str = "replace",
    ) -> CharVocabulary:
        """Build a vocabulary from the characters of `texts`.

        Args:
            texts: Strings to count characters in.
            min_count: Characters seen fewer times are left out (they become unknown).
            max_chars: Keep at most this many characters (the most frequent); None keeps all.
            unknown: The unknown-character policy.

        Returns:
            The vocabulary, most frequent characters first.
        """
        min_count = check_int("min_count", min_count, 1)
        max_chars = check_int("max_chars", max_chars, 1, allow_none=True)
        counts: collections.Counter[str] = collections.Counter()
        for t in texts:
            counts.update(t)
        items = sorted(
            ((c, n) for c, n in counts.items() if n >= min_count), key=lambda cn: (-cn[1], cn[0])
        )
        if max_chars is not None:
            items = items[:max_chars]
        return cls([c for c, _ in items], unknown=unknown)

    # ------------------------------------------------------------------ properties
    @property
    def tokens(self) -> list[str]:
        """All entries in id order: the four reserved tokens, then the characters."""
        return list(SPECIAL_TOKENS) + self.chars

    @property
    def size(self) -> int:
        """Number of ids, reserved ones included."""
        return len(SPECIAL_TOKENS) + len(self.chars)

    def __len__(self) -> int:
        return self.size

    def __contains__(self, char: str) -> bool:
        return char in self._index

    pad_id, unk_id, bos_id, eos_id = PAD_ID, UNK_ID, BOS_ID, EOS_ID

    # ------------------------------------------------------------------ Python encoding
    def unknown_chars(self, text: str) -> list[str]:
        """The distinct characters of `text` that are not in the vocabulary, in order of appearance."""
        return list(dict.fromkeys(c for c in text if c not in self._index))

    def encode(self, text: str, *, add_bos: bool = False, add_eos: bool = False) -> list[int]:
        """Map a string to ids, applying the unknown-character policy.

        Raises:
            ValueError: `unknown="error"` and `text` has characters outside the vocabulary.
        """
        if self.unknown == "error":
            missing = self.unknown_chars(text)
            if missing:
                raise ValueError(
                    f"Text contains characters outside the vocabulary: {missing!r:.200}. "
                    "Remove them, or use unknown='replace' or 'skip'."
                )
        if self.unknown == "skip":
            ids = [self._index[c] for c in text if c in self._index]
        else:
            ids = [self._index.get(c, UNK_ID) for c in text]
        return ([BOS_ID] if add_bos else []) + ids + ([EOS_ID] if add_eos else [])

    def decode(self, ids: Iterable[int], *, stop_at_eos: bool = True) -> str:
        """Map ids back to a string; reserved ids are dropped (decoding stops at EOS by default)."""
        out = []
        tokens = self.tokens
        for i in ids:
            i = int(i)
            if i == EOS_ID and stop_at_eos:
                break
            if i >= len(SPECIAL_TOKENS):
                out.append(tokens[i])
        return "".join(out)

    # ------------------------------------------------------------------ persistence
    def get_config(self) -> dict:
        return {"chars": list(self.chars), "unknown": self.unknown}

    @classmethod
    def from_config(cls, config: dict) -> CharVocabulary:
        return cls(**config)

    def save(self, path: str | os.PathLike) -> None:
        """Write the vocabulary as JSON text (a list of characters; newlines survive)."""
        write_json(path, {"special_tokens": list(SPECIAL_TOKENS), **self.get_config()})

    @classmethod
    def load(cls, path: str | os.PathLike) -> CharVocabulary:
        data = read_json(Path(path))
        return cls(data["chars"], unknown=data.get("unknown", "replace"))

    # ------------------------------------------------------------------ in-graph lookup
    def lookup(self) -> CharLookup:
        """A `tf.Module` encoding/decoding inside a graph (track it in exported modules)."""
        return CharLookup(self.chars, self.unknown)

    def __repr__(self) -> str:
        return f"CharVocabulary({len(self.chars)} characters, unknown={self.unknown!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, CharVocabulary) and other.get_config() == self.get_config()


class CharLookup(tf.Module):
    """In-graph twin of `CharVocabulary.encode`/`decode` (a static hash table plus a string table).

    Args:
        chars: The vocabulary's characters, in id order.
        unknown: The unknown-character policy ('replace', 'skip', 'error').

    Example:
        >>> lut = CharVocabulary.from_texts(["anna"]).lookup()
        >>> lut.encode(tf.constant(["na"])).to_list()
        [[5, 4]]
    """

    def __init__(self, chars: Sequence[str], unknown: str = "replace", name: str | None = None):
        super().__init__(name=name)
        self.unknown = check_choice("unknown", unknown, UNKNOWN_POLICIES)
        keys = tf.constant(list(chars) or [""], tf.string)
        values = tf.range(
            len(SPECIAL_TOKENS), len(SPECIAL_TOKENS) + max(len(chars), 1), dtype=tf.int64
        )
        default = UNK_ID if self.unknown == "replace" else -1
        self.table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(keys, values),
            default_value=tf.constant(default, tf.int64),
        )
        self.strings = tf.constant(["", "", "", ""] + list(chars), tf.string)

    def encode(self, texts) -> tf.RaggedTensor:
        """`(batch,)` strings -> ragged `(batch, None)` int32 ids, policy applied."""
        chars = tf.strings.unicode_split(texts, "UTF-8", errors="replace")
        ids = tf.ragged.map_flat_values(self.table.lookup, chars)
        if self.unknown == "skip":
            ids = tf.ragged.boolean_mask(ids, ids >= 0)
        elif self.unknown == "error":
            tf.debugging.assert_non_negative(
                ids.flat_values,
                message="Text contains characters outside the vocabulary (unknown='error').",
            )
        return tf.cast(ids, tf.int32)

    def decode(self, ids) -> tf.Tensor:
        """`(batch, time)` ids (dense or ragged) -> `(batch,)` strings; reserved ids become ''."""
        pieces = tf.gather(self.strings, tf.cast(ids, tf.int32))
        return tf.strings.reduce_join(pieces, axis=-1)
