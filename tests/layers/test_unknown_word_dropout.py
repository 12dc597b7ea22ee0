import keras
import numpy as np
import pytest

from nlpkit.layers import UnknownWordDropout


def test_replaces_only_the_id_range_at_the_rate_and_only_in_training():
    layer = UnknownWordDropout(10, 20, rate=0.5, seed=0)
    x = np.tile(np.arange(0, 30), (400, 1))
    out = np.asarray(layer(x, training=True))
    inside = (x >= 10) & (x < 20)
    np.testing.assert_array_equal(out[~inside], x[~inside])
    assert set(np.unique(out[inside])) <= set(range(10, 20)) | {1}
    assert abs((out[inside] == 1).mean() - 0.5) < 0.03
    np.testing.assert_array_equal(np.asarray(layer(x)), x)  # inference: unchanged
    np.testing.assert_array_equal(
        np.asarray(UnknownWordDropout(10, 20, rate=0.0)(x, training=True)), x
    )


def test_config_round_trip_and_bad_rate():
    layer = UnknownWordDropout(3, 7, rate=0.25, unk_id=1, seed=4, name="wd")
    clone = UnknownWordDropout.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    ids = keras.Input((None,), dtype="int32")
    model = keras.Model(ids, layer(ids))
    assert model(np.array([[3, 4]])).shape == (1, 2)
    with pytest.raises(ValueError, match="rate"):
        UnknownWordDropout(0, 5, rate=1.5)
