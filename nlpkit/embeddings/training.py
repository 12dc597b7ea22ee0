"""Train skip-gram / CBOW word vectors (word2vec and fastText, through gensim).

Repeatability: with the same `seed`, the same corpus and ``workers=1`` (the default here), two runs
give identical vectors. With several worker threads the order in which the threads update the
vectors varies from run to run, so the vectors differ slightly (gensim's documented behaviour).
"""

from __future__ import annotations

import itertools
import logging
import os
import string
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nlpkit.embeddings._progress import Progress
from nlpkit.utils.validation import check_bool, check_choice, check_float, check_int

if TYPE_CHECKING:  # pragma: no cover
    from gensim.models import KeyedVectors

__all__ = ["train_word2vec", "train_fasttext", "TokenCorpus"]

logger = logging.getLogger(__name__)
_PUNCTUATION = string.punctuation + "\u201c\u201d\u2018\u2019\u2013\u2014\u2026"


class TokenCorpus:
    """A re-iterable corpus of token lists, from memory or streamed line by line from a text file.

    A text file is read one line at a time on every pass (nothing is kept in memory): each line is
    one sentence, tokens are separated by whitespace. ``.gz`` and ``.bz2`` files are decompressed
    on the fly.

    Args:
        source: A list (or any re-iterable) of token lists, or a path to a text file.
        lowercase: Lower-case every token.
        strip_punctuation: Strip punctuation from both ends of every token (``"meanwhile,"`` ->
            ``"meanwhile"``) and drop tokens left empty; for raw text that is split on spaces only.
        max_sentences: Stop after this many sentences (None: all).

    Raises:
        FileNotFoundError: `source` is a path that does not exist.
        TypeError: `source` is a single string of text, or its items are not token lists.

    Example:
        >>> corpus = TokenCorpus([["a", "cat"], ["a", "dog"]])
        >>> sum(len(s) for s in corpus)
        4
    """

    def __init__(
        self,
        source: Any,
        *,
        lowercase: bool = False,
        strip_punctuation: bool = False,
        max_sentences: int | None = None,
    ):
        self.lowercase = check_bool("lowercase", lowercase)
        self.strip_punctuation = check_bool("strip_punctuation", strip_punctuation)
        self.max_sentences = check_int("max_sentences", max_sentences, minimum=1, allow_none=True)
        self.path: Path | None = None
        if isinstance(source, os.PathLike) or (isinstance(source, str) and os.path.exists(source)):
            self.path = Path(source)
            if not self.path.is_file():
                raise FileNotFoundError(f"No corpus file at {self.path}")
            self.source = None
        elif isinstance(source, str):
            if "\n" in source or " " in source:
                raise TypeError(
                    "`corpus` must be a list of token lists or a path to a text file. Received a "
                    "string of text; split it first, e.g. [line.split() for line in text.splitlines()]"
                )
            raise FileNotFoundError(f"No corpus file at {source}")
        elif isinstance(source, Iterator):
            raise TypeError(
                "`corpus` must be re-iterable (several passes are made): pass a list of token lists, "
                "a TokenCorpus or a file path, not a one-shot iterator or generator."
            )
        elif isinstance(source, Iterable):
            self.source = source
            first = next(iter(source), None)
            if first is None:
                raise ValueError("`corpus` is empty: at least one sentence is needed.")
            if isinstance(first, str) or not isinstance(first, Sequence):
                raise TypeError(
                    "`corpus` must contain token lists (lists of strings). "
                    f"Its first item is {type(first).__name__}: {first!r:.60}"
                )
        else:
            raise TypeError(
                "`corpus` must be a list of token lists or a path to a text file. "
                f"Received an object of type {type(source).__name__}"
            )

    def __iter__(self) -> Iterator[list[str]]:
        if self.path is not None:
            sentences = self._lines()
        else:
            sentences = (list(s) for s in self.source)
        if self.max_sentences is not None:
            sentences = itertools.islice(sentences, self.max_sentences)
        for tokens in sentences:
            if self.strip_punctuation:
                tokens = [s for s in (t.strip(_PUNCTUATION) for t in tokens) if s]
            if self.lowercase:
                tokens = [t.lower() for t in tokens]
            if tokens:
                yield tokens

    def _lines(self) -> Iterator[list[str]]:
        from nlpkit.embeddings.loaders import _open_text

        with _open_text(self.path) as fh:
            for line in fh:
                tokens = line.split()
                if tokens:
                    yield tokens

    def count_words(self) -> int:
        """Number of tokens in one pass."""
        return sum(len(s) for s in self)


def _check_common(
    algorithm, vector_size, window, min_count, negative, epochs, workers, seed, alpha
):
    check_choice("algorithm", algorithm, ("skipgram", "cbow"))
    check_int("vector_size", vector_size, minimum=1)
    check_int("window", window, minimum=1)
    check_int("min_count", min_count, minimum=1)
    check_int("negative", negative, minimum=0)
    check_int("epochs", epochs, minimum=1)
    check_int("workers", workers, minimum=1)
    check_int("seed", seed)
    check_float("alpha", alpha, 0.0, low_inclusive=False)


class _EpochProgress:
    """gensim callback that shows one progress line over the epochs."""

    def __new__(cls, epochs: int, verbose: int):
        from gensim.models.callbacks import CallbackAny2Vec

        class _Callback(CallbackAny2Vec):
            def __init__(self):
                self.progress = Progress(epochs, "epochs", verbose)

            def on_epoch_end(self, model):
                self.progress.update(1)

            def on_train_end(self, model):
                self.progress.close()

        return _Callback()


def _train(model_cls, corpus, *, verbose, return_model, epochs, callbacks, extra) -> Any:
    corpus = corpus if isinstance(corpus, TokenCorpus) else TokenCorpus(corpus)
    cbs = list(callbacks or [])
    if verbose:
        cbs.append(_EpochProgress(epochs, verbose))
    sentences = corpus
    if corpus.path is None and not (
        corpus.lowercase or corpus.strip_punctuation or corpus.max_sentences
    ):
        sentences = corpus.source  # in-memory lists go to gensim as they are (no per-pass copy)
    model = model_cls(epochs=epochs, callbacks=cbs, **extra)
    model.build_vocab(sentences)
    if len(model.wv) == 0:
        raise ValueError(
            f"No word occurs at least min_count={extra['min_count']} times in the corpus, so there is "
            "nothing to train. Lower `min_count` or pass a larger corpus."
        )
    model.train(
        sentences, total_examples=model.corpus_count, total_words=model.corpus_total_words,
        epochs=epochs, callbacks=cbs,
    )  # fmt: skip
    return model if return_model else model.wv


def train_word2vec(
    corpus: Any,
    *,
    algorithm: str = "skipgram",
    vector_size: int = 100,
    window: int = 5,
    min_count: int = 5,
    negative: int = 5,
    sample: float = 1e-3,
    alpha: float = 0.025,
    epochs: int = 5,
    workers: int = 1,
    seed: int = 0,
    verbose: int = 0,
    callbacks: Sequence[Any] | None = None,
    return_model: bool = False,
) -> KeyedVectors:
    """Train word2vec vectors (Mikolov et al. 2013) with gensim's `Word2Vec`.

    Args:
        corpus: A list of token lists, a `TokenCorpus`, or a path to a text file that is streamed
            line by line (one sentence a line, whitespace-separated tokens).
        algorithm: ``'skipgram'`` (predict context from word) or ``'cbow'`` (word from context).
        vector_size: Dimension of the vectors.
        window: Maximum distance between the current and a predicted word.
        min_count: Ignore words with a lower total frequency.
        negative: Number of negative samples (0 disables negative sampling).
        sample: Down-sampling threshold for frequent words.
        alpha: Initial learning rate (decays linearly).
        epochs: Passes over the corpus.
        workers: Worker threads. Exact repeatability needs ``workers=1``.
        seed: Random seed (vector initialisation, sampling).
        verbose: 1 shows a progress line over the epochs.
        callbacks: Extra gensim `CallbackAny2Vec` callbacks.
        return_model: Return the gensim `Word2Vec` model (to continue training) instead of its
            `KeyedVectors`.

    Returns:
        The trained `gensim.models.KeyedVectors` (or the model when `return_model`).

    Raises:
        ValueError: A bad option, an empty corpus, or no word reaching `min_count`.
        TypeError: `corpus` is not a list of token lists or a file path.

    Example:
        >>> from nlpkit.embeddings import train_word2vec
        >>> sents = [["the", "cat", "sat"], ["the", "dog", "sat"]] * 50
        >>> kv = train_word2vec(sents, vector_size=8, min_count=1, epochs=2, seed=1)
        >>> kv.vector_size
        8
    """
    _check_common(algorithm, vector_size, window, min_count, negative, epochs, workers, seed, alpha)
    check_float("sample", sample, 0.0)
    from gensim.models import Word2Vec

    extra = dict(
        sg=int(algorithm == "skipgram"), vector_size=vector_size, window=window, min_count=min_count,
        negative=negative, hs=int(negative == 0), sample=sample, alpha=alpha, workers=workers, seed=seed,
    )  # fmt: skip
    return _train(Word2Vec, corpus, verbose=verbose, return_model=return_model, epochs=epochs,
                  callbacks=callbacks, extra=extra)  # fmt: skip


def train_fasttext(
    corpus: Any,
    *,
    algorithm: str = "skipgram",
    vector_size: int = 100,
    window: int = 5,
    min_count: int = 5,
    negative: int = 5,
    sample: float = 1e-3,
    alpha: float = 0.025,
    min_n: int = 3,
    max_n: int = 6,
    bucket: int = 2_000_000,
    epochs: int = 5,
    workers: int = 1,
    seed: int = 0,
    verbose: int = 0,
    callbacks: Sequence[Any] | None = None,
    return_model: bool = False,
) -> KeyedVectors:
    """Train fastText vectors with subwords (Bojanowski et al. 2017) with gensim's `FastText`.

    The result composes vectors for unseen words from character n-grams, which
    `embedding_matrix` uses as its ``subword`` stage.

    Args:
        corpus: A list of token lists, a `TokenCorpus`, or a path to a text file streamed line by line.
        algorithm: ``'skipgram'`` or ``'cbow'``.
        vector_size: Dimension of the vectors.
        window: Maximum distance between the current and a predicted word.
        min_count: Ignore words with a lower total frequency.
        negative: Number of negative samples (0 disables negative sampling).
        sample: Down-sampling threshold for frequent words.
        alpha: Initial learning rate.
        min_n: Shortest character n-gram.
        max_n: Longest character n-gram (``max_n < min_n`` disables subwords).
        bucket: Number of hash buckets for n-gram vectors (smaller saves memory).
        epochs: Passes over the corpus.
        workers: Worker threads. Exact repeatability needs ``workers=1``.
        seed: Random seed.
        verbose: 1 shows a progress line over the epochs.
        callbacks: Extra gensim callbacks.
        return_model: Return the gensim `FastText` model instead of its `FastTextKeyedVectors`.

    Returns:
        A `gensim.models.fasttext.FastTextKeyedVectors` (or the model when `return_model`).

    Raises:
        ValueError: A bad option, an empty corpus, or no word reaching `min_count`.

    Example:
        >>> from nlpkit.embeddings import train_fasttext
        >>> sents = [["the", "cat", "sat"], ["the", "dog", "sat"]] * 50
        >>> kv = train_fasttext(sents, vector_size=8, min_count=1, epochs=1, bucket=1000)
        >>> kv["cats"].shape  # composed from n-grams
        (8,)
    """
    _check_common(algorithm, vector_size, window, min_count, negative, epochs, workers, seed, alpha)
    check_float("sample", sample, 0.0)
    check_int("min_n", min_n, minimum=1)
    check_int("max_n", max_n, minimum=0)
    check_int("bucket", bucket, minimum=1)
    from gensim.models import FastText

    extra = dict(
        sg=int(algorithm == "skipgram"), vector_size=vector_size, window=window, min_count=min_count,
        negative=negative, hs=int(negative == 0), sample=sample, alpha=alpha, min_n=min_n, max_n=max_n,
        bucket=bucket, workers=workers, seed=seed,
    )  # fmt: skip
    return _train(FastText, corpus, verbose=verbose, return_model=return_model, epochs=epochs,
                  callbacks=callbacks, extra=extra)  # fmt: skip
