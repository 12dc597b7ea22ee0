"""`BahdanauAttention`: additive attention (Bahdanau, Cho & Bengio 2015)."""

from __future__ import annotations

import keras
from keras import ops

from nlpkit.utils.validation import check_int

__all__ = ["BahdanauAttention", "masked_softmax"]


def masked_softmax(scores, mask=None):
    """Softmax over the last axis with masked positions set to exactly zero.

    Args:
        scores: Float tensor `(..., Tv)`.
        mask: Optional boolean tensor broadcastable to `scores`; False marks padding.

    Returns:
        Weights of the same shape as `scores`, summing to 1 over the unmasked positions (a row
        whose positions are all masked is all zeros).
    """
    if mask is None:
        return ops.softmax(scores, axis=-1)
    mask = ops.cast(mask, "bool")
    big_negative = ops.cast(-1e9, scores.dtype)
    weights = ops.softmax(ops.where(mask, scores, big_negative), axis=-1)
    return weights * ops.cast(mask, weights.dtype)


@keras.saving.register_keras_serializable(package="nlpkit")
class BahdanauAttention(keras.layers.Layer):
    """Additive attention: `score(q, k_j) = v^T tanh(W_q q + W_k k_j)`.

    From Bahdanau, Cho & Bengio, "Neural Machine Translation by Jointly Learning to Align and
    Translate", ICLR 2015. The weights are a softmax of the scores over the value positions and
    the context is the weighted sum of the values.

    Args:
        units: Size of the hidden layer of the scoring network.

    Call arguments:
        inputs: `[query, values]`: `query` is `(batch, dq)` (one decoder step) or
            `(batch, Tq, dq)`; `values` is `(batch, Tv, dv)` (the encoder outputs).
        mask: Optional `[query_mask, values_mask]` (or just `values_mask`) where `values_mask` is
            a boolean `(batch, Tv)` that is False on padded source positions. The weights there
            are exactly 0. If omitted, a Keras mask carried by `values` is used.
        training: Unused (no dropout).

    Returns:
        `(context, weights)`: context `(batch, dv)` and weights `(batch, Tv)` for a 2-D query, or
        `(batch, Tq, dv)` and `(batch, Tq, Tv)` for a 3-D query.

    Example:
        >>> import numpy as np
        >>> attn = BahdanauAttention(8)
        >>> q, v = np.zeros((2, 4), "float32"), np.ones((2, 5, 6), "float32")
        >>> mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
        >>> context, weights = attn([q, v], mask=[None, mask])
        >>> tuple(context.shape), tuple(weights.shape)
        ((2, 6), (2, 5))
    """

    def __init__(self, units: int = 128, **kwargs):
        super().__init__(**kwargs)
        self.units = check_int("units", units, 1)
        self.supports_masking = True

    def build(self, input_shape):
        query_shape, values_shape = input_shape[0], input_shape[1]
        self.query_kernel = self.add_weight(
            name="query_kernel", shape=(query_shape[-1], self.units), initializer="glorot_uniform"
        )
        self.key_kernel = self.add_weight(
            name="key_kernel", shape=(values_shape[-1], self.units), initializer="glorot_uniform"
        )
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
        self.score_vector = self.add_weight(
            name="score_vector", shape=(self.units,), initializer="glorot_uniform"
        )
        self.built = True

    def score(self, query, values):
        """Scores `(batch, Tq, Tv)` for a 3-D query `(batch, Tq, dq)`."""
        q = ops.matmul(query, self.query_kernel)[:, :, None, :]  # (B, Tq, 1, U)
        k = ops.matmul(values, self.key_kernel)[:, None, :, :]  # (B, 1, Tv, U)
        hidden = ops.tanh(q + k + self.bias)
        return ops.sum(hidden * self.score_vector, axis=-1)

    def call(self, inputs, mask=None, training=False):
        query, values = inputs[0], inputs[1]
        values_mask = _values_mask(mask)
        return _attend(self.score, query, values, values_mask)

    def project_values(self, values):
        """The keys `values @ key_kernel`, `(batch, Tv, units)`.

        A decoder that attends to the same `values` at every step computes them once, before
        its loop, and passes them to `attend`: the largest matmul of a step leaves the loop.
        """
        return ops.matmul(values, self.key_kernel)

    def attend(self, query, values, keys, mask=None):
        """Same result as `call([query, values], mask=[None, mask])`, with the keys
        precomputed by `project_values(values)`.

        Returns:
            `(context, weights)` as `call`.
        """

        def score(q, _values):
            qp = ops.matmul(q, self.query_kernel)[:, :, None, :]
            hidden = ops.tanh(qp + keys[:, None, :, :] + self.bias)
            return ops.sum(hidden * self.score_vector, axis=-1)

        return _attend(score, query, values, mask)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return _output_shapes(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units)
        return config


def _values_mask(mask):
    if isinstance(mask, (list, tuple)):
        return mask[1] if len(mask) > 1 else None
    return mask


def _attend(score_fn, query, values, values_mask):
    squeeze = len(query.shape) == 2
    if squeeze:
        query = query[:, None, :]
    scores = score_fn(query, values)  # (B, Tq, Tv)
    mask = None if values_mask is None else ops.cast(values_mask, "bool")[:, None, :]
    weights = masked_softmax(scores, mask)
    context = ops.matmul(weights, values)
    if squeeze:
        return context[:, 0, :], weights[:, 0, :]
    return context, weights


def _output_shapes(input_shape):
    query_shape, values_shape = tuple(input_shape[0]), tuple(input_shape[1])
    if len(query_shape) == 2:
        return (query_shape[0], values_shape[-1]), (query_shape[0], values_shape[1])
    return (
        (query_shape[0], query_shape[1], values_shape[-1]),
        (query_shape[0], query_shape[1], values_shape[1]),
    )
