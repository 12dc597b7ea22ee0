"""`WindowedSelfAttention`: causal multi-head self-attention over a local window, with a residual."""

from __future__ import annotations

import keras

from nlpkit.utils.validation import check_int

__all__ = ["WindowedSelfAttention"]


@keras.saving.register_keras_serializable(package="nlpkit")
class WindowedSelfAttention(keras.layers.Layer):
    """Causal multi-head self-attention over the last `window` steps plus a residual connection.

    Each step attends to itself and the `window - 1` steps before it (Vaswani et al. 2017,
    restricted to a local window, as in the local attention of Parmar et al. 2018). `step()`
    computes the same output for one new step from a buffer of the last `window` inputs, for
    step-by-step generation.

    Args:
        window: Steps each position sees (itself included), >= 1.
        heads: Attention heads.
        units: Width of the inputs (and outputs); each head has `max(1, units // heads)` units.

    Masking: no Keras mask is read; padded steps after the end of a sequence only ever attend to
    earlier steps, so they never change the outputs of real steps.

    Example:
        >>> import numpy as np
        >>> layer = WindowedSelfAttention(window=3, heads=2, units=8)
        >>> tuple(layer(np.zeros((2, 5, 8), "float32")).shape)
        (2, 5, 8)
    """

    def __init__(self, window: int, heads: int, units: int, **kwargs):
        super().__init__(**kwargs)
        self.window = check_int("window", window, 1)
        self.heads = check_int("heads", heads, 1)
        self.units = check_int("units", units, 1)
        self.mha = keras.layers.MultiHeadAttention(
            num_heads=self.heads, key_dim=max(1, self.units // self.heads), name="mha"
        )

    def build(self, input_shape):
        self.mha.build(input_shape, input_shape)
        self.built = True

    def call(self, inputs, training=False):
        t = keras.ops.shape(inputs)[1]
        i = keras.ops.arange(t)[:, None]
        j = keras.ops.arange(t)[None, :]
        allowed = keras.ops.logical_and(j <= i, j > i - self.window)
        mask = keras.ops.broadcast_to(allowed[None], (keras.ops.shape(inputs)[0], t, t))
        return inputs + self.mha(inputs, inputs, attention_mask=mask, training=training)

    def step(self, x, buffer, valid):
        """One new step.

        Args:
            x: `(batch, units)` the new step's input.
            buffer: `(batch, window, units)` the last `window` inputs, ending with `x`.
            valid: `(batch, window)` bool, False for buffer slots before the start of the piece.

        Returns:
            `(batch, units)`: the layer's output at this step (as `call` gives it).
        """
        out = self.mha(x[:, None, :], buffer, attention_mask=valid[:, None, :])
        return x + out[:, 0, :]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(window=self.window, heads=self.heads, units=self.units)
        return config
