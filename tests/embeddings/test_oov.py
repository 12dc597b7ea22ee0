import json
import logging

import numpy as np
import pytest
from gensim.models import KeyedVectors

import nlpkit.embeddings as emb


@pytest.fixture()
def kv():
    words = ["the", "paris", "Apple", "apple", "0000", "##", "year0000"]
    kv = KeyedVectors(4, count=0, dtype=np.float32)
    kv.add_vectors(words, np.arange(len(words) * 4, dtype=np.float32).reshape(-1, 4) + 1)
    return kv


def test_cascade_order(kv):
    vocab = ["", "[UNK]", "the", "The", "PARIS", "Apple", "APPLE", "1984", "42", "Year1999", "zzz"]
    m, report = emb.embedding_matrix(vocab, kv, oov="zeros", log=False)
    assert m.shape == (11, 4) and m.dtype == np.float32
    row = dict(zip(vocab, m, strict=True))
    np.testing.assert_array_equal(row[""], 0)
    np.testing.assert_array_equal(row["[UNK]"], 0)
    np.testing.assert_array_equal(row["the"], kv["the"])  # exact
    np.testing.assert_array_equal(row["The"], kv["the"])  # lower
    np.testing.assert_array_equal(row["PARIS"], kv["paris"])  # lower
    np.testing.assert_array_equal(row["Apple"], kv["Apple"])  # exact wins over lower
    np.testing.assert_array_equal(row["APPLE"], kv["apple"])
    np.testing.assert_array_equal(row["1984"], kv["0000"])  # digits -> 0
    np.testing.assert_array_equal(row["42"], kv["##"])  # digits -> #
    np.testing.assert_array_equal(row["Year1999"], kv["year0000"])  # digits on the lower form
    np.testing.assert_array_equal(row["zzz"], 0)
    assert report.found == {"exact": 2, "lower": 3, "digits": 3, "subword": 0}
    assert (report.total, report.missing, report.top_missing) == (9, 1, ["zzz"])
    assert report.rate == pytest.approx(1 / 9)


def test_random_rows_are_seeded_and_scaled(kv):
    rng = np.random.default_rng(0)
    big = KeyedVectors(50, count=0, dtype=np.float32)
    big.add_vectors([f"k{i}" for i in range(500)], rng.normal(0, 0.4, size=(500, 50)))
    vocab = ["", "[UNK]"] + [f"missing{i}" for i in range(400)] + ["k1"]
    m1, r1 = emb.embedding_matrix(vocab, big, seed=7, log=False)
    m2, _ = emb.embedding_matrix(vocab, big, seed=7, log=False)
    m3, _ = emb.embedding_matrix(vocab, big, seed=8, log=False)
    np.testing.assert_array_equal(m1, m2)
    assert not np.allclose(m1[2:402], m3[2:402])
    np.testing.assert_array_equal(m1[0], 0)  # padding stays zero
    assert np.all(m1[1] != 0)  # [UNK] random
    assert m1[2:402].std() == pytest.approx(big.vectors.std(), rel=0.05)
    assert abs(m1[2:402].mean()) < 0.01
    np.testing.assert_array_equal(m1[402], big["k1"])
    assert r1.missing == 400 and r1.total == 401


def test_subword_stage_after_lower(tiny_fasttext):
    ft = tiny_fasttext.wv
    m, report = emb.embedding_matrix(["The", "cats", "mat"], ft, log=False)
    np.testing.assert_allclose(m[0], ft["the"])
    np.testing.assert_allclose(m[1], ft["cats"], rtol=1e-6)  # composed from n-grams
    assert report.found == {"exact": 1, "lower": 1, "digits": 0, "subword": 1}
    assert report.missing == 0


def test_report_counts_str_and_json(kv, caplog):
    vocab = ["", "[UNK]", "the", "rare", "common", "mid"]
    counts = {"rare": 1, "common": 50, "mid": 5}
    with caplog.at_level(logging.INFO, logger="nlpkit.embeddings.oov"):
        _, report = emb.embedding_matrix(vocab, kv, counts=counts)
    assert report.top_missing == ["common", "mid", "rare"]
    assert report.top_missing_counts == [50, 5, 1]
    text = str(report)
    assert text.startswith("OOV 3/4 words (75.0%) -> random; found exact=1")
    assert "'common' (50)" in text
    assert text in caplog.text
    d = json.loads(json.dumps(report.to_dict()))
    assert emb.OOVReport.from_dict(d) == report


def test_argument_errors(kv):
    with pytest.raises(
        ValueError, match=r"`oov` must be one of 'random', 'zeros'. Received: oov='zero'"
    ):
        emb.embedding_matrix(["the"], kv, oov="zero")
    with pytest.raises(TypeError, match="not a single string"):
        emb.embedding_matrix("the", kv)
    with pytest.raises(TypeError, match="only strings. Received int at index 1"):
        emb.embedding_matrix(["the", 3], kv)
    with pytest.raises(ValueError, match="`vocabulary` is empty"):
        emb.embedding_matrix([], kv)


def test_accepts_a_file_path(tmp_path):
    path = tmp_path / "glove.txt"
    path.write_text("the 1 2\ncat 3 4\n")
    m, report = emb.embedding_matrix(["", "[UNK]", "cat"], path, log=False)
    np.testing.assert_array_equal(m[2], [3, 4])
    assert report.dim == 2
