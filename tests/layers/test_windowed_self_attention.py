"""Tests for nlpkit.layers.WindowedSelfAttention."""

import keras
import numpy as np
import pytest

from nlpkit.layers import WindowedSelfAttention


def _model(window=3):
    keras.utils.set_random_seed(0)
    inp = keras.Input((None, 8))
    out = WindowedSelfAttention(window, 2, 8, name="attention")(inp)
    return keras.Model(inp, out)


def test_shapes_and_causal_window():
    model = _model(window=3)
    x = np.random.default_rng(0).normal(size=(2, 6, 8)).astype("float32")
    y = np.asarray(model(x))
    assert y.shape == (2, 6, 8)
    # changing step 4 changes outputs at steps 4, 5, 6 only (each sees itself and 2 before)
    x2 = x.copy()
    x2[:, 3] += 1.0
    changed = np.abs(np.asarray(model(x2)) - y).max(axis=(0, 2)) > 1e-6
    assert changed.tolist() == [False, False, False, True, True, True]
    # a window of 1: each step attends only to itself, so a change at step 4 stays there
    one = _model(window=1)
    y1 = np.asarray(one(x))
    changed = np.abs(np.asarray(one(x2)) - y1).max(axis=(0, 2)) > 1e-6
    assert changed.tolist() == [False, False, False, True, False, False]


def test_step_equals_call_with_a_buffer():
    model = _model(window=3)
    layer = model.get_layer("attention")
    x = np.random.default_rng(1).normal(size=(2, 5, 8)).astype("float32")
    full = np.asarray(model(x))
    buffer = np.zeros((2, 3, 8), "float32")
    valid = np.zeros((2, 3), bool)
    for t in range(5):
        buffer = np.concatenate([buffer[:, 1:], x[:, t : t + 1]], axis=1)
        valid = np.concatenate([valid[:, 1:], np.ones((2, 1), bool)], axis=1)
        out = np.asarray(layer.step(x[:, t], buffer, valid))
        np.testing.assert_allclose(out, full[:, t], rtol=1e-5, atol=1e-5)


def test_config_round_trip_keras_file_and_bad_arguments(tmp_path):
    model = _model()
    layer = model.get_layer("attention")
    clone = WindowedSelfAttention.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert layer.get_config()["window"] == 3 and layer.get_config()["heads"] == 2
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert type(loaded.get_layer("attention")) is WindowedSelfAttention
    x = np.random.default_rng(2).normal(size=(1, 4, 8)).astype("float32")
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), rtol=1e-6)
    with pytest.raises(ValueError, match="window"):
        WindowedSelfAttention(0, 2, 8)
