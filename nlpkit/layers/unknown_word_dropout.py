"""`UnknownWordDropout`: replace rare training words by the unknown-word id during training."""

from __future__ import annotations

import keras
from keras import ops

from nlpkit.utils.validation import check_float, check_int

__all__ = ["UnknownWordDropout"]


@keras.saving.register_keras_serializable(package="nlpkit")
class UnknownWordDropout(keras.layers.Layer):
    """During training, replace each id in `[low, high)` by `unk_id` with probability `rate`.

    Lample et al. (2016, sec. 4) replace singletons by the unknown word with probability 0.5
    while training, so that the `[UNK]` vector is learned from words the model rarely sees,
    the kind of word it will meet at test time. With a frequency-sorted vocabulary the rare
    training words form one range of ids, `[low, high)`. At inference the ids pass unchanged.

    Args:
        low: First id that may be replaced.
        high: One past the last id that may be replaced.
        rate: Replacement probability (0 disables the layer).
        unk_id: The unknown-word id.
        seed: Seed of the replacement draws.

    Example:
        >>> import numpy as np
        >>> layer = UnknownWordDropout(3, 5, rate=1.0)
        >>> layer(np.array([[2, 3, 4, 5, 0]]), training=True).numpy().tolist()
        [[2, 1, 1, 5, 0]]
    """

    def __init__(
        self,
        low: int,
        high: int,
        rate: float = 0.5,
        unk_id: int = 1,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.low = check_int("low", low, 0)
        self.high = check_int("high", high, self.low)
        self.rate = check_float("rate", rate, 0.0, 1.0)
        self.unk_id = check_int("unk_id", unk_id, 0)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0 or self.high <= self.low:
            return inputs
        rare = ops.logical_and(ops.greater_equal(inputs, self.low), ops.less(inputs, self.high))
        draw = keras.random.uniform(ops.shape(inputs), seed=self.seed_generator)
        replace = ops.logical_and(rare, ops.less(draw, self.rate))
        return ops.where(replace, ops.cast(self.unk_id, inputs.dtype), inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "low": self.low,
            "high": self.high,
            "rate": self.rate,
            "unk_id": self.unk_id,
            "seed": self.seed,
        }
