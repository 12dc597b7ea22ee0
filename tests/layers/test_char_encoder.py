"""CharEncoder: shapes, padding invariance, config, .keras round trip, a NumPy check (CNN)."""

import keras
import numpy as np
import pytest

from nlpkit.layers.char_encoder import CharEncoder

X = np.array(
    [[[1, 2, 3, 0], [4, 0, 0, 0], [0, 0, 0, 0]], [[5, 5, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]],
    "int32",
)


@pytest.mark.parametrize("mode,dim", [("cnn", 6), ("lstm", 10)])
def test_shapes_and_padding(mode, dim):
    keras.utils.set_random_seed(0)
    enc = CharEncoder(8, 4, mode=mode, hidden_size=dim if mode == "cnn" else dim // 2)
    y = np.asarray(enc(X))
    assert y.shape == (2, 3, dim)
    assert enc.compute_output_shape((2, 3, 4)) == (2, 3, dim)
    np.testing.assert_array_equal(y[0, 2], 0.0)  # a padding word is a zero vector
    assert np.abs(y[0, :2]).sum() > 0
    # More padding characters or words do not change the vectors of real words.
    wider = np.concatenate([X, np.zeros((2, 3, 3), "int32")], axis=-1)
    np.testing.assert_allclose(np.asarray(enc(wider)), y, atol=1e-6)
    alone = np.asarray(enc(X[:1, 1:2, :1]))
    np.testing.assert_allclose(alone[0, 0], y[0, 1], atol=1e-6)


def test_lstm_inference_takes_the_fused_loop_with_the_keras_values():
    keras.utils.set_random_seed(0)
    enc = CharEncoder(8, 4, mode="lstm", hidden_size=3)
    assert enc.rnn.fast_inference
    fused = np.asarray(enc(X))
    enc.rnn.fast_inference = False
    np.testing.assert_allclose(fused, np.asarray(enc(X)), atol=1e-6)
    np.testing.assert_array_equal(fused[0, 2], 0.0)


def test_cnn_matches_numpy():
    keras.utils.set_random_seed(1)
    enc = CharEncoder(8, 3, mode="cnn", hidden_size=5, kernel_size=3)
    y = np.asarray(enc(X))
    table = np.asarray(enc.embedding.embeddings)
    kernel, bias = (np.asarray(w) for w in enc.conv.weights)
    for b in range(2):
        for w in range(3):
            ids = [c for c in X[b, w] if c != 0]
            if not ids:
                continue
            e = np.concatenate([np.zeros((1, 3)), table[ids], np.zeros((1, 3))])  # 'same' padding
            conv = np.stack(
                [np.einsum("kc,kcf->f", e[i : i + 3], kernel) + bias for i in range(len(ids))]
            )
            np.testing.assert_allclose(y[b, w], conv.max(0), atol=1e-5)


def test_config_and_keras_save(tmp_path):
    keras.utils.set_random_seed(0)
    inp = keras.Input((None, None), dtype="int32")
    model = keras.Model(inp, CharEncoder(8, 4, mode="lstm", hidden_size=3, name="chars")(inp))
    y = np.asarray(model(X))
    model.save(tmp_path / "m.keras")
    np.testing.assert_allclose(
        np.asarray(keras.saving.load_model(tmp_path / "m.keras")(X)), y, atol=1e-6
    )
    layer = model.get_layer("chars")
    assert CharEncoder.from_config(layer.get_config()).get_config() == layer.get_config()


def test_bad_arguments():
    with pytest.raises(
        ValueError, match="`mode` must be one of 'cnn', 'lstm'. Received: mode='gru'"
    ):
        CharEncoder(8, mode="gru")
    with pytest.raises(ValueError, match="vocabulary_size"):
        CharEncoder(1)
