"""`ArgmaxTags`: softmax tagging's decoder, the best tag at each position."""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["ArgmaxTags"]


@keras.saving.register_keras_serializable(package="nlpkit")
class ArgmaxTags(keras.layers.Layer):
    """The best tag at each position: `argmax` over the last axis, 0 at masked positions.

    The per-position decoder of a softmax tagger (the CRF's Viterbi decodes whole sequences).

    Masking: positions where the incoming mask is False get tag 0; the mask is passed on.

    Example:
        >>> import numpy as np
        >>> ArgmaxTags()(np.array([[[0.1, 0.9], [0.8, 0.2]]], "float32")).numpy().tolist()
        [[1, 0]]
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        tags = ops.cast(ops.argmax(inputs, axis=-1), "int32")
        if mask is not None:
            tags = ops.where(mask, tags, ops.zeros_like(tags))
        return tags

    def compute_output_spec(self, inputs, mask=None):
        return keras.KerasTensor(tuple(inputs.shape[:-1]), dtype="int32")

    def compute_mask(self, inputs, mask=None):
        return mask


# Tagger models saved before the move name the layer "nlpkit>_ArgmaxTags" in their .keras files.
@keras.saving.register_keras_serializable(package="nlpkit", name="_ArgmaxTags")
class _ArgmaxTags(ArgmaxTags):
    """`ArgmaxTags` under its old registered name, so that old `.keras` files still load."""
