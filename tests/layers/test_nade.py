"""Tests for nlpkit.layers.NADE."""

import numpy as np
import pytest
import tensorflow as tf

from nlpkit.layers import NADE


def _log_bernoulli(z, p):
    return z * np.log(p) + (1 - z) * np.log(1 - p)


def _all_vectors(units):
    return np.array([[(i >> k) & 1 for k in range(units)] for i in range(2**units)], "float32")


def test_nade_is_a_normalised_distribution_and_unit_k_sees_only_lower_units():
    layer = NADE(units=4, hidden=3)
    context = np.random.default_rng(0).normal(size=(1, 5)).astype("float32")
    vectors = _all_vectors(4)
    logits = np.asarray(layer([np.repeat(context, 16, 0), vectors]), np.float64)
    p = 1 / (1 + np.exp(-logits))
    assert np.exp(np.sum(_log_bernoulli(vectors, p), axis=1)).sum() == pytest.approx(1.0, abs=1e-6)
    # unit k's conditional depends on units < k only
    for k in range(4):
        lower = vectors[:, :k] @ (2 ** np.arange(k)) if k else np.zeros(16)
        for value in np.unique(lower):
            assert np.allclose(logits[lower == value, k], logits[lower == value, k][0], atol=1e-6)


def test_sampling_follows_the_conditionals():
    layer = NADE(units=5, hidden=4)
    context = tf.constant(np.random.default_rng(1).normal(size=(3, 6)), tf.float32)
    # greedy: each unit on exactly where its conditional, given the drawn lower units, is > 1/2
    greedy = layer.sample(context, tf.zeros([3, 5]), tf.constant(0.0)).numpy()
    logits = np.asarray(layer([context, greedy]))
    np.testing.assert_array_equal(greedy, (logits > 0).astype("float32"))
    # noise 0 turns every unit on, noise just below 1 turns every unit off
    assert layer.sample(context, tf.zeros([3, 5]), tf.constant(1.0)).numpy().all()
    assert not layer.sample(context, tf.fill([3, 5], 0.999999), tf.constant(1.0)).numpy().any()


def test_sampling_frequencies_match_the_likelihood():
    layer = NADE(units=3, hidden=4)
    context = tf.constant(np.random.default_rng(2).normal(size=(1, 2)), tf.float32)
    n = 20000
    draws = layer.sample(
        tf.repeat(context, n, 0), tf.random.stateless_uniform([n, 3], seed=[0, 1]), tf.constant(1.0)
    ).numpy()
    vectors = _all_vectors(3)
    logits = np.asarray(layer([tf.repeat(context, 8, 0), vectors]), np.float64)
    expected = np.exp(np.sum(_log_bernoulli(vectors, 1 / (1 + np.exp(-logits))), axis=1))
    observed = np.array([(draws @ [1, 2, 4] == i).mean() for i in range(8)])
    np.testing.assert_allclose(observed, expected, atol=0.015)
