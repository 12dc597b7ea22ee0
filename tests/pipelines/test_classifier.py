import json
import os
from pathlib import Path

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
    assert json.loads((path / "labels.json").read_text()) == ["neg", "pos"]
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


def _tiny_vectors():
    from gensim.models import KeyedVectors

    kv = KeyedVectors(4)
    rows = {
        "loved": [1, 0, 0, 0],
        "great": [0.9, 0.1, 0, 0],
        "wonderful": [0.8, 0.2, 0, 0],
        "superb": [1, 0.1, 0, 0],  # never in the training texts
        "hated": [-1, 0, 0, 0],
        "bad": [-0.9, 0, 0.1, 0],
        "dreadful": [-1, 0, 0.1, 0],  # never in the training texts
        "has space": [0, 0, 0, 1],  # whitespace splitting can never produce it
    }
    kv.add_vectors(list(rows), np.array(list(rows.values()), "float32"))
    return kv, rows


def test_mean_encoder_is_the_average_of_known_word_vectors():
    kv, rows = _tiny_vectors()
    clf = small(encoder="mean", embeddings=kv, dropout=0.0, learning_rate=0.1).fit(
        TEXTS, LABELS, epochs=30
    )
    assert clf.predict(TEXTS) == LABELS
    assert clf.model_.get_layer("encoder").__class__.__name__ == "MaskedAverage"
    # The encoder output is the mean of the known words' (frozen) vectors; [UNK] is left out.
    encoder = keras.Model(clf.model_.inputs, clf.model_.get_layer("encoder").output)
    ids = clf._vectorize(tf.constant(["loved great zzzunknown", "zzzunknown"]))
    out = np.asarray(encoder(ids))
    np.testing.assert_allclose(out[0], np.mean([rows["loved"], rows["great"]], axis=0), atol=1e-6)
    np.testing.assert_array_equal(out[1], 0.0)  # no known word: zeros, not NaN
    assert clf.get_config()["encoder"] == "mean"
    with pytest.raises(ValueError, match=r"`encoder` must be one of 'recurrent', 'mean'"):
        TextClassifier(encoder="average")


def test_pretrained_words_give_unseen_test_words_their_vectors(tmp_path):
    kv, rows = _tiny_vectors()
    base = small(encoder="mean", embeddings=kv, dropout=0.0, learning_rate=0.1)
    plain = small(
        encoder="mean", embeddings=kv, pretrained_words=0, dropout=0.0, learning_rate=0.1
    ).fit(TEXTS, LABELS, epochs=30)
    assert "superb" not in plain.vocabulary_  # pretrained_words=0: training words only
    default = base.fit(TEXTS, LABELS, epochs=1)  # default: the 50,000 most frequent added
    assert set(default.vocabulary_) == set(plain.vocabulary_) | {"superb", "dreadful"}
    clf = small(
        encoder="mean", embeddings=kv, pretrained_words=None, dropout=0.0, learning_rate=0.1
    ).fit(TEXTS, LABELS, epochs=30)
    assert clf.vocabulary_[: len(plain.vocabulary_)] == plain.vocabulary_
    assert {"superb", "dreadful"} <= set(clf.vocabulary_) and "has space" not in clf.vocabulary_
    table = clf.model_.get_layer("embedding").get_weights()[0]
    np.testing.assert_allclose(table[clf.vocabulary_.index("superb")], rows["superb"])
    # Words never seen in training are classified through their pretrained vectors.
    assert clf.predict(["superb", "dreadful"]) == ["pos", "neg"]
    ids = np.asarray(clf._vectorize(tf.constant(["superb"])))
    assert ids[0, 0] == clf.vocabulary_.index("superb")
    # Fine-tuning trains only the training words' rows.
    tuned = small(
        encoder="mean", embeddings=kv, pretrained_words=None, trainable_embeddings=True
    ).fit(TEXTS, LABELS, epochs=3)
    emb = tuned.model_.get_layer("embedding")
    assert emb.trainable_rows == len(plain.vocabulary_)
    np.testing.assert_allclose(
        np.asarray(emb.embeddings)[tuned.vocabulary_.index("dreadful")], rows["dreadful"]
    )
    loaded = TextClassifier.load(clf.save(tmp_path / "m"))
    assert loaded.vocabulary_ == clf.vocabulary_
    np.testing.assert_array_equal(
        loaded.predict_proba(["superb film", "dreadful"]),
        clf.predict_proba(["superb film", "dreadful"]),
    )


def test_fine_tuned_vectors_move_at_the_embedding_learning_rate():
    kv, rows = _tiny_vectors()
    moved = {}
    for emb_lr in (None, 0.001):
        clf = small(
            encoder="mean",
            embeddings=kv,
            trainable_embeddings=True,
            learning_rate=0.01,
            embedding_learning_rate=emb_lr,
            dropout=0.0,
        ).fit(TEXTS, LABELS, epochs=1)
        emb = clf.model_.get_layer("embedding")
        assert emb.learning_rate_multiplier == (1.0 if emb_lr is None else 0.1)
        i = clf.vocabulary_.index("loved")
        moved[emb_lr] = np.abs(np.asarray(emb.embeddings)[i] - rows["loved"]).max()
    # one Adam step (6 texts, one batch): each coordinate moves by the learning rate
    assert moved[None] == pytest.approx(0.01, rel=0.05)
    assert moved[0.001] == pytest.approx(0.001, rel=0.05)
    assert clf.get_config()["embedding_learning_rate"] == 0.001
    with pytest.raises(ValueError, match="embedding_learning_rate"):
        TextClassifier(embedding_learning_rate=0.0)


def test_default_epochs_give_small_data_enough_steps():
    from nlpkit.pipelines.classifier import auto_epochs

    assert auto_epochs(132, 32) == 60  # 5 batches an epoch: 300 steps
    assert auto_epochs(25_000, 32) == 10 and auto_epochs(6, 32) == 100
    assert auto_epochs(1_000, 16) == 10 and auto_epochs(400, 32) == 24
    clf = small(encoder="mean", batch_size=4).fit(TEXTS, LABELS)
    assert len(clf.history_["loss"]) == auto_epochs(6, 4) == 100
    assert clf.card_["epochs_run"] == 100
    with pytest.raises(ValueError, match="epochs"):
        small().fit(TEXTS, LABELS, epochs=0)


EMOJIFY = Path(__file__).resolve().parents[2] / "pipelines" / "emojify.toml"
EMOJIFY_DATA = (
    Path(os.environ.get("NLPKIT_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
    / "sentiment"
    / "emojify"
)


def test_emojify_recipe_is_valid_and_bundled():
    from nlpkit.recipes import find_recipe, load_recipe
    from nlpkit.recipes.schema import model_class

    assert find_recipe("emojify") == EMOJIFY
    recipe = load_recipe("emojify")  # validated against the classification schema
    assert recipe["task"] == "classification"
    clf = model_class(recipe)(**recipe["model"])
    assert clf.encoder == "mean" and clf.embeddings == "glove-6B-50d"
    assert recipe["data"]["header"] is False and recipe["data"]["text_column"] == 0


@pytest.mark.slow
@pytest.mark.skipif(not (EMOJIFY_DATA / "train.csv").exists(), reason="shared Emojify data absent")
def test_emojify_recipe_runs_on_the_shared_data(tmp_path):
    import nlpkit
    from nlpkit.recipes import load_recipe, run_recipe

    recipe = load_recipe(
        "emojify",
        [
            f"data.train={EMOJIFY_DATA / 'train.csv'}",
            f"output.save={tmp_path / 'saved'}",
            f"output.export={tmp_path / 'exported'}",
        ],
    )
    out = run_recipe(recipe, EMOJIFY)
    assert out["test_examples"] == 26 and out["train_examples"] + out["validation_examples"] == 106
    assert len(out["served_by_savedmodel"]) == 3
    assert nlpkit.load(out["saved"]).encoder == "mean"
    assert out["test_metrics"]["accuracy"] > 0.5  # five classes: chance is 0.29
