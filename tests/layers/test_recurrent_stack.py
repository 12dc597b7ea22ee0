import keras
import numpy as np
import pytest

from nlpkit.layers import RecurrentStack


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_shapes(cell, bidirectional):
    x = np.random.RandomState(0).rand(2, 5, 3).astype("float32")
    stack = RecurrentStack(cell, 4, num_layers=2, bidirectional=bidirectional)
    units = 8 if bidirectional else 4
    assert tuple(stack(x).shape) == (2, units)
    seq = RecurrentStack(cell, 4, bidirectional=bidirectional, return_sequences=True)
    assert tuple(seq(x).shape) == (2, 5, units)
    assert seq.compute_output_shape((2, 5, 3)) == (2, 5, units)


def test_masking_padding_does_not_change_outputs():
    keras.utils.set_random_seed(0)
    ids = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(10, 4, mask_zero=True)(ids)
    out = RecurrentStack("lstm", 3, num_layers=2, bidirectional=True)(x)
    model = keras.Model(ids, out)
    short = model(np.array([[1, 2, 3]]))
    padded = model(np.array([[1, 2, 3, 0, 0, 0]]))
    np.testing.assert_allclose(short, padded, atol=1e-6)


def test_config_and_keras_file_round_trip(tmp_path):
    keras.utils.set_random_seed(0)
    inp = keras.Input((4, 3))
    model = keras.Model(inp, RecurrentStack("gru", 5, num_layers=2, dropout=0.1, name="enc")(inp))
    layer = model.get_layer("enc")
    clone = RecurrentStack.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    x = np.random.RandomState(1).rand(2, 4, 3).astype("float32")
    np.testing.assert_allclose(model(x), loaded(x), atol=1e-6)


def test_single_layer_rnn_matches_hand_computation():
    layer = RecurrentStack("rnn", 2)
    x = np.random.RandomState(2).rand(1, 3, 2).astype("float32")
    out = layer(x).numpy()
    kernel, recurrent, bias = (w.numpy() for w in layer.recurrent_layers[0].weights)
    h = np.zeros((1, 2), "float32")
    for t in range(3):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent + bias)
    np.testing.assert_allclose(out, h, atol=1e-5)


def test_bad_arguments():
    with pytest.raises(ValueError, match="Received: cell='lstn'"):
        RecurrentStack("lstn", 4)
    with pytest.raises(ValueError, match="`num_layers` must be >= 1"):
        RecurrentStack("gru", 4, num_layers=0)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_step_by_step_equals_the_full_sequence(cell):
    keras.utils.set_random_seed(2)
    stack = RecurrentStack(cell, 5, num_layers=2, dropout=0.2, return_sequences=True)
    x = np.random.RandomState(3).rand(3, 6, 4).astype("float32")
    full = np.asarray(stack(x))
    states = stack.initial_state(3)
    assert len(states) == 2 * (2 if cell == "lstm" else 1)
    assert all(tuple(s.shape) == (3, 5) and not np.asarray(s).any() for s in states)
    for t in range(6):
        out, states = stack.step(x[:, t], states)
        np.testing.assert_allclose(np.asarray(out), full[:, t], rtol=1e-5, atol=1e-6)


def test_step_errors():
    with pytest.raises(ValueError, match="unidirectional.*bidirectional=True"):
        RecurrentStack("gru", 4, bidirectional=True).initial_state(2)
    stack = RecurrentStack("lstm", 4, num_layers=2)
    stack.build((None, None, 3))
    with pytest.raises(ValueError, match="must hold 4 tensors.*Received: 2"):
        stack.step(np.zeros((1, 3), "float32"), stack.initial_state(1)[:2])
