import numpy as np
import pytest
from gensim.models import KeyedVectors

import nlpkit.embeddings as emb

NEUTRAL = ["nurse", "doctor", "engineer", "receptionist", "table", "river"]


@pytest.fixture(scope="module")
def planted():
    """Random vectors with a planted gender direction: female words +g, male words -g,
    some neutral words leaning one way or the other."""
    rng = np.random.default_rng(0)
    dim = 12
    g = np.zeros(dim)
    g[0] = 1.0
    words, vecs = [], []
    for f, m in emb.GENDER_DEFINITIONAL_PAIRS + (("queen", "king"), ("actress", "actor")):
        common = rng.normal(size=dim) * 0.5
        common[0] = 0
        words += [f, m]
        vecs += [
            common + 1.0 * g + rng.normal(scale=0.05, size=dim),
            common - 1.0 * g + rng.normal(scale=0.05, size=dim),
        ]
    for w, lean in zip(NEUTRAL, [0.6, -0.5, -0.4, 0.7, 0.0, 0.1], strict=True):
        v = rng.normal(size=dim) * 0.5
        v[0] = lean
        words.append(w)
        vecs.append(v)
    kv = KeyedVectors(dim, count=0, dtype=np.float32)
    kv.add_vectors(words, np.array(vecs, np.float32))
    return kv, g


def test_bias_direction_finds_planted_axis_and_matches_pca(planted):
    kv, g = planted
    d = emb.bias_direction(kv)
    assert d.shape == (12,) and np.linalg.norm(d) == pytest.approx(1.0)
    assert d @ g > 0.95  # oriented towards the first word of the pairs ("woman")
    # computed another way: top eigenvector of the covariance of the centred pair members
    rows = []
    for a, b in emb.GENDER_DEFINITIONAL_PAIRS:
        va, vb = (kv[w] / np.linalg.norm(kv[w]) for w in (a, b))
        rows += [va - (va + vb) / 2, vb - (va + vb) / 2]
    eigvals, eigvecs = np.linalg.eigh(np.cov(np.array(rows).T))
    assert abs(eigvecs[:, -1] @ d) == pytest.approx(1.0, abs=1e-6)
    assert emb.bias_direction(kv, n_components=2).shape == (2, 12)


def test_debias_neutral_words_orthogonal_and_pairs_equidistant(planted):
    kv, _ = planted
    d = emb.bias_direction(kv)
    before = emb.bias_projection(kv, NEUTRAL, d)
    assert max(abs(v) for v in before.values()) > 0.3
    out = emb.debias(kv)
    assert out.index_to_key == kv.index_to_key
    np.testing.assert_allclose(np.linalg.norm(out.vectors, axis=1), 1.0, atol=1e-5)
    after = emb.bias_projection(out, NEUTRAL, d)
    assert max(abs(v) for v in after.values()) < 1e-6
    for f, m in [("queen", "king"), ("actress", "actor"), ("woman", "man")]:
        for w in NEUTRAL:
            assert np.linalg.norm(out[w] - out[f]) == pytest.approx(
                np.linalg.norm(out[w] - out[m]), abs=1e-5
            )
        # the pair differs only along the direction, and keeps its sides
        diff = out[f] - out[m]
        assert abs(diff @ d) == pytest.approx(np.linalg.norm(diff), rel=1e-5)
        assert out[f] @ d > 0 > out[m] @ d
    # gender-specific words keep their gender component; the input is not modified
    assert emb.bias_projection(out, ["she"], d)["she"] > 0.3
    mary = emb.bias_projection(kv, ["mary", "john"], d)  # definitional, not equalised: unchanged
    assert emb.bias_projection(out, ["mary", "john"], d) == pytest.approx(mary, abs=1e-6)
    assert mary["mary"] > 0.5 > -0.5 > mary["john"]
    assert abs(kv["nurse"][0] - 0.6) < 1e-6


def test_neutral_words_option_and_low_level_functions(planted):
    kv, _ = planted
    d = emb.bias_direction(kv)
    out = emb.debias(kv, neutral_words=["nurse"], equalize_pairs=())
    proj = emb.bias_projection(out, ["nurse", "doctor"], d)
    assert abs(proj["nurse"]) < 1e-6 and abs(proj["doctor"]) > 0.3
    m = emb.neutralize(np.stack([kv["nurse"], kv["doctor"]]), d)
    np.testing.assert_allclose(m @ d, 0, atol=1e-7)
    a, b = emb.equalize(kv["queen"], kv["king"], d)
    assert np.linalg.norm(a) == pytest.approx(1) and np.linalg.norm(b) == pytest.approx(1)
    np.testing.assert_allclose(a - (a @ d) * d, b - (b @ d) * d, atol=1e-7)
    with pytest.raises(ValueError, match=r"`direction` must have shape \(12,\)"):
        emb.debias(kv, direction=np.ones(3))
    with pytest.raises(ValueError, match="None of the 1 definitional pairs"):
        emb.bias_direction(kv, [("x", "y")])
