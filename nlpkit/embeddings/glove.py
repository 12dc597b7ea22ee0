"""GloVe: global vectors for word representation (Pennington, Socher and Manning, EMNLP 2014).

Two passes over a corpus that is streamed (a list of token lists or a text file read line by line):

1. `build_vocabulary` counts words and keeps those with at least `min_count` occurrences (at most
   `max_vocab`, most frequent first).
2. `cooccurrence_counts` accumulates the weighted co-occurrence matrix X: a context word at
   distance d within `window` words of the centre word (in the same line, after out-of-vocabulary
   words are dropped, as the reference ``cooccur.c`` does) adds 1/d to X[centre, context]; with
   ``symmetric=True`` the left and the right context are both counted. Counts are gathered in
   chunks of whole sentences and merged, so memory grows with the number of distinct pairs, not
   with the corpus.

Training (in TensorFlow) minimises the weighted least-squares objective

    J = sum_{ij: X_ij > 0} f(X_ij) (w_i . w~_j + b_i + b~_j - log X_ij)^2,
    f(x) = min(1, (x / x_max)^alpha),   x_max = 100, alpha = 0.75,

with AdaGrad as in the paper's reference implementation (``glove.c``): every parameter keeps a
sum of squared (scaled) gradients that starts at 1, the step is
``learning_rate * g / sqrt(sum)``, gradient components are clipped to [-100, 100], initial
learning rate 0.05. The paper updates one pair at a time (asynchronously, many threads); here the
non-zero entries are shuffled every epoch and processed in mini-batches of `batch_size` pairs
whose gradients are summed per word. The word vectors are ``W + W~`` (the paper's choice).
"""

from __future__ import annotations

import collections
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from nlpkit.embeddings._progress import Progress
from nlpkit.embeddings.training import TokenCorpus
from nlpkit.utils.validation import check_bool, check_float, check_int

if TYPE_CHECKING:  # pragma: no cover
    from gensim.models import KeyedVectors

__all__ = ["GloVe", "train_glove", "build_vocabulary", "cooccurrence_counts"]


def build_vocabulary(
    corpus: Any, *, min_count: int = 5, max_vocab: int | None = None
) -> tuple[list[str], np.ndarray]:
    """Count the words of `corpus` and keep the frequent ones.

    Args:
        corpus: Token lists, a `TokenCorpus` or a text file path.
        min_count: Minimum number of occurrences.
        max_vocab: Keep at most this many words (most frequent first).

    Returns:
        ``(words, counts)``: words sorted by decreasing count (ties: first seen first) and their
        counts (int64).

    Raises:
        ValueError: No word reaches `min_count`.
    """
    min_count = check_int("min_count", min_count, minimum=1)
    max_vocab = check_int("max_vocab", max_vocab, minimum=1, allow_none=True)
    corpus = corpus if isinstance(corpus, TokenCorpus) else TokenCorpus(corpus)
    counter: collections.Counter = collections.Counter()
    for sentence in corpus:
        counter.update(sentence)
    items = [(w, c) for w, c in counter.most_common() if c >= min_count]
    if max_vocab is not None:
        items = items[:max_vocab]
    if not items:
        raise ValueError(
            f"No word occurs at least min_count={min_count} times in the corpus "
            f"({sum(counter.values())} tokens). Lower `min_count` or pass a larger corpus."
        )
    return [w for w, _ in items], np.array([c for _, c in items], dtype=np.int64)


def cooccurrence_counts(
    corpus: Any,
    vocabulary: list[str],
    *,
    window: int = 10,
    symmetric: bool = True,
    chunk_tokens: int = 1_000_000,
    verbose: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Weighted co-occurrence counts (1/distance) of the words in `vocabulary`, in one streaming pass.

    Args:
        corpus: Token lists, a `TokenCorpus` or a text file path (one sentence a line).
        vocabulary: Words to count; other tokens are dropped before windowing.
        window: Context size on each side.
        symmetric: Count the left and the right context (else the left context only).
        chunk_tokens: Sentences are processed in chunks of about this many tokens.
        verbose: 1 shows a progress line (tokens read).

    Returns:
        ``(rows, cols, values, n_tokens)``: the non-zero entries of X in row-major order (int32,
        int32, float64) and the number of corpus tokens read.

    Example:
        >>> r, c, v, n = cooccurrence_counts([["a", "b", "c"]], ["a", "b", "c"], window=2)
        >>> dict(zip(zip(r.tolist(), c.tolist()), v.tolist()))[(0, 2)]
        0.5
    """
    window = check_int("window", window, minimum=1)
    check_bool("symmetric", symmetric)
    corpus = corpus if isinstance(corpus, TokenCorpus) else TokenCorpus(corpus)
    index = {w: i for i, w in enumerate(vocabulary)}
    size = len(vocabulary)
    keys = np.zeros(0, dtype=np.int64)
    vals = np.zeros(0, dtype=np.float64)
    ids_buf: list[np.ndarray] = []
    n_buf = 0
    n_tokens = 0
    progress = Progress(None, "co-occurrence (tokens)", verbose)

    def flush(keys, vals):
        ids = np.concatenate(ids_buf)
        sent = np.concatenate([np.full(len(a), k, dtype=np.int32) for k, a in enumerate(ids_buf)])
        new_keys, new_vals = [keys], [vals]
        for d in range(1, window + 1):
            if d >= len(ids):
                break
            same = sent[:-d] == sent[d:]
            left, right = ids[:-d][same].astype(np.int64), ids[d:][same].astype(np.int64)
            weight = np.full(len(left), 1.0 / d)
            new_keys.append(right * size + left)  # centre = right word, context on its left
            new_vals.append(weight)
            if symmetric:
                new_keys.append(left * size + right)
                new_vals.append(weight)
        all_keys = np.concatenate(new_keys)
        uniq, inverse = np.unique(all_keys, return_inverse=True)
        return uniq, np.bincount(inverse, weights=np.concatenate(new_vals), minlength=len(uniq))

    for sentence in corpus:
        n_tokens += len(sentence)
        ids = np.fromiter((index.get(t, -1) for t in sentence), dtype=np.int32, count=len(sentence))
        ids = ids[ids >= 0]
        if len(ids) > 1:
            ids_buf.append(ids)
            n_buf += len(ids)
        if n_buf >= chunk_tokens:
            keys, vals = flush(keys, vals)
            progress.update(n_buf)
            ids_buf, n_buf = [], 0
    if ids_buf:
        keys, vals = flush(keys, vals)
        progress.update(n_buf)
    progress.close()
    return (keys // size).astype(np.int32), (keys % size).astype(np.int32), vals, n_tokens


class GloVe:
    """Train GloVe vectors (Pennington et al. 2014) with TensorFlow (see the module docstring).

    Constructor arguments are configuration only; `fit` sets the learned state: `wv_` (a gensim
    `KeyedVectors` holding ``W + W~``), `loss_history_` (mean of ``0.5 f(X_ij) (...)^2`` over the
    non-zero pairs, one value per epoch), `vocabulary_`, `counts_`, `n_pairs_` (non-zero entries
    of X) and `stats_` (tokens read and seconds spent counting and training).

    Args:
        vector_size: Dimension of the vectors.
        window: Context size on each side for the co-occurrence counts.
        min_count: Minimum word frequency.
        max_vocab: Keep at most this many words.
        x_max: Cut-off of the weighting function f.
        alpha: Exponent of the weighting function f.
        learning_rate: Initial AdaGrad learning rate (0.05 in the paper).
        epochs: Passes over the non-zero entries of X.
        batch_size: Non-zero entries per update.
        symmetric: Count left and right contexts.
        seed: Seed of the initialisation and of the shuffling; a CPU run is repeatable.
        verbose: 1 shows progress lines (counting, then epochs with the loss).

    Example:
        >>> from nlpkit.embeddings import GloVe
        >>> sents = [["the", "cat", "sat", "on", "the", "mat"]] * 20
        >>> glove = GloVe(vector_size=8, min_count=1, epochs=5).fit(sents)
        >>> glove.wv_["cat"].shape, glove.loss_history_[-1] < glove.loss_history_[0]
        ((8,), True)
    """

    def __init__(
        self,
        vector_size: int = 50,
        window: int = 10,
        min_count: int = 5,
        max_vocab: int | None = None,
        x_max: float = 100.0,
        alpha: float = 0.75,
        learning_rate: float = 0.05,
        epochs: int = 25,
        batch_size: int = 4096,
        symmetric: bool = True,
        seed: int = 0,
        verbose: int = 0,
    ):
        self.vector_size = check_int("vector_size", vector_size, minimum=1)
        self.window = check_int("window", window, minimum=1)
        self.min_count = check_int("min_count", min_count, minimum=1)
        self.max_vocab = check_int("max_vocab", max_vocab, minimum=1, allow_none=True)
        self.x_max = check_float("x_max", x_max, 0.0, low_inclusive=False)
        self.alpha = check_float("alpha", alpha, 0.0)
        self.learning_rate = check_float("learning_rate", learning_rate, 0.0, low_inclusive=False)
        self.epochs = check_int("epochs", epochs, minimum=1)
        self.batch_size = check_int("batch_size", batch_size, minimum=1)
        self.symmetric = check_bool("symmetric", symmetric)
        self.seed = check_int("seed", seed)
        self.verbose = check_int("verbose", verbose, minimum=0)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (``GloVe(**config)`` rebuilds an unfitted trainer)."""
        names = ["vector_size", "window", "min_count", "max_vocab", "x_max", "alpha", "learning_rate",
                 "epochs", "batch_size", "symmetric", "seed", "verbose"]  # fmt: skip
        return {n: getattr(self, n) for n in names}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> GloVe:
        return cls(**config)

    def fit(self, corpus: Any) -> GloVe:
        """Count co-occurrences in `corpus` and train the vectors.

        Args:
            corpus: A list of token lists, a `TokenCorpus`, or a path to a text file streamed line
                by line (one sentence a line, whitespace-separated tokens).

        Returns:
            self, with `wv_`, `loss_history_`, `vocabulary_`, `counts_`, `n_pairs_`, `stats_` set.

        Raises:
            ValueError: Empty corpus, no word reaching `min_count`, or no co-occurring pair.
            TypeError: `corpus` is not token lists or a file path.
        """
        corpus = corpus if isinstance(corpus, TokenCorpus) else TokenCorpus(corpus)
        t0 = time.perf_counter()
        words, counts = build_vocabulary(corpus, min_count=self.min_count, max_vocab=self.max_vocab)
        rows, cols, vals, n_tokens = cooccurrence_counts(
            corpus, words, window=self.window, symmetric=self.symmetric, verbose=self.verbose
        )
        t1 = time.perf_counter()
        if len(vals) == 0:
            raise ValueError("No two vocabulary words co-occur in the corpus: nothing to train.")
        w, w_ctx, history = self._train(len(words), rows, cols, vals)
        t2 = time.perf_counter()

        from gensim.models import KeyedVectors

        kv = KeyedVectors(self.vector_size, count=0, dtype=np.float32)
        kv.add_vectors(words, (w + w_ctx).astype(np.float32))
        self.wv_: KeyedVectors = kv
        self.vocabulary_ = words
        self.counts_ = counts
        self.n_pairs_ = int(len(vals))
        self.loss_history_ = history
        self.stats_ = {
            "tokens": int(n_tokens),
            "vocab_size": len(words),
            "nonzero_pairs": int(len(vals)),
            "count_seconds": t1 - t0,
            "train_seconds": t2 - t1,
            "epochs": self.epochs,
        }
        return self

    def _train(
        self, vocab_size: int, rows, cols, vals
    ) -> tuple[np.ndarray, np.ndarray, list[float]]:
        import tensorflow as tf

        dim = self.vector_size
        rng = np.random.default_rng(self.seed)

        def init(shape):  # glove.c: uniform in [-0.5, 0.5) / vector_size
            return tf.Variable((rng.random(shape, dtype=np.float64) - 0.5).astype(np.float32) / dim)

        w, w_ctx = init((vocab_size, dim)), init((vocab_size, dim))
        b, b_ctx = init((vocab_size,)), init((vocab_size,))
        params = [w, w_ctx, b, b_ctx]
        accum = [tf.Variable(tf.ones_like(p)) for p in params]  # glove.c: gradsq starts at 1
        eta = tf.constant(self.learning_rate, tf.float32)
        clip = 100.0

        log_x = np.log(vals).astype(np.float32)
        f_x = np.minimum(1.0, (vals / self.x_max) ** self.alpha).astype(np.float32)

        def adagrad(var, acc, idx, grad):
            uniq, pos = tf.unique(idx)
            g = eta * tf.math.unsorted_segment_sum(grad, pos, tf.shape(uniq)[0])
            acc_rows = tf.gather(acc, uniq)
            var.scatter_sub(tf.IndexedSlices(g / tf.sqrt(acc_rows), uniq))
            acc.scatter_add(tf.IndexedSlices(tf.square(g), uniq))

        def step(i, j, lx, fx):
            wi, wj = tf.gather(w, i), tf.gather(w_ctx, j)
            diff = tf.reduce_sum(wi * wj, axis=1) + tf.gather(b, i) + tf.gather(b_ctx, j) - lx
            fdiff = fx * diff
            cost = 0.5 * tf.reduce_sum(fdiff * diff)
            g_wi = tf.clip_by_value(fdiff[:, None] * wj, -clip, clip)
            g_wj = tf.clip_by_value(fdiff[:, None] * wi, -clip, clip)
            adagrad(w, accum[0], i, g_wi)
            adagrad(w_ctx, accum[1], j, g_wj)
            adagrad(b, accum[2], i, fdiff)
            adagrad(b_ctx, accum[3], j, fdiff)
            return cost

        n = len(vals)
        data = [tf.constant(rows), tf.constant(cols), tf.constant(log_x), tf.constant(f_x)]
        batch = self.batch_size

        @tf.function
        def run_epoch(order):
            total = tf.constant(0.0, tf.float32)
            for start in tf.range(0, n, batch):  # the whole epoch runs in the graph
                sel = order[start : start + batch]
                total += step(*(tf.gather(d, sel) for d in data))
            return total

        history: list[float] = []
        progress = Progress(self.epochs, "GloVe epochs", self.verbose)
        for _ in range(self.epochs):
            order = tf.constant(rng.permutation(n).astype(np.int32))
            history.append(float(run_epoch(order)) / n)
            progress.update(1, loss=history[-1])
        progress.close()
        return w.numpy(), w_ctx.numpy(), history


def train_glove(corpus: Any, **kwargs: Any) -> KeyedVectors:
    """Train GloVe vectors and return them as a `KeyedVectors` (``GloVe(**kwargs).fit(corpus).wv_``).

    Args:
        corpus: A list of token lists, a `TokenCorpus` or a text file path.
        **kwargs: `GloVe` constructor arguments.

    Returns:
        The trained `gensim.models.KeyedVectors` (``W + W~``).

    Example:
        >>> from nlpkit.embeddings import train_glove
        >>> kv = train_glove([["a", "b", "c"]] * 10, vector_size=4, min_count=1, epochs=2)
        >>> kv.vector_size
        4
    """
    return GloVe(**kwargs).fit(corpus).wv_
