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
    with pytest.raises(ValueError, match="`trainable_rows` must be at most `input_dim`"):
        PartlyTrainableEmbedding(4, 3, trainable_rows=5)
    with pytest.raises(ValueError, match=r"`learning_rate_multiplier` must be in \(0.0, inf\)"):
        PartlyTrainableEmbedding(4, 3, trainable_rows=2, learning_rate_multiplier=0.0)


def test_learning_rate_multiplier_scales_adams_steps_on_the_trainable_rows():
    """One Adam step moves a trainable row by ~multiplier x lr (Adam's first step is lr per
    coordinate whatever the gradient's scale); frozen rows do not move; the table and the
    lookups stay the same values however they are stored."""
    table = np.arange(18, dtype="float32").reshape(6, 3) / 10
    moved = {}
    for mult in (1.0, 0.1):
        layer = PartlyTrainableEmbedding(6, 3, trainable_rows=4, learning_rate_multiplier=mult)
        layer.build((None, None))
        layer.set_table(table)
        np.testing.assert_allclose(np.asarray(layer.embeddings), table, rtol=1e-6)
        ids = tf.constant([[1, 2, 5]])
        np.testing.assert_allclose(np.asarray(layer(ids)), table[[[1, 2, 5]]], rtol=1e-6)
        opt = keras.optimizers.Adam(0.01)
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(ids))
        opt.apply_gradients(
            zip(tape.gradient(loss, layer.trainable_weights), layer.trainable_weights, strict=True)
        )
        moved[mult] = np.asarray(layer.embeddings) - table
        np.testing.assert_allclose(moved[mult][4:], 0.0)  # frozen
    np.testing.assert_allclose(moved[1.0][1], -0.01, rtol=1e-3)
    np.testing.assert_allclose(moved[0.1][1], -0.001, rtol=1e-3)
    again = PartlyTrainableEmbedding.from_config(layer.get_config())
    assert again.learning_rate_multiplier == 0.1


def test_every_row_trainable():
    layer = PartlyTrainableEmbedding(4, 2, trainable_rows=4, learning_rate_multiplier=0.5)
    layer.build((None, None))
    table = np.arange(8, dtype="float32").reshape(4, 2)
    layer.set_table(table)
    assert layer.non_trainable_weights == [] and [w.shape for w in layer.trainable_weights] == [
        (4, 2)
    ]
    np.testing.assert_allclose(np.asarray(layer(np.array([[3, 0, 1]]))), table[[[3, 0, 1]]])
