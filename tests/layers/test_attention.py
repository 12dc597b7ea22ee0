"""Tests for nlpkit.layers.attention (BahdanauAttention, LuongAttention)."""

import keras
import numpy as np
import pytest

from nlpkit.layers.attention import BahdanauAttention, LuongAttention

B, TV, DQ, DV = 3, 5, 4, 6
MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], bool)


def _data(dq=DQ, dv=DV):
    rng = np.random.default_rng(0)
    return rng.normal(size=(B, dq)).astype("float32"), rng.normal(size=(B, TV, dv)).astype(
        "float32"
    )


def _layers():
    return [
        BahdanauAttention(7),
        LuongAttention("general"),
        LuongAttention("concat", units=7),
    ]


def _softmax(s, mask):
    s = np.where(mask, s, -np.inf)
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _w(layer, name):
    return next(np.asarray(v) for v in layer.weights if v.path.endswith(name))


@pytest.mark.parametrize(
    "layer", _layers(), ids=lambda layer: getattr(layer, "score_name", "bahdanau")
)
def test_shapes_mask_and_sum_to_one(layer):
    keras.utils.set_random_seed(0)
    q, v = _data()
    context, weights = layer([q, v], mask=[None, MASK])
    assert tuple(context.shape) == (B, DV) and tuple(weights.shape) == (B, TV)
    w = np.asarray(weights)
    np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-5)
    assert np.all(w[~MASK] == 0.0)  # exactly zero on padding
    assert np.all(w[MASK] > 0.0)
    # 3-D query: one row of weights per query step
    q3 = np.stack([q, q * 2], axis=1)
    c3, w3 = layer([q3, v], mask=[None, MASK])
    assert tuple(c3.shape) == (B, 2, DV) and tuple(w3.shape) == (B, 2, TV)
    np.testing.assert_allclose(np.asarray(w3)[:, 0], w, rtol=1e-5, atol=1e-6)
    assert layer.compute_output_shape([(B, DQ), (B, TV, DV)]) == ((B, DV), (B, TV))


def test_bahdanau_matches_numpy():
    keras.utils.set_random_seed(1)
    q, v = _data()
    layer = BahdanauAttention(7)
    context, weights = layer([q, v], mask=MASK)
    wq, wk, b, vs = (_w(layer, n) for n in ("query_kernel", "key_kernel", "bias", "score_vector"))
    scores = np.tanh((q @ wq)[:, None, :] + v @ wk + b) @ vs
    expected_w = _softmax(scores, MASK)
    np.testing.assert_allclose(np.asarray(weights), expected_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        np.asarray(context), np.einsum("bt,btd->bd", expected_w, v), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("score", ["dot", "general", "concat"])
def test_luong_matches_numpy(score):
    keras.utils.set_random_seed(2)
    q, v = _data(dq=DV if score == "dot" else DQ)
    layer = LuongAttention(score, units=5)
    context, weights = layer([q, v], mask=[None, MASK])
    if score == "dot":
        scores = np.einsum("bd,btd->bt", q, v)
    elif score == "general":
        scores = np.einsum("bd,btd->bt", q @ _w(layer, "kernel"), v)
    else:
        wq, wk, vs = (_w(layer, n) for n in ("query_kernel", "key_kernel", "score_vector"))
        scores = np.tanh((q @ wq)[:, None, :] + v @ wk) @ vs
    expected_w = _softmax(scores, MASK)
    np.testing.assert_allclose(np.asarray(weights), expected_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        np.asarray(context), np.einsum("bt,btd->bd", expected_w, v), rtol=1e-5, atol=1e-6
    )


def test_keras_mask_from_embedding_is_used():
    keras.utils.set_random_seed(3)
    ids = np.array([[3, 4, 0, 0], [5, 6, 7, 0]])
    emb = keras.layers.Embedding(10, DV, mask_zero=True)
    values = emb(ids)
    _, weights = BahdanauAttention(4)([np.ones((2, DQ), "float32"), values], mask=[None, ids != 0])
    assert np.all(np.asarray(weights)[ids == 0] == 0)


@pytest.mark.parametrize(
    "layer", _layers(), ids=lambda layer: getattr(layer, "score_name", "bahdanau")
)
def test_config_round_trip_and_keras_save(layer, tmp_path):
    keras.utils.set_random_seed(4)
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    q_in = keras.Input((DQ,))
    v_in = keras.Input((TV, DV))
    m_in = keras.Input((TV,), dtype="bool")
    context, weights = layer([q_in, v_in], mask=[None, m_in])
    model = keras.Model([q_in, v_in, m_in], [context, weights])
    q, v = _data()
    before = model.predict([q, v, MASK], verbose=0)
    path = tmp_path / "attn.keras"
    model.save(path)
    after = keras.saving.load_model(path).predict([q, v, MASK], verbose=0)
    for a, b in zip(before, after, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_bad_arguments():
    with pytest.raises(
        ValueError,
        match="`score` must be one of 'dot', 'general', 'concat'. Received: score='cosine'",
    ):
        LuongAttention("cosine")
    with pytest.raises(ValueError, match="`units` must be >= 1"):
        BahdanauAttention(0)
    q, v = _data()  # dq=4 != dv=6
    with pytest.raises(ValueError, match="sizes to be equal"):
        LuongAttention("dot")([q, v])
