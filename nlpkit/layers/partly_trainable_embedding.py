"""`PartlyTrainableEmbedding`: an embedding table with trainable and frozen rows."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from nlpkit.utils.validation import check_float, check_int

__all__ = ["PartlyTrainableEmbedding"]


@keras.saving.register_keras_serializable(package="nlpkit")
class PartlyTrainableEmbedding(keras.layers.Layer):
    """A word embedding whose first `trainable_rows` rows are trained and the others frozen.

    Fine-tuning pretrained vectors (Collobert et al. 2011) only moves words seen in training.
    `EntityTagger` puts the training words first and the words added from pretrained vectors
    after them: fine-tuning then moves the training words, the others keep their pretrained
    vectors, and the optimizer only updates the trainable rows (Keras's Adam updates a whole
    table densely at every step, which for 400,000 GloVe words costs more than the network).
    Index 0 is padding (masked).

    `learning_rate_multiplier` scales how fast the trainable rows move: they are stored divided
    by it and multiplied back on lookup, so an optimizer that normalises gradient scale (Adam,
    RMSprop) moves them at `multiplier x` its learning rate, with no second optimizer and no
    extra memory. Fine-tuned pretrained vectors overfit small data within an epoch or two at
    the network's learning rate; a multiplier of 0.1 keeps them close to where they started.

    Args:
        input_dim: Rows in all.
        output_dim: Vector size.
        trainable_rows: Rows `0 .. trainable_rows - 1` are trainable (`1 <= trainable_rows <=
            input_dim`; all rows trainable when equal).
        learning_rate_multiplier: > 0; the trainable rows' learning rate relative to the
            optimizer's (exact for Adam up to its epsilon; for plain SGD the effective factor
            is its square).
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        trainable_rows: int,
        learning_rate_multiplier: float = 1.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.input_dim = check_int("input_dim", input_dim, 2)
        self.output_dim = check_int("output_dim", output_dim, 1)
        self.trainable_rows = check_int("trainable_rows", trainable_rows, 1)
        self.learning_rate_multiplier = check_float(
            "learning_rate_multiplier", learning_rate_multiplier, 0.0, low_inclusive=False
        )
        if self.trainable_rows > self.input_dim:
            raise ValueError(
                "`trainable_rows` must be at most `input_dim`. "
                f"Received: trainable_rows={trainable_rows}, input_dim={input_dim}"
            )

    def build(self, input_shape=None):
        n, d = self.trainable_rows, self.output_dim
        self.trained = self.add_weight(shape=(n, d), initializer="uniform", name="trained")
        self.frozen = None
        if n < self.input_dim:
            self.frozen = self.add_weight(
                shape=(self.input_dim - n, d), initializer="zeros", name="frozen", trainable=False
            )

    def _trained_rows(self):
        if self.learning_rate_multiplier == 1.0:
            return self.trained
        return self.trained * self.learning_rate_multiplier

    @property
    def embeddings(self):
        """The whole table, `input_dim x output_dim` (a tensor, not a variable)."""
        if self.frozen is None:
            return self._trained_rows()
        return ops.concatenate([self._trained_rows(), self.frozen], axis=0)

    def set_table(self, table) -> None:
        """Assign the whole table (e.g. pretrained vectors)."""
        table = np.asarray(table, dtype="float32")
        self.trained.assign(table[: self.trainable_rows] / self.learning_rate_multiplier)
        if self.frozen is not None:
            self.frozen.assign(table[self.trainable_rows :])

    def call(self, inputs):
        ids = ops.cast(inputs, "int32")
        if self.frozen is None:
            return ops.take(self._trained_rows(), ids, axis=0)
        n = self.trainable_rows
        in_trained = ops.less(ids, n)
        a = ops.take(self._trained_rows(), ops.where(in_trained, ids, 0), axis=0)
        b = ops.take(self.frozen, ops.where(in_trained, 0, ids - n), axis=0)
        return ops.where(ops.expand_dims(in_trained, -1), a, b)

    def compute_mask(self, inputs, mask=None):
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "trainable_rows": self.trainable_rows,
            "learning_rate_multiplier": self.learning_rate_multiplier,
        }
