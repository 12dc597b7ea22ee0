"""Sampling from logits with temperature, top-k and top-p (nucleus), usable inside a graph.

Shared by every generator (characters, music, translation) through `nlpkit.decoding.Sampling`, so
that `generate()` in Python and the exported SavedModel run exactly the same code. Top-p follows
Holtzman et al. 2020. (`nlpkit.ops.sampling` re-exports these functions for older imports.)
"""

from __future__ import annotations

import tensorflow as tf

__all__ = ["filter_logits", "sample_logits"]

_NEG_INF = -1e9


def filter_logits(logits, top_k=0, top_p=1.0):
    """Mask logits outside the top `top_k` and outside the smallest set with mass >= `top_p`.

    Args:
        logits: `(batch, vocab)` float tensor.
        top_k: Keep the k largest logits; 0 (or None) keeps all.
        top_p: Keep the most probable tokens whose cumulative probability first reaches
            `top_p`; 1.0 (or None) keeps all. The most probable token is always kept.

    Returns:
        Logits of the same shape, filtered-out positions set to -1e9.
    """
    logits = tf.convert_to_tensor(logits)
    dtype = logits.dtype
    top_k = tf.cast(0 if top_k is None else top_k, tf.int32)
    top_p = tf.cast(1.0 if top_p is None else top_p, dtype)
    vocab = tf.shape(logits)[-1]
    k = tf.where(top_k > 0, tf.minimum(top_k, vocab), vocab)
    kth = tf.math.top_k(logits, k=k).values[:, -1:]
    logits = tf.where(logits < kth, tf.cast(_NEG_INF, dtype), logits)
    sorted_logits = tf.sort(logits, axis=-1, direction="DESCENDING")
    probs = tf.nn.softmax(sorted_logits, axis=-1)
    mass_before = tf.math.cumsum(probs, axis=-1, exclusive=True)
    keep = mass_before < top_p
    keep = tf.concat([tf.ones_like(keep[:, :1]), keep[:, 1:]], axis=-1)
    big = tf.cast(3.0e38 if dtype == tf.float32 else 6.0e4, dtype)
    threshold = tf.reduce_min(tf.where(keep, sorted_logits, big), axis=-1, keepdims=True)
    return tf.where(logits < threshold, tf.cast(_NEG_INF, dtype), logits)


def sample_logits(logits, seed, temperature=1.0, top_k=0, top_p=1.0):
    """Draw one id per row from `logits`; greedy (argmax) when `temperature <= 0`.

    Args:
        logits: `(batch, vocab)` float tensor.
        seed: Shape-[2] int tensor for `tf.random.stateless_categorical`; vary it per step
            (e.g. `[seed, step]`) for fresh draws that are still repeatable.
        temperature: Softmax temperature; lower is more conservative, <= 0 means greedy.
        top_k: See `filter_logits`.
        top_p: See `filter_logits`.

    Returns:
        `(batch,)` int32 ids.
    """
    logits = tf.convert_to_tensor(logits)
    temperature = tf.cast(temperature, logits.dtype)
    greedy = tf.argmax(logits, axis=-1, output_type=tf.int32)
    scaled = logits / tf.maximum(temperature, tf.cast(1e-6, logits.dtype))
    scaled = filter_logits(scaled, top_k, top_p)
    seed = tf.cast(seed, tf.int32)
    drawn = tf.random.stateless_categorical(
        tf.cast(scaled, tf.float32), 1, seed=seed, dtype=tf.int32
    )[:, 0]
    return tf.where(temperature <= 0, greedy, drawn)
