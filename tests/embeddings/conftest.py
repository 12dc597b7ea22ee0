"""Fixtures shared by the embeddings tests: tiny vectors written by the tests themselves."""

import numpy as np
import pytest


@pytest.fixture()
def tiny_kv():
    from gensim.models import KeyedVectors

    kv = KeyedVectors(3, count=0, dtype=np.float32)
    kv.add_vectors(
        ["the", "cat", "sat"],
        np.array([[0.1, 0.2, 0.3], [1.0, -1.0, 0.5], [-0.5, 0.25, 2.0]], np.float32),
    )
    return kv


@pytest.fixture(scope="module")
def tiny_fasttext():
    """A small gensim FastText model (subword vectors) trained in the test session."""
    from gensim.models import FastText

    sents = [
        ["the", "cat", "sat", "on", "the", "mat"],
        ["the", "dog", "sat", "on", "the", "log"],
    ] * 20
    return FastText(sents, vector_size=8, min_count=1, epochs=2, bucket=500, workers=1, seed=3)
