"""Property-based save/load round trips (hypothesis): random small configurations of each
pipeline give identical outputs after `save` -> `load`, and the JSON config round trip holds."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from nlpkit import load  # noqa: E402

_spec = importlib.util.spec_from_file_location("nlpkit_tiny", Path(__file__).with_name("tiny.py"))
tiny = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tiny)

FEW = settings(max_examples=3, deadline=None, database=None)


@FEW
@given(
    cell=st.sampled_from(["rnn", "gru", "lstm"]),
    bidirectional=st.booleans(),
    num_layers=st.integers(1, 2),
    hidden_size=st.integers(2, 5),
    standardize=st.sampled_from(["lower_and_strip_punctuation", "lower", None]),
    max_length=st.integers(1, 6),
)
def test_classifier_random_configs_round_trip(tmp_path_factory, **config):
    from nlpkit.pipelines.classifier import TextClassifier

    clf = TextClassifier(embedding_dim=3, seed=0, verbose=0, **config)
    clf.fit(tiny.TEXTS, [0, 1, 2, 0, 1, 2], epochs=1)
    assert TextClassifier.from_config(json.loads(json.dumps(clf.get_config()))).get_config() == (
        clf.get_config()
    )
    loaded = load(clf.save(tmp_path_factory.mktemp("clf") / "m"))
    probe = tiny.TEXTS + ["", "unseen words here"]
    np.testing.assert_array_equal(loaded.predict_proba(probe), clf.predict_proba(probe))
    assert loaded.classes_ == [0, 1, 2]


@FEW
@given(
    char_encoder=st.sampled_from(["lstm", "cnn", "none"]),
    casing=st.booleans(),
    output=st.sampled_from(["crf", "softmax"]),
    scheme=st.sampled_from(["iob2", "iobes"]),
    lowercase=st.booleans(),
)
def test_tagger_random_configs_round_trip(tmp_path_factory, **config):
    from nlpkit.pipelines.tagger import EntityTagger

    tagger = EntityTagger(
        embedding_dim=3,
        hidden_size=3,
        char_embedding_dim=3,
        char_hidden_size=3,
        batch_size=4,
        seed=0,
        verbose=0,
        **config,
    ).fit(tiny.NER_X, tiny.NER_Y, epochs=1)
    loaded = load(tagger.save(tmp_path_factory.mktemp("ner") / "m"))
    probe = tiny.NER_X + [["Zoë", "visited", "São", "Paulo"], []]
    assert loaded.predict(probe) == tagger.predict(probe)


@FEW
@given(
    cell=st.sampled_from(["rnn", "gru", "lstm"]),
    input_encoding=st.sampled_from(["embedding", "one_hot"]),
    num_layers=st.integers(1, 2),
    names=st.lists(st.text("abc\n é", min_size=1, max_size=5), min_size=2, max_size=4),
)
def test_chargen_random_configs_round_trip(tmp_path_factory, names, **config):
    from nlpkit.pipelines.chargen import CharGenerator

    gen = CharGenerator(hidden_size=4, embedding_dim=3, seed=0, verbose=0, **config)
    gen.fit(names, epochs=1)
    loaded = load(gen.save(tmp_path_factory.mktemp("gen") / "m"))
    assert loaded.vocabulary_ == gen.vocabulary_  # newlines and spaces survive the text file
    assert loaded.predict(["a", ""]) == gen.predict(["a", ""])
    assert loaded.generate(n=2, seed=1) == gen.generate(n=2, seed=1)
