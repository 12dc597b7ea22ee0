"""`LuongAttention`: multiplicative / concat attention (Luong, Pham & Manning 2015)."""

from __future__ import annotations

import keras
from keras import ops

from nlpkit.layers.bahdanau_attention import _attend, _output_shapes, _values_mask
from nlpkit.utils.validation import check_choice, check_int

__all__ = ["LuongAttention", "SCORES"]

SCORES = ("dot", "general", "concat")


@keras.saving.register_keras_serializable(package="nlpkit")
class LuongAttention(keras.layers.Layer):
    """Global attention with Luong's score functions.

    From Luong, Pham & Manning, "Effective Approaches to Attention-based Neural Machine
    Translation", EMNLP 2015, section 3.1:

    - `'dot'`: `score(q, k) = q^T k` (needs `dq == dv`; no weights);
    - `'general'`: `score(q, k) = q^T W k`;
    - `'concat'`: `score(q, k) = v^T tanh(W [q; k])`.

    Args:
        score: 'dot', 'general' or 'concat'.
        units: Hidden size of the 'concat' scoring network (ignored otherwise).

    Call arguments:
        inputs: `[query, values]`: `query` is `(batch, dq)` or `(batch, Tq, dq)`; `values` is
            `(batch, Tv, dv)`.
        mask: Optional `[query_mask, values_mask]` (or just `values_mask`), boolean `(batch, Tv)`,
            False on padded positions, whose weights are then exactly 0.
        training: Unused.

    Returns:
        `(context, weights)` shaped like those of `BahdanauAttention`.

    Raises:
        ValueError: `score` is not one of the three, or `'dot'` with `dq != dv`.

    Example:
        >>> import numpy as np
        >>> attn = LuongAttention("general")
        >>> q, v = np.ones((2, 6), "float32"), np.ones((2, 5, 6), "float32")
        >>> context, weights = attn([q, v])
        >>> tuple(weights.shape)
        (2, 5)
    """

    def __init__(self, score: str = "general", units: int = 128, **kwargs):
        super().__init__(**kwargs)
        self.score_name = check_choice("score", score, SCORES)
        self.units = check_int("units", units, 1)
        self.supports_masking = True

    def build(self, input_shape):
        dq, dv = input_shape[0][-1], input_shape[1][-1]
        if self.score_name == "dot" and dq != dv:
            raise ValueError(
                "LuongAttention(score='dot') needs the query and value sizes to be equal. "
                f"Received query size {dq} and value size {dv}; use score='general' instead."
            )
        if self.score_name == "general":
            self.kernel = self.add_weight(
                name="kernel", shape=(dq, dv), initializer="glorot_uniform"
            )
        elif self.score_name == "concat":
            self.query_kernel = self.add_weight(
                name="query_kernel", shape=(dq, self.units), initializer="glorot_uniform"
            )
            self.key_kernel = self.add_weight(
                name="key_kernel", shape=(dv, self.units), initializer="glorot_uniform"
            )
            self.score_vector = self.add_weight(
                name="score_vector", shape=(self.units,), initializer="glorot_uniform"
            )
        self.built = True

    def score(self, query, values):
        """Scores `(batch, Tq, Tv)` for a 3-D query `(batch, Tq, dq)`."""
        if self.score_name == "dot":
            return ops.matmul(query, ops.transpose(values, (0, 2, 1)))
        if self.score_name == "general":
            projected = ops.matmul(query, self.kernel)  # (B, Tq, dv)
            return ops.matmul(projected, ops.transpose(values, (0, 2, 1)))
        # concat: W [q; k] = W_q q + W_k k
        q = ops.matmul(query, self.query_kernel)[:, :, None, :]
        k = ops.matmul(values, self.key_kernel)[:, None, :, :]
        return ops.sum(ops.tanh(q + k) * self.score_vector, axis=-1)

    def call(self, inputs, mask=None, training=False):
        return _attend(self.score, inputs[0], inputs[1], _values_mask(mask))

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return _output_shapes(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(score=self.score_name, units=self.units)
        return config
