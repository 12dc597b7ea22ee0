import collections

import numpy as np
import pytest

import nlpkit.embeddings as emb
from nlpkit.embeddings.glove import GloVe

ANIMALS = ["cat", "dog", "horse", "cow", "sheep", "goat"]
NUMBERS = ["one", "two", "three", "four", "five", "six"]


def topic_corpus(n=300, seed=0):
    rng = np.random.default_rng(seed)
    return [list(rng.choice(ANIMALS if i % 2 else NUMBERS, size=6)) for i in range(n)]


def mean_sim(kv, a, b):
    return np.mean([kv.similarity(x, y) for x in a for y in b if x != y])


def brute_force_counts(corpus, vocab, window, symmetric=True):
    """Co-occurrence counts computed pair by pair (out-of-vocabulary tokens dropped first)."""
    index = {w: i for i, w in enumerate(vocab)}
    counts = collections.defaultdict(float)
    for sentence in corpus:
        ids = [index[t] for t in sentence if t in index]
        for pos, centre in enumerate(ids):
            for d in range(1, window + 1):
                if pos - d >= 0:
                    counts[(centre, ids[pos - d])] += 1.0 / d
                if symmetric and pos + d < len(ids):
                    counts[(centre, ids[pos + d])] += 1.0 / d
    return dict(counts)


def as_dict(rows, cols, vals):
    return {(int(r), int(c)): float(v) for r, c, v in zip(rows, cols, vals, strict=True)}


@pytest.mark.parametrize("symmetric", [True, False])
def test_cooccurrence_matches_brute_force(symmetric):
    rng = np.random.default_rng(0)
    words = list("abcdefg")
    corpus = [list(rng.choice(words, size=rng.integers(1, 12))) for _ in range(40)]
    vocab = list("abcdef")  # 'g' is out of vocabulary and dropped before windowing
    expected = brute_force_counts(corpus, vocab, window=3, symmetric=symmetric)
    rows, cols, vals, n = emb.cooccurrence_counts(corpus, vocab, window=3, symmetric=symmetric)
    assert n == sum(len(s) for s in corpus)
    got = as_dict(rows, cols, vals)
    assert got.keys() == expected.keys()
    for k in expected:
        assert got[k] == pytest.approx(expected[k])
    chunked = emb.cooccurrence_counts(corpus, vocab, window=3, symmetric=symmetric, chunk_tokens=5)
    assert as_dict(*chunked[:3]) == pytest.approx(got)


def test_cooccurrence_small_example():
    rows, cols, vals, _ = emb.cooccurrence_counts(
        [["a", "b", "c"], ["c", "a"]], ["a", "b", "c"], window=2
    )
    got = as_dict(rows, cols, vals)
    assert got == {(0, 1): 1.0, (1, 0): 1.0, (0, 2): 1.5, (2, 0): 1.5, (1, 2): 1.0, (2, 1): 1.0}


def test_build_vocabulary():
    words, counts = emb.build_vocabulary([["b", "a", "b"], ["c", "b", "a"]], min_count=2)
    assert words == ["b", "a"] and counts.tolist() == [3, 2]
    with pytest.raises(ValueError, match="No word occurs at least min_count=9"):
        emb.build_vocabulary([["a"]], min_count=9)


@pytest.fixture(scope="module")
def fitted():
    corpus = topic_corpus(200)
    return corpus, GloVe(
        vector_size=12, window=4, min_count=1, epochs=15, batch_size=64, seed=3
    ).fit(corpus)


def test_glove_loss_falls_and_learns_topics(fitted):
    _, glove = fitted
    history = glove.loss_history_
    assert len(history) == 15
    assert history[-1] < 0.5 * history[0]
    assert all(b <= a * 1.05 for a, b in zip(history, history[1:], strict=False))
    assert glove.wv_.vector_size == 12 and len(glove.wv_) == 12
    assert mean_sim(glove.wv_, ANIMALS, ANIMALS) > mean_sim(glove.wv_, ANIMALS, NUMBERS) + 0.3
    assert (
        glove.stats_["tokens"] == 1200 and glove.n_pairs_ == 2 * 6 * 6
    )  # each sentence has one topic


def test_glove_repeatable_and_config(fitted):
    corpus, glove = fitted
    again = GloVe.from_config(glove.get_config()).fit(corpus)
    np.testing.assert_array_equal(glove.wv_.vectors, again.wv_.vectors)
    assert again.get_config() == glove.get_config()
    kv = emb.train_glove(corpus, vector_size=4, min_count=1, epochs=1)
    assert kv.vector_size == 4


def test_glove_from_streamed_file(tmp_path):
    path = tmp_path / "corpus.txt"
    corpus = topic_corpus(20)
    path.write_text("\n".join(" ".join(s) for s in corpus))
    a = GloVe(vector_size=4, min_count=1, epochs=2).fit(path).wv_
    b = GloVe(vector_size=4, min_count=1, epochs=2).fit(corpus).wv_
    np.testing.assert_array_equal(a.vectors, b.vectors)


def test_glove_errors():
    with pytest.raises(ValueError, match=r"`x_max` must be in \(0.0, inf\). Received: x_max=0.0"):
        GloVe(x_max=0)
    with pytest.raises(TypeError, match="`epochs` must be an integer"):
        GloVe(epochs=2.5)
    with pytest.raises(ValueError, match="No two vocabulary words co-occur"):
        GloVe(min_count=1).fit([["a"], ["b"]])
