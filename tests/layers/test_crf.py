"""CRF layer: log-likelihood and Viterbi against brute-force enumeration of every tag path."""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

from nlpkit.layers.crf import CRF, crf_log_likelihood, viterbi_decode
from nlpkit.text.tags import allowed_transitions


def _random_problem(seed, batch=3, time=4, tags=3):
    rng = np.random.default_rng(seed)
    pot = rng.normal(size=(batch, time, tags)).astype("float32")
    trans = rng.normal(size=(tags, tags)).astype("float32")
    start = rng.normal(size=tags).astype("float32")
    end = rng.normal(size=tags).astype("float32")
    lengths = rng.integers(1, time + 1, size=batch)
    lengths[0] = time
    mask = np.arange(time)[None, :] < lengths[:, None]
    gold = rng.integers(0, tags, size=(batch, time))
    return pot, trans, start, end, mask, lengths, gold


def _path_score(pot_b, path, trans, start, end):
    s = start[path[0]] + end[path[-1]] + sum(pot_b[t, p] for t, p in enumerate(path))
    return s + sum(trans[a, b] for a, b in zip(path[:-1], path[1:], strict=True))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_log_likelihood_and_viterbi_match_brute_force(seed):
    pot, trans, start, end, mask, lengths, gold = _random_problem(seed)
    ll = np.asarray(crf_log_likelihood(pot, gold, mask, trans, start, end))
    tags, best = viterbi_decode(pot, mask, trans, start, end)
    tags, best = np.asarray(tags), np.asarray(best)
    k = pot.shape[-1]
    for b, n in enumerate(lengths):
        paths = list(itertools.product(range(k), repeat=int(n)))
        scores = np.array([_path_score(pot[b], p, trans, start, end) for p in paths], "float64")
        log_z = np.logaddexp.reduce(scores)
        expected = _path_score(pot[b], gold[b, :n], trans, start, end) - log_z
        np.testing.assert_allclose(ll[b], expected, atol=1e-5)
        assert tuple(tags[b, :n]) == paths[int(scores.argmax())]
        np.testing.assert_allclose(best[b], scores.max(), atol=1e-5)
        assert (tags[b, n:] == 0).all()


def test_padding_does_not_change_scores():
    pot, trans, start, end, mask, _, gold = _random_problem(5, batch=2, time=3)
    mask = np.ones_like(mask)
    rng = np.random.default_rng(9)
    pot_pad = np.concatenate([pot, rng.normal(size=(2, 4, 3)).astype("float32") * 10], axis=1)
    gold_pad = np.concatenate([gold, rng.integers(0, 3, size=(2, 4))], axis=1)
    mask_pad = np.concatenate([mask, np.zeros((2, 4), bool)], axis=1)
    ll = crf_log_likelihood(pot, gold, mask, trans, start, end)
    ll_pad = crf_log_likelihood(pot_pad, gold_pad, mask_pad, trans, start, end)
    np.testing.assert_allclose(ll, ll_pad, atol=1e-5)
    tags = viterbi_decode(pot, mask, trans, start, end)[0]
    tags_pad = viterbi_decode(pot_pad, mask_pad, trans, start, end)[0]
    np.testing.assert_array_equal(np.asarray(tags), np.asarray(tags_pad)[:, :3])
    np.testing.assert_array_equal(np.asarray(tags_pad)[:, 3:], 0)


def test_probabilities_sum_to_one():
    pot, trans, start, end, _, _, _ = _random_problem(3, batch=1, time=3, tags=2)
    paths = np.array(list(itertools.product(range(2), repeat=3)))
    ll = crf_log_likelihood(np.repeat(pot, len(paths), 0), paths, None, trans, start, end)
    np.testing.assert_allclose(np.exp(np.asarray(ll)).sum(), 1.0, atol=1e-5)


def test_constrained_decoding_is_best_allowed_path():
    tags = ["O", "B-PER", "I-PER"]
    trans_ok, start_ok, end_ok = allowed_transitions(tags, "iob2")
    rng = np.random.default_rng(0)
    pot = rng.normal(size=(4, 4, 3)).astype("float32")
    pot[:, :, 2] += 3.0  # unconstrained decoding loves I-PER everywhere
    crf = CRF(trans_ok, start_ok, end_ok)
    out = np.asarray(crf(pot))
    w = [np.asarray(v) for v in (crf.transitions, crf.start_transitions, crf.end_transitions)]
    for b in range(4):
        best, best_path = -np.inf, None
        for p in itertools.product(range(3), repeat=4):
            if not start_ok[p[0]] or not all(
                trans_ok[a][c] for a, c in zip(p[:-1], p[1:], strict=True)
            ):
                continue
            s = _path_score(pot[b], p, *w)
            if s > best:
                best, best_path = s, p
        assert tuple(out[b]) == best_path
        assert out[b, 0] != 2  # never starts with I-PER
    unconstrained = np.asarray(viterbi_decode(pot, None, *w)[0])
    assert (unconstrained[:, 0] == 2).any()


def test_layer_masking_config_and_keras_save(tmp_path):
    keras.utils.set_random_seed(0)
    inp = keras.Input((None,), dtype="int32")
    h = keras.layers.Embedding(10, 4, mask_zero=True)(inp)
    pot = keras.layers.Dense(3)(h)
    out = CRF(name="crf")(pot)
    model = keras.Model(inp, out)
    x = np.array([[1, 2, 3, 0, 0], [4, 5, 0, 0, 0]], "int32")
    y = np.asarray(model(x))
    assert y.shape == (2, 5) and y.dtype == np.int32
    assert (y[0, 3:] == 0).all() and (y[1, 2:] == 0).all()
    # The mask reaches the CRF: decoding the unpadded sentence alone gives the same tags.
    np.testing.assert_array_equal(np.asarray(model(x[1:, :2])), y[1:, :2])
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(np.asarray(loaded(x)), y)
    layer = model.get_layer("crf")
    clone = CRF.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert layer.compute_output_shape((2, 5, 3)) == (2, 5)


def test_graph_mode_single_step_and_gradients():
    pot, trans, start, end, mask, _, gold = _random_problem(1)
    crf = CRF()
    crf.build(pot.shape)

    @tf.function(input_signature=[tf.TensorSpec([None, None, 3])])
    def decode(p):
        return crf(p)

    np.testing.assert_array_equal(decode(pot[:, :1]).numpy(), np.asarray(crf(pot[:, :1])))
    assert decode(pot).shape == (3, 4)
    with tf.GradientTape() as tape:
        loss = -tf.reduce_mean(crf.log_likelihood(pot, gold, mask))
    grads = tape.gradient(loss, [crf.transitions, crf.start_transitions, crf.end_transitions])
    assert all(g is not None and float(tf.reduce_sum(tf.abs(g))) > 0 for g in grads)


def test_constraint_shape_is_checked():
    with pytest.raises(ValueError, match="must have shape"):
        CRF(allowed_start=[True, False])(np.zeros((1, 2, 3), "float32"))
