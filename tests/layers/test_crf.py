"""CRF layer: log-likelihood and Viterbi against brute-force enumeration of every tag path."""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

from nlpkit.layers.crf import (
    CRF,
    crf_log_likelihood,
    crf_marginals,
    crf_segment_log_probability,
    viterbi_decode,
)
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


def _brute_force_distribution(pot_b, n, trans, start, end, allowed=None):
    """Every path of length n with its probability (forbidden paths excluded)."""
    k = pot_b.shape[-1]
    paths = list(itertools.product(range(k), repeat=int(n)))
    if allowed is not None:
        trans_ok, start_ok, end_ok = allowed
        paths = [
            p
            for p in paths
            if start_ok[p[0]]
            and end_ok[p[-1]]
            and all(trans_ok[a][c] for a, c in zip(p[:-1], p[1:], strict=True))
        ]
    scores = np.array([_path_score(pot_b, p, trans, start, end) for p in paths], "float64")
    probs = np.exp(scores - np.logaddexp.reduce(scores))
    return paths, probs


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_marginals_and_segment_probabilities_match_brute_force(seed):
    pot, trans, start, end, mask, lengths, _ = _random_problem(seed, batch=3, time=4, tags=3)
    marg = np.asarray(crf_marginals(pot, mask, trans, start, end))
    tags = np.asarray(viterbi_decode(pot, mask, trans, start, end)[0])
    segments = [(b, s, e) for b, n in enumerate(lengths) for s in range(n) for e in range(s, n)]
    seg_lp = np.asarray(
        crf_segment_log_probability(pot, tags, np.array(segments), mask, trans, start, end)
    )
    for b, n in enumerate(lengths):
        paths, probs = _brute_force_distribution(pot[b], n, trans, start, end)
        for t in range(n):
            for j in range(3):
                expected = sum(p for path, p in zip(paths, probs, strict=True) if path[t] == j)
                np.testing.assert_allclose(marg[b, t, j], expected, atol=1e-5)
        assert (marg[b, n:] == 0).all()
        np.testing.assert_allclose(marg[b, :n].sum(-1), 1.0, atol=1e-5)
    for (b, s, e), lp in zip(segments, seg_lp, strict=True):
        paths, probs = _brute_force_distribution(pot[b], lengths[b], trans, start, end)
        want = tuple(tags[b, s : e + 1])
        expected = sum(p for path, p in zip(paths, probs, strict=True) if path[s : e + 1] == want)
        np.testing.assert_allclose(np.exp(lp), expected, atol=1e-5)


def test_constrained_marginals_are_over_allowed_paths_only():
    tags = ["O", "B-PER", "I-PER"]
    allowed = allowed_transitions(tags, "iob2")
    rng = np.random.default_rng(4)
    pot = rng.normal(size=(2, 3, 3)).astype("float32")
    crf = CRF(*allowed)
    crf.build(pot.shape)
    w = [
        np.asarray(v, "float64")
        for v in (crf.transitions, crf.start_transitions, crf.end_transitions)
    ]
    marg = np.asarray(crf.marginals(pot))
    decoded = np.asarray(crf(pot))
    lp = np.asarray(crf.segment_log_probability(pot, decoded, [[0, 0, 2], [1, 1, 1]]))
    for b in range(2):
        paths, probs = _brute_force_distribution(pot[b], 3, *w, allowed=allowed)
        for t in range(3):
            for j in range(3):
                expected = sum(p for path, p in zip(paths, probs, strict=True) if path[t] == j)
                np.testing.assert_allclose(marg[b, t, j], expected, atol=1e-5)
    assert marg[:, 0, 2].max() < 1e-6  # I-PER never starts a sentence
    paths, probs = _brute_force_distribution(pot[0], 3, *w, allowed=allowed)
    np.testing.assert_allclose(np.exp(lp[0]), probs[paths.index(tuple(decoded[0]))], atol=1e-5)
    paths, probs = _brute_force_distribution(pot[1], 3, *w, allowed=allowed)
    expected = sum(p for path, p in zip(paths, probs, strict=True) if path[1] == decoded[1, 1])
    np.testing.assert_allclose(np.exp(lp[1]), expected, atol=1e-5)


def test_marginals_ignore_padding_and_run_in_graph():
    pot, trans, start, end, _, _, _ = _random_problem(6, batch=2, time=3)
    mask = np.ones((2, 3), bool)
    pot_pad = np.concatenate([pot, np.full((2, 2, 3), 50.0, "float32")], axis=1)
    mask_pad = np.concatenate([mask, np.zeros((2, 2), bool)], axis=1)

    @tf.function(
        input_signature=[tf.TensorSpec([None, None, 3]), tf.TensorSpec([None, None], tf.bool)]
    )
    def marginals(p, m):
        return crf_marginals(p, m, trans, start, end)

    np.testing.assert_allclose(
        marginals(pot_pad, mask_pad).numpy()[:, :3],
        np.asarray(crf_marginals(pot, None, trans, start, end)),
        atol=1e-5,
    )
    np.testing.assert_array_equal(marginals(pot_pad, mask_pad).numpy()[:, 3:], 0.0)
    one = marginals(pot[:, :1], mask[:, :1]).numpy()
    np.testing.assert_allclose(one.sum(-1), 1.0, atol=1e-5)
