"""Tests for nlpkit.layers.ArgmaxTags."""

import json

import keras
import numpy as np

from nlpkit.layers import ArgmaxTags


def _model():
    inp = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(5, 3, mask_zero=True, name="emb")(inp)
    return keras.Model(inp, ArgmaxTags(name="decode")(x))


def test_argmax_per_position_and_zero_under_the_mask():
    keras.utils.set_random_seed(0)
    model = _model()
    # the padding row would give tag 1: the mask turns it into 0
    table = np.array([[0, 9, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 2, 1]], "float32")
    model.get_layer("emb").set_weights([table])
    ids = np.array([[1, 2, 3, 4, 0, 0]])
    out = np.asarray(model(ids))
    assert out.dtype == np.int32
    assert out.tolist() == [[1, 2, 0, 1, 0, 0]]
    layer = ArgmaxTags()
    scores = np.array([[[0.1, 0.2, 0.7], [0.5, 0.4, 0.1]]], "float32")
    assert np.asarray(layer(scores, mask=np.array([[True, False]]))).tolist() == [[2, 0]]
    assert np.asarray(layer(scores)).tolist() == [[2, 0]]
    assert np.asarray(layer.compute_mask(scores, np.array([[True, False]]))).tolist() == [
        [True, False]
    ]


def test_config_and_keras_file_round_trip_with_the_old_registered_name(tmp_path):
    model = _model()
    assert ArgmaxTags.from_config(ArgmaxTags().get_config()).get_config()["trainable"]
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    ids = np.array([[1, 2, 0], [4, 3, 2]])
    np.testing.assert_array_equal(np.asarray(loaded(ids)), np.asarray(model(ids)))
    # a tagger saved before the move names the layer "nlpkit>_ArgmaxTags": it still loads
    config = json.loads(json.dumps(keras.saving.serialize_keras_object(model)))
    text = json.dumps(config).replace('"nlpkit>ArgmaxTags"', '"nlpkit>_ArgmaxTags"')
    text = text.replace('"class_name": "ArgmaxTags"', '"class_name": "_ArgmaxTags"')
    assert "_ArgmaxTags" in text
    old = keras.saving.deserialize_keras_object(json.loads(text))
    old.set_weights(model.get_weights())
    assert isinstance(old.get_layer("decode"), ArgmaxTags)
    np.testing.assert_array_equal(np.asarray(old(ids)), np.asarray(model(ids)))
