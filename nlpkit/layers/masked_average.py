"""`MaskedAverage`: the mean of a sequence's vectors over its unmasked steps."""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["MaskedAverage"]


@keras.saving.register_keras_serializable(package="nlpkit")
class MaskedAverage(keras.layers.Layer):
    """Average of the vectors of a sequence over its unmasked steps (zeros when none is).

    The "average of word vectors" sentence encoder, a strong baseline for small data (Iyyer et
    al. 2015, "Deep Unordered Composition Rivals Syntactic Methods for Text Classification";
    the Emojify V1 model of the deeplearning.ai Sequence Models course). Unlike
    `keras.layers.GlobalAveragePooling1D`, a sequence whose steps are all masked (for example a
    text made only of unknown words) gives a zero vector, not NaN.

    Call args:
        inputs: `(batch, time, features)`.
        mask: Optional `(batch, time)` bool mask, True at steps to average. None averages all.

    Returns:
        `(batch, features)`.

    Example:
        >>> import numpy as np
        >>> x = np.array([[[1.0, 2.0], [3.0, 4.0], [9.0, 9.0]]], "float32")
        >>> MaskedAverage()(x, mask=np.array([[True, True, False]])).numpy().tolist()
        [[2.0, 3.0]]
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return ops.mean(inputs, axis=1)
        weights = ops.cast(mask, inputs.dtype)[..., None]
        total = ops.sum(inputs * weights, axis=1)
        count = ops.maximum(ops.sum(weights, axis=1), ops.cast(1.0, inputs.dtype))
        return total / count

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])
