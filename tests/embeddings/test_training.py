import numpy as np
import pytest
from gensim.models.fasttext import FastTextKeyedVectors

import nlpkit.embeddings as emb

ANIMALS = ["cat", "dog", "horse", "cow", "sheep", "goat"]
NUMBERS = ["one", "two", "three", "four", "five", "six"]


def topic_corpus(n=300, seed=0):
    """Sentences that mix words of one topic only: topic words should end up close."""
    rng = np.random.default_rng(seed)
    return [list(rng.choice(ANIMALS if i % 2 else NUMBERS, size=6)) for i in range(n)]


@pytest.fixture(scope="module")
def corpus():
    return topic_corpus()


def mean_sim(kv, a, b):
    return np.mean([kv.similarity(x, y) for x in a for y in b if x != y])


@pytest.mark.parametrize("algorithm", ["skipgram", "cbow"])
def test_word2vec_learns_topics_and_is_repeatable(corpus, algorithm):
    kw = dict(
        algorithm=algorithm, vector_size=16, window=3, min_count=1, epochs=10, seed=5, sample=0
    )
    kv = emb.train_word2vec(corpus, **kw)
    assert kv.vector_size == 16 and set(kv.index_to_key) == set(ANIMALS + NUMBERS)
    within = mean_sim(kv, ANIMALS, ANIMALS)
    across = mean_sim(kv, ANIMALS, NUMBERS)
    assert within > across + 0.3
    again = emb.train_word2vec(corpus, **kw)  # workers=1 by default: identical
    np.testing.assert_array_equal(kv.vectors, again.vectors)


def test_streamed_file_equals_list(corpus, tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(s) for s in corpus) + "\n")
    kw = dict(vector_size=8, window=2, min_count=1, epochs=2, seed=1)
    from_list = emb.train_word2vec(corpus, **kw)
    from_file = emb.train_word2vec(path, **kw)
    from_str = emb.train_word2vec(str(path), **kw)
    np.testing.assert_array_equal(from_list.vectors, from_file.vectors)
    np.testing.assert_array_equal(from_list.vectors, from_str.vectors)


def test_skipgram_differs_from_cbow(corpus):
    kw = dict(vector_size=8, min_count=1, epochs=1, seed=1)
    sg = emb.train_word2vec(corpus, algorithm="skipgram", **kw)
    cbow = emb.train_word2vec(corpus, algorithm="cbow", **kw)
    assert not np.allclose(sg.vectors, cbow.vectors)


def test_fasttext_subwords(corpus):
    kv = emb.train_fasttext(corpus, vector_size=8, min_count=1, epochs=2, bucket=1000, seed=2)
    assert isinstance(kv, FastTextKeyedVectors)
    assert "cats" not in kv.key_to_index
    assert np.any(kv["cats"] != 0)
    model = emb.train_fasttext(
        corpus, vector_size=8, min_count=1, epochs=1, bucket=1000, return_model=True
    )
    assert model.wv.vector_size == 8 and model.epochs == 1


def test_token_corpus(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("The Cat sat\n\nthe dog\nA B\n")
    corpus = emb.TokenCorpus(path, lowercase=True, max_sentences=2)
    assert list(corpus) == [["the", "cat", "sat"], ["the", "dog"]]
    assert list(corpus) == list(corpus)  # re-iterable: a new pass each time
    assert emb.TokenCorpus(path).count_words() == 7


def test_training_errors(corpus):
    with pytest.raises(
        ValueError, match=r"`algorithm` must be one of 'skipgram', 'cbow'. Received: algorithm='sg'"
    ):
        emb.train_word2vec(corpus, algorithm="sg")
    with pytest.raises(TypeError, match="not a one-shot iterator"):
        emb.train_word2vec(iter(corpus))
    with pytest.raises(TypeError, match="Received a string of text"):
        emb.train_word2vec("the cat sat on the mat")
    with pytest.raises(TypeError, match="must contain token lists"):
        emb.train_word2vec(["the cat", "sat"])
    with pytest.raises(FileNotFoundError, match="No corpus file"):
        emb.train_word2vec("missing.txt")
    with pytest.raises(ValueError, match="No word occurs at least min_count=1000"):
        emb.train_word2vec(corpus, min_count=1000)
    with pytest.raises(ValueError, match="`vector_size` must be >= 1"):
        emb.train_fasttext(corpus, vector_size=0)


def test_token_corpus_strips_punctuation(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text('"Meanwhile," he said -- it\'s late.\n')
    corpus = emb.TokenCorpus(path, lowercase=True, strip_punctuation=True)
    assert list(corpus) == [["meanwhile", "he", "said", "it's", "late"]]
