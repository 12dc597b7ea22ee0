import keras
import numpy as np

from nlpkit.layers import MaskedAverage


def test_average_over_unmasked_steps_and_zeros_when_all_masked():
    x = np.random.default_rng(0).normal(size=(3, 4, 2)).astype("float32")
    mask = np.array([[1, 1, 0, 0], [1, 0, 1, 1], [0, 0, 0, 0]], bool)
    out = np.asarray(MaskedAverage()(x, mask=mask))
    np.testing.assert_allclose(out[0], x[0, :2].mean(0), atol=1e-6)
    np.testing.assert_allclose(out[1], x[1, [0, 2, 3]].mean(0), atol=1e-6)
    np.testing.assert_array_equal(out[2], 0.0)
    np.testing.assert_allclose(np.asarray(MaskedAverage()(x)), x.mean(1), atol=1e-6)


def test_embedding_mask_padding_and_keras_save(tmp_path):
    keras.utils.set_random_seed(0)
    ids = keras.Input((None,), dtype="int32")
    out = MaskedAverage(name="avg")(keras.layers.Embedding(6, 3, mask_zero=True)(ids))
    model = keras.Model(ids, out)
    short, padded = model(np.array([[1, 2]])), model(np.array([[1, 2, 0, 0]]))
    np.testing.assert_allclose(short, padded, atol=1e-6)
    assert model.get_layer("avg").compute_output_shape((2, 5, 3)) == (2, 3)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded(np.array([[1, 2, 0]])), short, atol=1e-6)
    clone = MaskedAverage.from_config(model.get_layer("avg").get_config())
    assert clone.get_config() == model.get_layer("avg").get_config()
