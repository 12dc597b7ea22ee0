import keras
import numpy as np
import pytest
import tensorflow as tf

from nlpkit import SentimentClassifier, TextClassifier
from nlpkit.pipelines.base import Pipeline
from tests.pipelines.contract import CHECKS, PipelineSpec, check_pipeline

TEXTS = [
    "i loved this movie",
    "great acting and a great story",
    "a wonderful film",
    "terrible plot and awful acting",
    "i hated it",
    "boring and bad",
]
LABELS = ["pos", "pos", "pos", "neg", "neg", "neg"]


def small(**kw):
    cfg = dict(cell="gru", hidden_size=16, embedding_dim=16, learning_rate=0.02, seed=0, verbose=0)
    cfg.update(kw)
    return TextClassifier(**cfg)


@pytest.fixture(scope="module")
def fitted():
    return small().fit(TEXTS, LABELS, epochs=25)


def _served(fn, batch, clf=None):
    out = fn(tf.constant(batch))
    return [
        (lab.decode(), s)
        for lab, s in zip(out["label"].numpy(), out["scores"].numpy(), strict=True)
    ]


SPEC = PipelineSpec(
    cls=TextClassifier,
    make=small,
    fit=lambda clf: clf.fit(TEXTS, LABELS, epochs=2),
    inputs=TEXTS + ["an unseen phrase entirely", ""],
    outputs=lambda clf, x: list(zip(clf.predict(x), clf.predict_proba(x), strict=True)),
    serve=_served,
    signature="serving_default",
    unfitted={
        "predict": lambda clf: clf.predict(TEXTS),
        "predict_proba": lambda clf: clf.predict_proba(TEXTS),
        "evaluate": lambda clf: clf.evaluate(TEXTS, LABELS),
    },
    bad_args=[
        (
            {"cell": "lstn"},
            ValueError,
            r"`cell` must be one of 'rnn', 'gru', 'lstm'. Received: cell='lstn'",
        ),
        ({"dropout": 1.5}, ValueError, r"`dropout` must be in \[0.0, 1.0\)"),
        ({"hidden_size": "64"}, TypeError, "`hidden_size` must be an integer"),
        ({"embeddings": 42}, TypeError, "`embeddings` must be None, a file path"),
        (
            {"verbose": 5},
            ValueError,
            r"`verbose` must be one of 'auto', 0, 1, 2. Received: verbose=5",
        ),
    ],
)


@pytest.mark.parametrize("check", CHECKS)
def test_contract(check, fitted, tmp_path):
    check_pipeline(SPEC, fitted, tmp_path, checks=[check])


def test_overfits_tiny_set(fitted):
    metrics = fitted.evaluate(TEXTS, LABELS)
    assert metrics["accuracy"] == 1.0
    assert metrics["macro_f1"] == 1.0
    assert metrics["loss"] < 0.1
    assert fitted.history_["loss"][-1] < fitted.history_["loss"][0]
    assert fitted.predict(TEXTS) == LABELS
    probs = fitted.predict_proba(TEXTS)
    assert probs.shape == (6, 2)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_cells_stacked_and_multiclass_int_labels(cell):
    labels = [0, 1, 2, 0, 1, 2]
    clf = small(cell=cell, num_layers=2, bidirectional=False).fit(TEXTS, labels, epochs=40)
    assert clf.classes_ == [0, 1, 2]
    assert clf.predict(TEXTS) == labels
    m = clf.evaluate(TEXTS, labels)
    assert set(k for k in m if k.startswith("f1/")) == {"f1/0", "f1/1", "f1/2"}


def test_tf_data_input_matches_lists(fitted):
    ds = tf.data.Dataset.from_tensor_slices((TEXTS, LABELS)).batch(4)
    assert fitted.evaluate(ds)["accuracy"] == 1.0
    np.testing.assert_allclose(
        fitted.predict_proba(tf.data.Dataset.from_tensor_slices(TEXTS)), fitted.predict_proba(TEXTS)
    )


def test_save_writes_labels_and_card(fitted, tmp_path):
    path = fitted.save(tmp_path / "clf")
    assert (path / "MODEL_CARD.md").is_file()
    assert (path / "labels.txt").read_text().split() == ["neg", "pos"]
    assert TextClassifier.load(path).card_["train_examples"] == 6


def test_save_is_atomic_and_keeps_previous_on_failure(fitted, tmp_path, monkeypatch):
    path = fitted.save(tmp_path / "clf")
    before = sorted(p.name for p in path.iterdir())

    def boom(self, directory):
        raise RuntimeError("disk full")

    monkeypatch.setattr(TextClassifier, "_save_state", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        fitted.save(path)
    assert sorted(p.name for p in path.iterdir()) == before
    assert [p.name for p in tmp_path.iterdir()] == ["clf"]  # no temporary directory left behind


def test_load_rejects_non_pipeline_dirs(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        TextClassifier.load(tmp_path / "missing")
    with pytest.raises(ValueError, match="not a saved nlpkit pipeline"):
        TextClassifier.load(tmp_path)


def test_export_default_location_is_versioned(fitted, tmp_path, monkeypatch):
    import nlpkit.pipelines.base as base

    monkeypatch.setattr(base, "DEFAULT_EXPORT_ROOT", tmp_path / "saved_models")
    first = fitted.export()
    second = fitted.export()
    assert first == tmp_path / "saved_models" / "classifier" / "1"
    assert second.name == "2"


def test_bad_inputs_fail_before_training(fitted):
    clf = small()
    with pytest.raises(ValueError, match="`x` is empty"):
        clf.fit([], [])
    with pytest.raises(ValueError, match=r"same length. Received len\(x\)=6 and len\(y\)=5"):
        clf.fit(TEXTS, LABELS[:5])
    with pytest.raises(TypeError, match="must contain only strings. Received int at index 1"):
        clf.fit(["a", 3], ["x", "y"])
    with pytest.raises(TypeError, match="not a single string"):
        clf.fit("just one text", ["x"])
    with pytest.raises(ValueError, match="at least two classes"):
        clf.fit(TEXTS, ["pos"] * 6)
    with pytest.raises(ValueError, match=r"never seen in fit: 'meh'"):
        fitted.evaluate(["so so"], ["meh"])
    with pytest.raises(ValueError, match=r"never seen in fit: 'x'"):
        small().fit(TEXTS, LABELS, validation_data=(["a"], ["x"]))
    assert not clf.is_fitted


def test_sentiment_preset_is_binary():
    with pytest.raises(ValueError, match="exactly two classes"):
        SentimentClassifier(hidden_size=4, verbose=0).fit(TEXTS, [0, 1, 2, 0, 1, 2])
    assert SentimentClassifier.export_name == "sentiment"


def test_early_stopping_and_callbacks_pass_through():
    seen = []
    cb = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    flipped = ["neg" if v == "pos" else "pos" for v in LABELS]
    # learning the training labels makes the (flipped) validation loss worse, so patience 1 stops
    clf = small(early_stopping=1).fit(
        TEXTS, LABELS, validation_data=(TEXTS, flipped), epochs=30, callbacks=[cb]
    )
    assert 2 <= len(seen) < 30
    assert clf.card_["epochs_run"] == len(seen)
    assert clf.card_["validation_metrics"]["accuracy"] <= 0.5


def test_generic_load_returns_right_class(fitted, tmp_path):
    path = fitted.save(tmp_path / "m")
    assert type(Pipeline.load(path)) is TextClassifier
    with pytest.raises(ValueError, match="holds a saved TextClassifier, not a SentimentClassifier"):
        SentimentClassifier.load(path)


def test_pretrained_embeddings_from_glove_file(tmp_path):
    glove = tmp_path / "tiny_glove.txt"
    rows = {
        "loved": [1, 0, 0, 0],
        "great": [0.9, 0.1, 0, 0],
        "hated": [-1, 0, 0, 0],
        "bad": [-0.9, 0, 0.1, 0],
    }
    glove.write_text("".join(f"{w} {' '.join(map(str, v))}\n" for w, v in rows.items()))
    clf = small(embeddings=str(glove)).fit(TEXTS, LABELS, epochs=2)
    weights = clf.model_.get_layer("embedding").get_weights()[0]
    assert weights.shape == (len(clf.vocabulary_), 4)
    np.testing.assert_allclose(weights[clf.vocabulary_.index("loved")], rows["loved"])
    np.testing.assert_array_equal(weights[0], 0.0)  # padding row
    assert clf.oov_report_.rate > 0  # 'movie', 'film', ... are not in the 4-word file
    assert "embedding_coverage" in clf.card_
    assert not clf.model_.get_layer("embedding").trainable
