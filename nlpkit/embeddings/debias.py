"""Hard debiasing of word vectors: neutralise and equalise (Bolukbasi et al., NeurIPS 2016).

"Man is to Computer Programmer as Woman is to Homemaker? Debiasing Word Embeddings",
Bolukbasi, Chang, Zou, Saligrama and Kalai, 2016:

1. Identify a bias direction g: centre each definitional pair (``she``/``he``, ...) of unit
   vectors on its mean and take the first principal component of the centred vectors.
2. Neutralise: remove the component along g from every word that should be neutral (all words
   except the gender-specific ones) and renormalise it to unit length.
3. Equalise: move each equality pair (``king``/``queen``, ...) so that both words differ only
   along g and are equidistant from every neutralised word.

All vectors are unit-normalised, as in the paper.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from nlpkit.utils.validation import check_int

if TYPE_CHECKING:  # pragma: no cover
    from gensim.models import KeyedVectors

__all__ = [
    "GENDER_DEFINITIONAL_PAIRS",
    "GENDER_EQUALIZE_PAIRS",
    "bias_direction",
    "neutralize",
    "equalize",
    "debias",
    "bias_projection",
]

#: The ten definitional pairs of Bolukbasi et al. (2016), lower-cased.
GENDER_DEFINITIONAL_PAIRS: tuple[tuple[str, str], ...] = (
    ("woman", "man"), ("girl", "boy"), ("she", "he"), ("mother", "father"), ("daughter", "son"),
    ("gal", "guy"), ("female", "male"), ("her", "his"), ("herself", "himself"), ("mary", "john"),
)  # fmt: skip
#: Equality pairs (lower-cased subset of the paper's ``equalize_pairs.json``), written female, male.
GENDER_EQUALIZE_PAIRS: tuple[tuple[str, str], ...] = (
    ("woman", "man"), ("women", "men"), ("girl", "boy"), ("girls", "boys"), ("she", "he"),
    ("her", "his"), ("herself", "himself"), ("mother", "father"), ("mothers", "fathers"),
    ("daughter", "son"), ("daughters", "sons"), ("sister", "brother"), ("sisters", "brothers"),
    ("aunt", "uncle"), ("niece", "nephew"), ("queen", "king"), ("queens", "kings"),
    ("princess", "prince"), ("grandmother", "grandfather"), ("granddaughter", "grandson"),
    ("mom", "dad"), ("moms", "dads"), ("wife", "husband"), ("wives", "husbands"),
    ("lady", "gentleman"), ("ladies", "gentlemen"), ("female", "male"), ("females", "males"),
    ("spokeswoman", "spokesman"), ("chairwoman", "chairman"), ("businesswoman", "businessman"),
    ("congresswoman", "congressman"), ("councilwoman", "councilman"), ("sorority", "fraternity"),
    ("motherhood", "fatherhood"), ("schoolgirl", "schoolboy"), ("nun", "priest"), ("mare", "stallion"),
    ("actress", "actor"), ("heroine", "hero"), ("waitress", "waiter"),
)  # fmt: skip


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(n == 0, 1.0, n)


def _vec(kv, word: str) -> np.ndarray:
    if word not in kv.key_to_index:
        raise KeyError(
            f"{word!r} is not in the vocabulary of these vectors ({len(kv.index_to_key)} words)."
        )
    return _unit(kv.vectors[kv.key_to_index[word]])


def bias_direction(
    vectors: Any,
    pairs: Sequence[tuple[str, str]] = GENDER_DEFINITIONAL_PAIRS,
    *,
    n_components: int = 1,
) -> np.ndarray:
    """The bias direction: first principal component of the centred definitional pairs.

    Pairs with a word missing from the vocabulary are skipped. The sign is chosen so that the
    first usable pair's first word projects positively (``woman`` for the default pairs).

    Args:
        vectors: A `KeyedVectors`, or anything `nlpkit.embeddings.load` accepts.
        pairs: Definitional pairs.
        n_components: Return this many principal directions (rows), strongest first.

    Returns:
        A unit vector of shape ``(dim,)`` (``(n_components, dim)`` when ``n_components > 1``).

    Raises:
        ValueError: Fewer than one usable pair.

    Example:
        >>> import nlpkit.embeddings as emb
        >>> g = emb.bias_direction("glove-6B-50d")  # doctest: +SKIP
    """
    from nlpkit.embeddings.loaders import load

    kv = load(vectors)
    n_components = check_int("n_components", n_components, minimum=1)
    rows, first = [], None
    for pair in pairs:
        if len(pair) != 2:
            raise ValueError(f"`pairs` must hold (word, word) pairs. Received: {pair!r}")
        a, b = pair
        if a not in kv.key_to_index or b not in kv.key_to_index:
            continue
        va, vb = _vec(kv, a), _vec(kv, b)
        center = (va + vb) / 2
        rows += [va - center, vb - center]
        first = first if first is not None else va - vb
    if not rows:
        raise ValueError(
            f"None of the {len(pairs)} definitional pairs has both words in the vocabulary."
        )
    matrix = np.array(rows)
    _, _, vt = np.linalg.svd(matrix - matrix.mean(axis=0), full_matrices=False)
    directions = vt[:n_components]
    directions *= np.sign(directions @ first)[:, None] + (directions @ first == 0)[:, None]
    return directions[0] if n_components == 1 else directions


def neutralize(vectors: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Remove the component along `direction` and renormalise to unit length.

    Args:
        vectors: One vector ``(dim,)`` or a matrix ``(n, dim)``.
        direction: The bias direction ``(dim,)`` (normalised here).

    Returns:
        Unit vectors orthogonal to `direction`, same shape as `vectors`.
    """
    g = _unit(direction)
    v = _unit(vectors)
    return _unit(v - np.outer(v.reshape(-1, g.size) @ g, g).reshape(v.shape))


def equalize(a: np.ndarray, b: np.ndarray, direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Make `a` and `b` unit vectors that differ only along `direction`.

    Their common part is the mean's component orthogonal to `direction`; so every vector
    orthogonal to `direction` has the same dot product with both (equidistant).

    Returns:
        The equalised ``(a, b)``; `a` keeps the side of `direction` it was on.
    """
    g = _unit(direction)
    a, b = _unit(a), _unit(b)
    mu = (a + b) / 2
    nu = mu - (mu @ g) * g
    z = np.sqrt(max(0.0, 1.0 - float(nu @ nu)))
    if (a - b) @ g < 0:
        z = -z
    return nu + z * g, nu - z * g


def bias_projection(vectors: Any, words: Iterable[str], direction: np.ndarray) -> dict[str, float]:
    """Cosine of each word with the bias direction (positive: the direction's side).

    Raises:
        KeyError: A word is not in the vocabulary.
    """
    from nlpkit.embeddings.loaders import load

    kv = load(vectors)
    g = _unit(direction)
    return {w: float(_vec(kv, w) @ g) for w in words}


def debias(
    vectors: Any,
    *,
    definitional_pairs: Sequence[tuple[str, str]] = GENDER_DEFINITIONAL_PAIRS,
    equalize_pairs: Sequence[tuple[str, str]] = GENDER_EQUALIZE_PAIRS,
    specific_words: Iterable[str] = (),
    neutral_words: Iterable[str] | None = None,
    direction: np.ndarray | None = None,
) -> KeyedVectors:
    """Hard-debias word vectors (neutralise, then equalise); returns a new `KeyedVectors`.

    Args:
        vectors: A `KeyedVectors`, or anything `nlpkit.embeddings.load` accepts (not modified).
        definitional_pairs: Pairs that define the bias direction.
        equalize_pairs: Pairs made equidistant from every neutral word (``(female, male)``
            order is not required). Pairs with a missing word are skipped.
        specific_words: Extra words that legitimately carry the attribute and are not neutralised
            (the words of both pair lists are never neutralised).
        neutral_words: Neutralise exactly these words instead of every non-specific word.
        direction: Use this bias direction instead of computing it from `definitional_pairs`.

    Returns:
        A new `KeyedVectors` with the same words, every vector unit-normalised.

    Example:
        >>> import nlpkit.embeddings as emb
        >>> kv = emb.debias(emb.load("glove-6B-50d", limit=50000))  # doctest: +SKIP
        >>> g = emb.bias_direction("glove-6B-50d")  # doctest: +SKIP
        >>> abs(emb.bias_projection(kv, ["nurse"], g)["nurse"]) < 1e-6  # doctest: +SKIP
        True
    """
    from gensim.models import KeyedVectors

    from nlpkit.embeddings.loaders import load

    kv = load(vectors)
    g = _unit(
        bias_direction(kv, definitional_pairs) if direction is None else np.asarray(direction)
    )
    if g.shape != (kv.vector_size,):
        raise ValueError(f"`direction` must have shape ({kv.vector_size},). Received: {g.shape}")
    matrix = _unit(kv.vectors)
    index = kv.key_to_index
    specific = set(specific_words)
    for a, b in list(definitional_pairs) + list(equalize_pairs):
        specific.update((a, b))
    if neutral_words is None:
        rows = np.array([i for w, i in index.items() if w not in specific], dtype=np.int64)
    else:
        rows = np.array([index[w] for w in neutral_words if w in index], dtype=np.int64)
    if rows.size:
        matrix[rows] = neutralize(matrix[rows], g)
    for a, b in equalize_pairs:
        if a in index and b in index:
            matrix[index[a]], matrix[index[b]] = equalize(matrix[index[a]], matrix[index[b]], g)
    out = KeyedVectors(kv.vector_size, count=0, dtype=np.float32)
    out.add_vectors(list(kv.index_to_key), matrix.astype(np.float32))
    return out
