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


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_stacked_bidirectional_returns_last_unmasked_step_of_each_sequence(cell):
    """In a batch of different lengths each sentence's vector is its own last real step (the
    forward direction) and its first step read backwards, as when it is run alone unpadded."""
    keras.utils.set_random_seed(1)
    ids = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(10, 4, mask_zero=True)(ids)
    stack = RecurrentStack(cell, 3, num_layers=2, bidirectional=True)
    model = keras.Model(ids, stack(x))
    batch = np.array([[1, 2, 3, 4, 5], [6, 7, 0, 0, 0], [8, 0, 0, 0, 0]])
    out = np.asarray(model(batch))
    for i, n in enumerate((5, 2, 1)):
        np.testing.assert_allclose(out[i], model(batch[i : i + 1, :n])[0], atol=1e-5)
    # and the forward half is the last real step of the full output sequence, not a padded one
    seq = keras.Model(ids, stack.recurrent_layers[0](x))  # first layer, full sequence
    full = np.asarray(seq(batch))
    alone = np.asarray(seq(batch[1:2, :2]))
    np.testing.assert_allclose(full[1, :2], alone[0], atol=1e-5)


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


@pytest.mark.parametrize("bidirectional", [True, False])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_fast_inference_equals_the_keras_loop(bidirectional, num_layers, return_sequences):
    """The fused LSTM loop gives the Keras layers' outputs (rows of every length, an empty one
    included; padded steps as Keras returns them), eagerly and traced, with and without a mask."""
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    stack = RecurrentStack(
        "lstm",
        5,
        num_layers=num_layers,
        bidirectional=bidirectional,
        return_sequences=return_sequences,
    )
    x = np.random.RandomState(0).rand(4, 6, 3).astype("float32")
    mask = np.arange(6)[None] < np.array([6, 3, 1, 0])[:, None]
    keras_masked, keras_full = np.asarray(stack(x, mask=mask)), np.asarray(stack(x))
    stack.fast_inference = True
    traced = tf.function(lambda x, m: stack(x, mask=m))
    for out in (stack(x, mask=mask), traced(x, mask)):
        np.testing.assert_allclose(out, keras_masked, atol=1e-6)
    np.testing.assert_allclose(stack(x), keras_full, atol=1e-6)
    # training keeps the Keras path: dropout-free here, so the same values
    np.testing.assert_allclose(stack(x, mask=mask, training=True), keras_masked, atol=1e-6)
    assert "fast_inference" not in stack.get_config()


def test_fast_inference_rejects_a_mask_with_a_gap():
    import tensorflow as tf

    stack = RecurrentStack("lstm", 3, bidirectional=True)
    stack.fast_inference = True
    x = np.zeros((1, 4, 2), "float32")
    with pytest.raises(tf.errors.InvalidArgumentError, match="right-padded"):
        stack(x, mask=np.array([[True, False, True, False]]))
