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
