"""Bridge to Keras: an embedding matrix for a lookup vocabulary, with an out-of-vocabulary policy."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from nlpkit.utils.validation import check_choice, check_int

__all__ = [
    "OOVReport",
    "embedding_matrix",
    "add_pretrained_words",
    "STAGES",
    "PAD_TOKEN",
    "UNK_TOKEN",
]

logger = logging.getLogger(__name__)

#: Look-up stages, in the order they are tried.
STAGES = ("exact", "lower", "digits", "subword")
#: Keras `StringLookup`/`TextVectorization` conventions: index 0 is padding, then the OOV token.
PAD_TOKEN = ""
UNK_TOKEN = "[UNK]"
_DIGIT = re.compile(r"\d")


@dataclasses.dataclass
class OOVReport:
    """How the words of a vocabulary were found in a set of vectors.

    The padding entry ``''`` and the OOV entry ``'[UNK]'`` are not counted.

    Attributes:
        total: Number of vocabulary words looked up.
        found: Words found at each stage (``exact``, ``lower``, ``digits``, ``subword``).
        missing: Words found at no stage (initialised by the `oov` policy).
        rate: ``missing / total`` (0.0 for an empty vocabulary).
        top_missing: Missing words, most frequent first when counts were given (vocabulary
            order otherwise), at most 20.
        policy: The `oov` policy used for missing words (``'random'`` or ``'zeros'``).
        dim: Vector dimension.
        top_missing_counts: Counts of `top_missing` when counts were given, else None.
    """

    total: int
    found: dict[str, int]
    missing: int
    rate: float
    top_missing: list[str]
    policy: str = "random"
    dim: int = 0
    top_missing_counts: list[int] | None = None

    @property
    def hits(self) -> int:
        """Words found at any stage."""
        return sum(self.found.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (stored in model cards)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> OOVReport:
        return cls(**dict(d))

    def __str__(self) -> str:
        stages = " ".join(f"{k}={v}" for k, v in self.found.items())
        if self.top_missing_counts is not None:
            shown = ", ".join(
                f"{w!r} ({c})"
                for w, c in zip(self.top_missing[:5], self.top_missing_counts[:5], strict=False)
            )
        else:
            shown = ", ".join(repr(w) for w in self.top_missing[:5])
        text = (
            f"OOV {self.missing}/{self.total} words ({100 * self.rate:.1f}%) -> {self.policy}; "
            f"found {stages}"
        )
        return text + (f"; top missing: {shown}" if shown else "")


def _candidates(word: str):
    """(stage, key) pairs to try for `word`, in cascade order (without subwords)."""
    yield "exact", word
    lower = word.lower()
    if lower != word:
        yield "lower", lower
    if _DIGIT.search(word):
        for form in (word, lower) if lower != word else (word,):
            yield "digits", _DIGIT.sub("0", form)
            yield "digits", _DIGIT.sub("#", form)


def embedding_matrix(
    vocabulary: Sequence[str],
    vectors: Any,
    *,
    oov: str = "random",
    seed: int = 0,
    counts: Mapping[str, int] | None = None,
    log: bool = True,
) -> tuple[np.ndarray, OOVReport]:
    """Build the weight matrix of an embedding layer for a lookup vocabulary.

    Row ``i`` holds the vector of ``vocabulary[i]``. Keras lookup conventions are followed: the
    padding entry ``''`` gets a zero row and ``'[UNK]'`` gets a random row (zeros with
    ``oov='zeros'``); neither counts as out of vocabulary. Every other word is looked up in this
    order, stopping at the first hit: exact; lower-cased; digits normalised (every digit replaced by
    ``'0'``, then by ``'#'``, on the word and on its lower-case form); fastText subwords when
    `vectors` can compose vectors for unseen words (a gensim `FastTextKeyedVectors`). Words found at
    no stage get a seeded normal vector scaled to the standard deviation of the known vectors
    (``oov='random'``) or zeros (``oov='zeros'``).

    Args:
        vocabulary: The lookup vocabulary, index order (e.g. ``TextVectorization.get_vocabulary()``).
        vectors: A `KeyedVectors`, or anything `nlpkit.embeddings.load` accepts (path, preset name).
        oov: ``'random'`` or ``'zeros'``: initialisation of missing words and of ``'[UNK]'``.
        seed: Seed of the random rows (the same seed gives the same matrix).
        counts: Optional word frequencies; the report then ranks missing words by frequency.
        log: Log the one-line report at INFO level (logger ``nlpkit.embeddings.oov``).

    Returns:
        ``(matrix, report)``: a float32 array of shape ``(len(vocabulary), dim)`` and an `OOVReport`.

    Raises:
        ValueError: Unknown `oov` policy, or an empty vocabulary.
        TypeError: `vocabulary` is not a list of strings.

    Example:
        >>> import nlpkit.embeddings as emb
        >>> from gensim.models import KeyedVectors
        >>> kv = KeyedVectors(2); kv.add_vectors(["the", "cat"], [[1.0, 0.0], [0.0, 1.0]])
        >>> m, report = emb.embedding_matrix(["", "[UNK]", "The", "cat", "dog"], kv, seed=0)
        >>> m.shape, report.found["lower"], report.missing
        ((5, 2), 1, 1)
    """
    from nlpkit.embeddings.loaders import load

    check_choice("oov", oov, ("random", "zeros"))
    seed = check_int("seed", seed)
    if isinstance(vocabulary, str):
        raise TypeError("`vocabulary` must be a list of strings, not a single string.")
    vocabulary = list(vocabulary)
    if not vocabulary:
        raise ValueError("`vocabulary` is empty: at least one word is needed.")
    for i, w in enumerate(vocabulary):
        if not isinstance(w, str):
            raise TypeError(
                f"`vocabulary` must contain only strings. Received {type(w).__name__} at index {i}: {w!r:.60}"
            )
    kv = load(vectors)
    dim = int(kv.vector_size)
    index = kv.key_to_index
    subwords = _has_subwords(kv)

    matrix = np.zeros((len(vocabulary), dim), dtype=np.float32)
    found = dict.fromkeys(STAGES, 0)
    missing_rows: list[int] = []
    unk_rows: list[int] = []
    for row, word in enumerate(vocabulary):
        if word == PAD_TOKEN:
            continue
        if word == UNK_TOKEN:
            unk_rows.append(row)
            continue
        for stage, key in _candidates(word):
            if key in index:
                matrix[row] = kv.vectors[index[key]]
                found[stage] += 1
                break
        else:
            vec = kv.get_vector(word) if subwords else None
            if vec is not None and np.any(vec):
                matrix[row] = vec
                found["subword"] += 1
            else:
                missing_rows.append(row)

    random_rows = missing_rows + unk_rows
    if oov == "random" and random_rows:
        scale = _vector_std(kv)
        rng = np.random.default_rng(seed)
        matrix[sorted(random_rows)] = rng.normal(0.0, scale, size=(len(random_rows), dim)).astype(
            np.float32
        )

    missing_words = [vocabulary[r] for r in missing_rows]
    top_counts = None
    if counts is not None:
        missing_words = sorted(missing_words, key=lambda w: -int(counts.get(w, 0)))
        top_counts = [int(counts.get(w, 0)) for w in missing_words[:20]]
    total = sum(found.values()) + len(missing_rows)
    report = OOVReport(
        total=total,
        found=found,
        missing=len(missing_rows),
        rate=len(missing_rows) / total if total else 0.0,
        top_missing=missing_words[:20],
        policy=oov,
        dim=dim,
        top_missing_counts=top_counts,
    )
    if log:
        logger.info("%s", report)
    return matrix, report


def _has_subwords(kv) -> bool:
    """True for fastText vectors that can compose a vector for an unseen word."""
    from gensim.models.fasttext import FastTextKeyedVectors

    return (
        isinstance(kv, FastTextKeyedVectors)
        and getattr(kv, "bucket", 0) > 0
        and len(kv.vectors_ngrams) > 0
    )


def _vector_std(kv, sample: int = 100_000) -> float:
    vecs = np.asarray(kv.vectors[:sample], dtype=np.float64)
    return float(vecs.std()) if vecs.size else 1.0


def add_pretrained_words(vocabulary: list[str], vectors, limit: int | None) -> list[str]:
    """`vocabulary` followed by the `limit` most frequent pretrained words it lacks (None: all).

    Only words that whitespace splitting can produce are added; the lookup is exact (the
    pretrained key itself), so every added word has a vector.

    Example:
        >>> class Vectors:
        ...     index_to_key = ["the", "new york", "cat", "dog"]
        >>> add_pretrained_words(["<pad>", "cat"], Vectors(), 3)
        ['<pad>', 'cat', 'the']
    """
    seen = set(vocabulary)
    out = list(vocabulary)
    for w in vectors.index_to_key[:limit]:
        if w and w not in seen and not any(c.isspace() for c in w):
            out.append(w)
            seen.add(w)
    return out
