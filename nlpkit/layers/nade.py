"""`NADE`: a conditional neural autoregressive distribution estimator over binary vectors.

Larochelle & Murray (2011) factorise a distribution over `D` binary units in a fixed order,
`p(v) = prod_k p(v_k | v_<k)`, with one hidden layer whose pre-activation is shared between the
conditionals and grows by one column of `W` per unit:

    h_k = sigmoid(c + W[:, <k] v_<k)          (hidden, `hidden` units)
    p(v_k = 1 | v_<k) = sigmoid(b_k + U_k . h_k)

In the RNN-NADE of Boulanger-Lewandowski et al. (2012) the biases `b` and `c` come from a
recurrent network's state, so each time step of a piano roll gets a NADE conditioned on the past.
This layer takes that context vector and produces `b = context W_b` and `c = context W_c`.

Given the true vector (teacher forcing) all `D` conditionals are computed at once with an
exclusive cumulative sum over the units; `sample` draws the units one at a time in order, using
the same parameters, so training, `evaluate` and generation share one distribution.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

__all__ = ["NADE"]


class NADE(keras.layers.Layer):
    """Conditional NADE output layer: logits of `p(v_k = 1 | v_<k, context)` for every unit.

    Args:
        units: Number of binary units `D` (88 piano keys).
        hidden: NADE hidden units `H`.

    Call arguments:
        inputs: `[context, v]`: `context` `(..., C)` float, `v` `(..., D)` 0/1 float, the true
            vector whose conditionals are wanted (unit `k` sees `v_<k` only).

    Returns:
        `(..., D)` logits; `sigmoid(logits[..., k])` is `p(v_k = 1 | v_<k, context)`.

    Example:
        >>> import numpy as np
        >>> layer = NADE(units=4, hidden=3)
        >>> logits = layer([np.zeros((2, 5), "float32"), np.zeros((2, 4), "float32")])
        >>> tuple(logits.shape)
        (2, 4)
    """

    def __init__(self, units: int, hidden: int, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.hidden = int(hidden)
        self.visible_bias = keras.layers.Dense(self.units, name="visible_bias")
        self.hidden_bias = keras.layers.Dense(self.hidden, name="hidden_bias")

    def build(self, input_shape):
        context_dim = int(input_shape[0][-1])
        self.visible_bias.build((None, context_dim))
        self.hidden_bias.build((None, context_dim))
        self.w = self.add_weight(
            name="w", shape=(self.units, self.hidden), initializer="glorot_uniform"
        )
        self.u = self.add_weight(
            name="u", shape=(self.units, self.hidden), initializer="glorot_uniform"
        )
        self.built = True

    def call(self, inputs):
        context, v = inputs
        v = ops.cast(v, self.compute_dtype)
        b = self.visible_bias(context)  # (..., D)
        c = self.hidden_bias(context)  # (..., H)
        # a_k = c + sum_{j<k} v_j W_j : exclusive cumulative sum over the units
        contrib = ops.expand_dims(v, -1) * self.w  # (..., D, H)
        a = ops.cumsum(contrib, axis=-2) - contrib + ops.expand_dims(c, -2)
        h = ops.sigmoid(a)
        return b + ops.sum(h * self.u, axis=-1)

    def sample(self, context, uniform, temperature):
        """Draw `v` unit by unit: `v_k = [uniform_k < sigmoid(logit_k / temperature)]`, or
        `v_k = [logit_k > 0]` when `temperature <= 0` (the most likely unit given those drawn).

        Args:
            context: `(batch, C)` float.
            uniform: `(batch, D)` uniform noise in [0, 1) (e.g. stateless, for repeatable draws).
            temperature: scalar float.

        Returns:
            `(batch, D)` float 0/1 vector.
        """
        if not self.built:
            self.build([tuple(context.shape), (None, self.units)])
        b = self.visible_bias(context)
        a = self.hidden_bias(context)
        temp = tf.maximum(temperature, 1e-6)
        drawn = []
        for k in range(self.units):
            logit = b[:, k] + tf.reduce_sum(tf.sigmoid(a) * self.u[k], axis=-1)
            on = tf.where(
                temperature <= 0,
                tf.cast(logit > 0, a.dtype),
                tf.cast(uniform[:, k] < tf.sigmoid(logit / temp), a.dtype),
            )
            drawn.append(on)
            a = a + on[:, None] * self.w[k]
        return tf.stack(drawn, axis=1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[1])

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, hidden=self.hidden)
        return config
