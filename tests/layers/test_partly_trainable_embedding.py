"""Tests for nlpkit.layers.PartlyTrainableEmbedding."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nlpkit.layers import PartlyTrainableEmbedding


def _layer():
    layer = PartlyTrainableEmbedding(6, 3, trainable_rows=4)
    layer.build((None, None))
    table = np.arange(18, dtype="float32").reshape(6, 3)
    layer.set_table(table)
    return layer, table


def test_lookup_equals_the_table_and_padding_is_masked():
    layer, table = _layer()
    ids = np.array([[1, 5, 0], [3, 4, 2]])
    np.testing.assert_array_equal(np.asarray(layer(ids)), table[ids])
    np.testing.assert_array_equal(np.asarray(layer.compute_mask(ids)), ids != 0)
    np.testing.assert_array_equal(np.asarray(layer.embeddings), table)


def test_only_the_first_rows_are_trainable():
    layer, table = _layer()
    assert [w.shape for w in layer.trainable_weights] == [(4, 3)]
    assert [w.shape for w in layer.non_trainable_weights] == [(2, 3)]
    ids = tf.constant([[1, 5, 4]])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(ids))
    (grad,) = tape.gradient(loss, layer.trainable_weights)
    grad = tf.convert_to_tensor(grad).numpy()
    np.testing.assert_array_equal(grad.sum(1), [0, 3, 0, 0])  # row 1 used once; 4, 5 frozen


def test_config_round_trip_and_bad_arguments():
    layer, _ = _layer()
    again = PartlyTrainableEmbedding.from_config(layer.get_config())
    assert (again.input_dim, again.output_dim, again.trainable_rows) == (6, 3, 4)
    assert keras.saving.get_registered_object("nlpkit>PartlyTrainableEmbedding") is not None
    with pytest.raises(ValueError, match="`trainable_rows` must be smaller than `input_dim`"):
        PartlyTrainableEmbedding(4, 3, trainable_rows=4)
