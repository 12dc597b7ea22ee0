import gzip

import numpy as np
import pytest
from gensim.models import KeyedVectors
from gensim.models.fasttext import FastTextKeyedVectors, save_facebook_model

import nlpkit.embeddings as emb
from nlpkit.errors import DataFormatError

GLOVE = "the 0.1 0.2 0.3\ncat 1.0 -1.0 0.5\nsat -0.5 0.25 2.0\n"


def assert_same(kv, ref):
    assert kv.index_to_key == ref.index_to_key
    np.testing.assert_allclose(kv.vectors, ref.vectors, rtol=1e-6)


def test_glove_text(tmp_path, tiny_kv):
    path = tmp_path / "vectors.txt"
    path.write_text(GLOVE)
    assert emb.detect_format(path) == "glove"
    assert_same(emb.load(path), tiny_kv)
    assert_same(emb.load(str(path), format="glove"), tiny_kv)


def test_glove_gz_and_limit(tmp_path, tiny_kv):
    path = tmp_path / "vectors.txt.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(GLOVE)
    kv = emb.load(path, limit=2)
    assert kv.index_to_key == ["the", "cat"]
    np.testing.assert_allclose(kv["cat"], tiny_kv["cat"])


def test_word2vec_text_and_binary(tmp_path, tiny_kv):
    text, binary = tmp_path / "w2v.txt", tmp_path / "w2v.bin"
    tiny_kv.save_word2vec_format(str(text), binary=False)
    tiny_kv.save_word2vec_format(str(binary), binary=True)
    assert emb.detect_format(text) == "word2vec"
    assert emb.detect_format(binary) == "word2vec-binary"
    assert_same(emb.load(text), tiny_kv)
    assert_same(emb.load(binary), tiny_kv)
    # binary= flag on a file without the .bin extension
    other = tmp_path / "w2v.data"
    other.write_bytes(binary.read_bytes())
    assert_same(emb.load(other, binary=True), tiny_kv)
    assert emb.load(binary, limit=1).index_to_key == ["the"]


def test_fasttext_vec(tmp_path, tiny_kv):
    path = tmp_path / "wiki.vec"
    tiny_kv.save_word2vec_format(str(path), binary=False)
    assert emb.detect_format(path) == "fasttext"
    assert_same(emb.load(path), tiny_kv)


def test_fasttext_bin_has_subwords(tmp_path, tiny_fasttext):
    path = tmp_path / "model.bin"
    save_facebook_model(tiny_fasttext, str(path))
    assert emb.detect_format(path) == "fasttext-bin"
    kv = emb.load(path)
    assert isinstance(kv, FastTextKeyedVectors)
    np.testing.assert_allclose(kv["cat"], tiny_fasttext.wv["cat"], rtol=1e-5, atol=1e-6)
    assert "cats" not in kv.key_to_index
    np.testing.assert_allclose(kv["cats"], tiny_fasttext.wv["cats"], rtol=1e-5, atol=1e-6)


def test_native_kv_memory_mapped(tmp_path):
    kv = KeyedVectors(4, count=0)
    kv.add_vectors([f"w{i}" for i in range(300)], np.random.default_rng(0).normal(size=(300, 4)))
    path = tmp_path / "vectors.kv"
    kv.save(str(path), separately=["vectors"])  # the array in its own .npy, memory-mapped on load
    with pytest.raises(ValueError, match="a Python pickle.*trusted=True"):
        emb.load(path)  # pickle-based: never opened unless the caller trusts it
    loaded = emb.load(path, trusted=True)
    assert isinstance(loaded.vectors, np.memmap)
    assert_same(loaded, kv)
    assert emb.load(path, limit=5, trusted=True).index_to_key == kv.index_to_key[:5]


def test_passthrough_and_model(tiny_kv, tiny_fasttext):
    assert emb.load(tiny_kv) is tiny_kv
    assert emb.load(tiny_fasttext) is tiny_fasttext.wv


def test_mixed_dimension_names_file_and_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("the 0.1 0.2 0.3\ncat 1.0 -1.0 0.5\nsat -0.5 2.0\n")
    with pytest.raises(DataFormatError, match=r"bad\.txt, line 3: expected 3 numbers .* found 2"):
        emb.load(path)


def test_non_number_names_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("the 0.1 0.2 0.3\ncat 1.0 x 0.5\n")
    with pytest.raises(
        DataFormatError, match=r"line 2: not a number in the vector of 'cat'"
    ) as info:
        emb.load(path)
    assert info.value.line == 2 and info.value.path == str(path)


def test_bad_word2vec_header(tmp_path):
    path = tmp_path / "bad.vec"
    path.write_text("3 3\nthe 0.1 0.2 0.3\n")
    with pytest.raises(
        DataFormatError, match="line 1: the header says 3 vectors but the file has 1"
    ):
        emb.load(path, format="word2vec")
    path.write_text("three 3\nthe 0.1 0.2 0.3\n")
    with pytest.raises(DataFormatError, match=r"line 1: expected a 'count dim' header"):
        emb.load(path, format="word2vec")


def test_truncated_binary(tmp_path, tiny_kv):
    path = tmp_path / "w2v.bin"
    tiny_kv.save_word2vec_format(str(path), binary=True)
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(
        DataFormatError, match=r"w2v\.bin: entry 3 \('sat'\) has 7 bytes of vector; expected 12"
    ):
        emb.load(path)


def test_argument_errors(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text(GLOVE)
    with pytest.raises(ValueError, match=r"`format` must be one of .*Received: format='glov'"):
        emb.load(path, format="glov")
    with pytest.raises(ValueError, match=r"`limit` must be >= 1"):
        emb.load(path, limit=0)
    with pytest.raises(FileNotFoundError, match="No embeddings file"):
        emb.load(tmp_path / "missing.txt")
    with pytest.raises(ValueError, match=r"Unknown embeddings preset.*Received: 'glove-7B'"):
        emb.load("glove-7B")
    with pytest.raises(TypeError, match="`source` must be a KeyedVectors"):
        emb.load(42)


def test_text_vectors_drop_a_bom_and_name_a_truncated_gzip(tmp_path):
    from nlpkit.embeddings.loaders import load

    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfthe 0.1 0.2\ncat 0.3 0.4\n")
    assert load(path, format="glove").index_to_key == ["the", "cat"]
    data = gzip.compress(b"the 0.1 0.2\ncat 0.3 0.4\n" * 300)
    cut = tmp_path / "cut.txt.gz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFormatError, match=r"cut.txt.gz: the gzip data is truncated"):
        load(cut, format="glove")


def test_a_text_file_read_as_word2vec_binary_is_refused(tmp_path):
    from nlpkit.embeddings.loaders import load

    path = tmp_path / "text.bin"
    path.write_text("2 2\nthe 0.1 0.2\ncat 0.3 0.4\n")
    with pytest.raises(DataFormatError, match=r"text.bin, line 2: the first vector is text"):
        load(path, format="word2vec-binary")
