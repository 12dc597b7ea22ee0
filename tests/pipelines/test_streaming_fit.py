"""Streamed `fit`: classifier and tagger trained from files (paths, globs, lists; CSV, JSONL,
gzip, CoNLL) and from `tf.data.Dataset`s read as streams; vocabularies equal those of the
in-memory path, seeded runs repeat exactly, bad sources fail with the argument named."""

import gzip
import json

import numpy as np
import pytest
import tensorflow as tf

from nlpkit import EntityTagger, TextClassifier
from tests.pipelines.test_classifier import LABELS, TEXTS
from tests.pipelines.test_tagger import SMALL, X, Y

CLF = dict(cell="gru", hidden_size=16, embedding_dim=16, learning_rate=0.02, seed=0, verbose=0)


def same_weights(a, b):
    wa, wb = a.model_.get_weights(), b.model_.get_weights()
    return len(wa) == len(wb) and all(np.array_equal(u, v) for u, v in zip(wa, wb, strict=True))


@pytest.fixture
def labelled_files(tmp_path):
    rows = "".join(f'"{t}",{lab}\n' for t, lab in zip(TEXTS[::2], LABELS[::2], strict=True))
    (tmp_path / "part-0.csv").write_text("text,label\n" + rows)
    with gzip.open(tmp_path / "part-1.jsonl.gz", "wt") as f:
        for t, lab in zip(TEXTS[1::2], LABELS[1::2], strict=True):
            f.write(json.dumps({"text": t, "label": lab}) + "\n")
    return tmp_path


def test_classifier_streams_files_and_repeats_exactly(labelled_files):
    files = [labelled_files / "part-0.csv", str(labelled_files / "part-*.jsonl.gz")]
    a = TextClassifier(**CLF, shuffle_buffer=4).fit(files, epochs=30)
    assert a.training_.loop == "custom"  # length buckets: the engine's loop reads each epoch
    assert a.card_["train_examples"] == 6 and a.card_["train_data"] == "streamed"
    assert a.classes_ == ["neg", "pos"]
    assert a.predict(TEXTS) == LABELS
    assert a.history_["loss"][-1] < a.history_["loss"][0]
    in_memory = TextClassifier(**CLF).fit(TEXTS, LABELS, epochs=1)
    assert a.vocabulary_ == in_memory.vocabulary_  # one streaming pass = TextVectorization.adapt
    b = TextClassifier(**CLF, shuffle_buffer=4).fit(files, epochs=30)
    assert same_weights(a, b)


def test_classifier_streams_a_dataset_with_file_validation(labelled_files):
    ints = [1 if lab == "pos" else 0 for lab in LABELS]
    ds = tf.data.Dataset.from_tensor_slices((TEXTS, ints)).batch(4)
    (labelled_files / "val.csv").write_text(
        "text,label\n" + "".join(f'"{t}",{i}\n' for t, i in zip(TEXTS, ints, strict=True))
    )
    clf = TextClassifier(**CLF).fit(ds, epochs=2, validation_data=labelled_files / "val.csv")
    assert clf.classes_ == [0, 1]
    assert len(clf.history_["val_loss"]) == 2 and clf.card_["train_examples"] == 6


def test_classifier_stream_errors(labelled_files):
    clf = TextClassifier(**CLF)
    with pytest.raises(FileNotFoundError, match="`x`: no file matches"):
        clf.fit(str(labelled_files / "*.tsv"))
    with pytest.raises(ValueError, match="`y` must be None"):
        clf.fit(labelled_files / "part-0.csv", LABELS)
    (labelled_files / "notes.txt").write_text("hello\n")
    with pytest.raises(ValueError, match=r"cannot tell the format of .*notes.txt"):
        clf.fit([labelled_files / "notes.txt"])
    with pytest.raises(ValueError, match="labels are needed"):
        clf.fit(tf.data.Dataset.from_tensor_slices(TEXTS))
    with pytest.raises(ValueError, match="at least two classes"):
        clf.fit(tf.data.Dataset.from_tensor_slices((TEXTS, ["pos"] * 6)))


def write_conll(path, xs, ys):
    blocks = [
        "\n".join(f"{w} {t}" for w, t in zip(s, g, strict=True))
        for s, g in zip(xs, ys, strict=True)
    ]
    path.write_text("-DOCSTART- O\n\n" + "\n\n".join(blocks) + "\n")


@pytest.mark.slow  # four tagger fits: about 40 s on two shared cores
def test_tagger_streams_conll_files_and_repeats_exactly(tmp_path):
    write_conll(tmp_path / "a.conll", X[:2], Y[:2])
    write_conll(tmp_path / "b.conll", X[2:], Y[2:])
    files = str(tmp_path / "*.conll")
    t = EntityTagger(**SMALL, shuffle_buffer=2).fit(files, epochs=40, validation_data=(X, Y))
    assert t.card_["train_sentences"] == len(X) and t.training_.loop == "custom"
    assert t.predict(X) == Y
    assert t.history_["val_f1"][t.best_epoch_ - 1] == 1.0
    in_memory = EntityTagger(**SMALL).fit(X, Y, epochs=1)
    assert (t.vocabulary_, t.characters_, t.tags_) == (
        in_memory.vocabulary_,
        in_memory.characters_,
        in_memory.tags_,
    )
    again = EntityTagger(**SMALL, shuffle_buffer=2).fit(files, epochs=40, validation_data=(X, Y))
    assert same_weights(t, again)
    ds = tf.data.Dataset.from_tensor_slices((tf.ragged.constant(X), tf.ragged.constant(Y)))
    streamed = EntityTagger(**SMALL).fit(ds.batch(2), epochs=2, validation_data=files)
    assert streamed.card_["train_sentences"] == len(X)
    assert len(streamed.history_["val_f1"]) == 2


def test_tagger_stream_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="`x`: data file .*nope.conll"):
        EntityTagger(**SMALL).fit(tmp_path / "nope.conll")
    (tmp_path / "bad.conll").write_text("Ann B-PER\nsings\n")
    with pytest.raises(Exception, match=r"bad.conll.*2"):
        EntityTagger(**SMALL).fit(str(tmp_path / "bad.conll"))
