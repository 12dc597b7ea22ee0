"""`PartlyTrainableEmbedding`: an embedding table with trainable and frozen rows."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from nlpkit.utils.validation import check_int

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

    Args:
        input_dim: Rows in all.
        output_dim: Vector size.
        trainable_rows: Rows `0 .. trainable_rows - 1` are trainable (`1 <= trainable_rows <
            input_dim`).
    """

    def __init__(self, input_dim: int, output_dim: int, trainable_rows: int, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = check_int("input_dim", input_dim, 2)
        self.output_dim = check_int("output_dim", output_dim, 1)
        self.trainable_rows = check_int("trainable_rows", trainable_rows, 1)
        if self.trainable_rows >= self.input_dim:
            raise ValueError(
                "`trainable_rows` must be smaller than `input_dim` (use keras.layers.Embedding "
                f"otherwise). Received: trainable_rows={trainable_rows}, input_dim={input_dim}"
            )

    def build(self, input_shape=None):
        n, d = self.trainable_rows, self.output_dim
        self.trained = self.add_weight(shape=(n, d), initializer="uniform", name="trained")
        self.frozen = self.add_weight(
            shape=(self.input_dim - n, d), initializer="zeros", name="frozen", trainable=False
        )

    @property
    def embeddings(self):
        """The whole table, `input_dim x output_dim` (a tensor, not a variable)."""
        return ops.concatenate([self.trained, self.frozen], axis=0)

    def set_table(self, table) -> None:
        """Assign the whole table (e.g. pretrained vectors)."""
        table = np.asarray(table, dtype="float32")
        self.trained.assign(table[: self.trainable_rows])
        self.frozen.assign(table[self.trainable_rows :])

    def call(self, inputs):
        ids = ops.cast(inputs, "int32")
        n = self.trainable_rows
        in_trained = ops.less(ids, n)
        a = ops.take(self.trained, ops.where(in_trained, ids, 0), axis=0)
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
        }
