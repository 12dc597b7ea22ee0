"""EntityTagger: overfit, save/load, export identity on raw sentences, config, bad inputs."""

import json
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf

from nlpkit.errors import NotFittedError
from nlpkit.pipelines.tagger import Entity, EntityTagger, ScoredEntity
from nlpkit.text.tags import convert_tags
from nlpkit.text.tokenizer import tokenize
from tests.pipelines.contract import CHECKS, PipelineSpec, check_pipeline

TRAIN = [
    ("Alice Smith lives in Paris .", "B-PER I-PER O O B-LOC O"),
    ("Bob works for Acme Corp in Berlin .", "B-PER O O B-ORG I-ORG O B-LOC O"),
    ("Acme Corp hired Maria .", "B-ORG I-ORG O B-PER O"),
    ("It rained in Tokyo and Lima .", "O O O B-LOC O B-LOC O"),
    ("Maria met Bob Jones in Oslo .", "B-PER O B-PER I-PER O B-LOC O"),
    ("Globex opened in Lagos", "B-ORG O O B-LOC"),
    ("Nothing happened today .", "O O O O"),
    ("Reuters reported that Alice left Globex .", "B-ORG O O B-PER O B-ORG O"),
]
X = [s.split() for s, _ in TRAIN]
Y = [t.split() for _, t in TRAIN]
RAW = [
    "Alice Smith lives in Paris.",
    "Bob works for Acme Corp in Berlin!",
    "",
    "Maria  met Bob Jones in Oslo .",
    "Zoë\u00a0Müller visited São Paulo with Bob 😀 .",
]
SMALL = dict(
    embedding_dim=16,
    hidden_size=16,
    char_embedding_dim=8,
    char_hidden_size=8,
    dropout=0.0,
    learning_rate=0.05,
    batch_size=4,
    seed=0,
    verbose=0,
)


@pytest.fixture(scope="module")
def tagger():
    keras.utils.set_random_seed(0)
    return EntityTagger(**SMALL).fit(X, Y, epochs=25)


@pytest.fixture(scope="module")
def exported(tagger, tmp_path_factory):
    path = tagger.export(tmp_path_factory.mktemp("ner") / "export")
    return tf.saved_model.load(str(path))


def test_overfits_tiny_set(tagger):
    loss = tagger.history_["loss"]
    assert len(loss) == 25
    assert loss[-1] < 0.2 * loss[0]
    scores = tagger.evaluate(X, Y)
    assert scores["f1"] == 1.0 and scores["PER/f1"] == 1.0 and scores["accuracy"] == 1.0
    assert tagger.predict(X) == Y
    assert tagger.tags_[0] == "O" and "S-LOC" in tagger.tags_  # learned in IOBES
    assert tagger.card_["input_scheme"] == "iob2" and tagger.card_["train_tokens"] == sum(
        map(len, X)
    )


def test_predict_raw_sentences_returns_spans(tagger):
    out = tagger.predict(RAW)
    assert out[0] == [Entity(0, 11, "PER", "Alice Smith"), Entity(21, 26, "LOC", "Paris")]
    assert out[2] == []
    for text, ents in zip(RAW, out, strict=True):
        assert all(text[e.start_char : e.end_char] == e.text for e in ents)
    assert [e.label for e in out[1]] == ["PER", "ORG", "LOC"]


def _served_entities(fn, batch, tagger=None):
    out = fn(sentences=tf.constant(batch))
    got = []
    for r in range(out["entity_counts"].shape[0]):
        n = int(out["entity_counts"][r])
        got.append(
            [
                Entity(int(a), int(b), lab.decode(), txt.decode())
                for a, b, lab, txt in zip(
                    out["entity_starts"][r, :n].numpy(),
                    out["entity_ends"][r, :n].numpy(),
                    out["entity_labels"][r, :n].numpy(),
                    out["entity_texts"][r, :n].numpy(),
                    strict=True,
                )
            ]
        )
    return got


SPEC = PipelineSpec(
    cls=EntityTagger,
    make=lambda: EntityTagger(**SMALL),
    fit=lambda t: t.fit(X, Y, epochs=1),
    inputs=RAW,
    outputs=lambda t, x: t.predict(x),
    serve=_served_entities,
    signature="serving_default",
    unfitted={
        "predict": lambda t: t.predict(["x"]),
        "evaluate": lambda t: t.evaluate(X, Y),
    },
    bad_args=[
        (
            {"cell": "lstn"},
            ValueError,
            "`cell` must be one of 'rnn', 'gru', 'lstm'. Received: cell='lstn'",
        ),
        ({"output": "hmm"}, ValueError, "`output` must be one of 'crf', 'softmax'"),
        ({"verbose": "quiet"}, ValueError, "`verbose` must be one of 'auto', 0, 1, 2. Received"),
    ],
)


@pytest.mark.parametrize("check", CHECKS)
def test_contract(check, tagger, tmp_path):
    check_pipeline(SPEC, tagger, tmp_path, checks=[check])


def test_save_keeps_the_data_hash(tagger, tmp_path):
    path = tagger.save(tmp_path / "saved")
    assert EntityTagger.load(path).predict(X) == tagger.predict(X)
    assert (
        json.loads((path / "model_card.json").read_text())["data_hash"] == tagger.card_["data_hash"]
    )


def test_export_tokens_and_tags_match_python(tagger, exported):
    serve = exported.signatures["serving_default"]
    out = serve(sentences=tf.constant(RAW))
    for r, text in enumerate(RAW):
        n = int(out["lengths"][r])
        tags = [t.decode() for t in out["tags"][r, :n].numpy()]
        toks = [t.decode() for t in out["tokens"][r, :n].numpy()]
        starts = out["token_starts"][r, :n].numpy().tolist()
        offsets = list(zip(toks, starts, out["token_ends"][r, :n].numpy().tolist(), strict=True))
        assert offsets == tokenize(text)
        assert tags == (tagger.predict([toks])[0] if toks else [])


def test_padding_never_reaches_the_encoder(tagger):
    """A sentence gets the same scores alone and padded in a batch with longer ones (the word
    mask reaches the BiLSTM and the CRF although the casing/char features carry no mask)."""
    from nlpkit.models.sequence_tagger import scoring_parts

    scorer, _ = scoring_parts(tagger.model_)
    words, chars, casing = tagger._encode_batch([X[5]])
    alone = np.asarray(scorer([words, chars, casing]))
    batch = tagger._encode_batch([X[5], X[1]])
    padded = np.asarray(scorer(list(batch)))
    assert batch[0].shape[1] > words.shape[1]
    np.testing.assert_allclose(padded[0, : words.shape[1]], alone[0], atol=1e-5)
    assert tagger.predict([X[5]], batch_size=1) == tagger.predict([X[5], X[1]], batch_size=2)[:1]


def _brute_force_span_probability(tagger, tokens, span, tags_internal):
    """Sum of p(path) over every allowed tag path giving `span` the tags `tags_internal`."""
    import itertools

    from nlpkit.models.sequence_tagger import scoring_parts

    scorer, crf = scoring_parts(tagger.model_)
    pot = np.asarray(scorer(list(tagger._encode_batch([tokens]))), "float64")[0]
    k = pot.shape[-1]
    if crf is None:  # softmax: independent tokens
        probs = np.exp(pot - np.logaddexp.reduce(pot, axis=-1, keepdims=True))
        return float(np.prod([probs[t, tagger.tags_.index(tags_internal[t])] for t in span]))
    trans, start, end = (
        np.asarray(v, "float64")
        for v in (crf.transitions, crf.start_transitions, crf.end_transitions)
    )
    pen = [np.asarray(p, "float64") for p in crf._penalties()]
    trans, start, end = trans + pen[0], start + pen[1], end + pen[2]
    paths = np.array(list(itertools.product(range(k), repeat=len(tokens))))
    n = len(tokens)
    scores = start[paths[:, 0]] + end[paths[:, -1]] + pot[np.arange(n), paths].sum(1)
    scores += trans[paths[:, :-1], paths[:, 1:]].sum(1)
    probs = np.exp(scores - np.logaddexp.reduce(scores))
    want = [tagger.tags_.index(tags_internal[t]) for t in span]
    hit = np.all(paths[:, list(span)] == want, axis=1)
    return float(probs[hit].sum())


def test_entity_confidences_match_brute_force_and_export(tagger, exported):
    from nlpkit.text.tags import get_spans

    sentences = [["Globex", "opened", "in", "Lagos"], ["Bob", "met", "Zoë", "Smith"], []]
    scored = tagger.predict(sentences, confidences=True)
    assert scored[2] == []
    assert tagger.predict(sentences) == tagger.predict(sentences)  # default shape unchanged
    internal = tagger._tag_internal(sentences[:2])
    for toks, ents, tags in zip(sentences, scored, internal, strict=False):
        spans = get_spans(tags)
        assert [(e.start, e.end, e.label) for e in ents] == [tuple(sp) for sp in spans]
        assert spans, "the tiny tagger should find an entity in each test sentence"
        for e, sp in zip(ents, spans, strict=True):
            assert isinstance(e, ScoredEntity) and e.text == " ".join(toks[e.start : e.end])
            expected = _brute_force_span_probability(tagger, toks, range(sp.start, sp.end), tags)
            np.testing.assert_allclose(e.confidence, expected, atol=1e-4)
            assert 0.0 < e.confidence <= 1.0
    # Raw sentences: the same entities as predict(), with confidences; the export agrees.
    raw = tagger.predict(RAW, confidences=True)
    assert [[(e.start, e.end, e.label, e.text) for e in ents] for ents in raw] == [
        [tuple(e) for e in ents] for ents in tagger.predict(RAW)
    ]
    out = exported.signatures["serving_default"](sentences=tf.constant(RAW))
    for r, ents in enumerate(raw):
        n = int(out["entity_counts"][r])
        np.testing.assert_allclose(
            out["entity_confidences"][r, :n].numpy(), [e.confidence for e in ents], atol=1e-4
        )
    with pytest.raises(TypeError, match="confidences"):
        tagger.predict(X, confidences="yes")


def test_export_tag_confidences_are_crf_marginals(tagger, exported):
    from nlpkit.layers.crf import CRF
    from nlpkit.models.sequence_tagger import scoring_parts

    toks = [["Alice", "met", "Bob", "", ""], ["Acme", "Corp", "hired", "Maria", "."]]
    out = exported.signatures["tag_tokens_scored"](tokens=tf.constant(toks))
    conf = out["tag_confidences"].numpy()
    plain = exported.signatures["tag_tokens"](tokens=tf.constant(toks))
    assert set(plain) == {"tags"}  # unchanged outputs
    np.testing.assert_array_equal(plain["tags"].numpy(), out["tags"].numpy())
    scorer, crf = scoring_parts(tagger.model_)
    assert isinstance(crf, CRF)
    for r, sent in enumerate(toks):
        sent = [t for t in sent if t]
        marg = np.asarray(crf.marginals(scorer(list(tagger._encode_batch([sent])))))[0]
        ids = [tagger.tags_.index(t) for t in tagger._tag_internal([sent])[0]]
        np.testing.assert_allclose(conf[r, : len(sent)], marg[np.arange(len(sent)), ids], atol=1e-4)
        assert (conf[r, len(sent) :] == -1).all()


def test_graph_lowercasing_matches_python():
    words = ["ÉCOLE", "Straße", "İstanbul", "ΣΊΣΥΦΟΣ", "Zoë", "ＡＢＣ"]
    got = tf.strings.lower(tf.constant(words), encoding="utf-8").numpy()
    assert [w.decode("utf-8") for w in got] == [w.lower() for w in words]


def test_export_tag_tokens_signature(tagger, exported):
    fn = exported.signatures["tag_tokens"]
    width = max(map(len, X))
    padded = tf.constant([s + [""] * (width - len(s)) for s in X])
    for batch in (2, len(X)):
        got = fn(tokens=padded[:batch])["tags"].numpy()
        for r in range(batch):
            assert [t.decode() for t in got[r, : len(X[r])]] == Y[r]
            assert all(t == b"" for t in got[r, len(X[r]) :])


def test_iob1_data_softmax_cnn_and_dataset_input(tmp_path):
    y1 = [convert_tags(t, "iob1") for t in Y]
    ds = tf.data.Dataset.from_tensor_slices((tf.ragged.constant(X), tf.ragged.constant(y1)))
    t = EntityTagger(**{**SMALL, "char_encoder": "cnn", "output": "softmax", "casing": False})
    t.fit(ds, epochs=20)
    assert t.input_scheme_ == "iob1"
    pred = t.predict(X)
    assert pred == y1  # returned in the scheme of the training data
    assert t.evaluate(X, Y)["f1"] == 1.0  # conlleval reads any scheme
    exported = tf.saved_model.load(str(t.export(tmp_path / "e")))
    width = max(map(len, X))
    got = exported.signatures["tag_tokens"](
        tokens=tf.constant([s + [""] * (width - len(s)) for s in X])
    )
    assert [
        [v.decode() for v in row[: len(s)]] for row, s in zip(got["tags"].numpy(), X, strict=True)
    ] == y1


def test_softmax_entity_confidence_is_product_of_token_probabilities(tmp_path):
    t = EntityTagger(**{**SMALL, "output": "softmax", "char_encoder": "none"}).fit(X, Y, epochs=15)
    sentence = ["Maria", "met", "Bob", "Jones", "in", "Oslo"]
    ents = t.predict([sentence], confidences=True)[0]
    tags = t._tag_internal([sentence])[0]
    assert ents
    for e in ents:
        expected = _brute_force_span_probability(t, sentence, range(e.start, e.end), tags)
        np.testing.assert_allclose(e.confidence, expected, rtol=1e-4)
    out = tf.saved_model.load(str(t.export(tmp_path / "e"))).signatures["serving_default"](
        sentences=tf.constant([" ".join(sentence)])
    )
    n = int(out["entity_counts"][0])
    np.testing.assert_allclose(
        out["entity_confidences"][0, :n].numpy(), [e.confidence for e in ents], rtol=1e-4
    )


def test_pretrained_embeddings_and_oov_report(tmp_path):
    glove = tmp_path / "tiny.glove.txt"
    glove.write_text("paris 1 0 0 0\nberlin 0 1 0 0\nzebra 0 0 1 0\n")
    t = EntityTagger(
        **{**SMALL, "embeddings": str(glove), "trainable_embeddings": False, "char_encoder": "none"}
    )
    val = (X[5:7], [["B-MISC"] + t[1:] for t in Y[5:7]])  # a type unseen in training
    t.fit(X[:5], Y[:5], epochs=1, validation_data=val)
    assert 0.0 <= t.card_["metrics"]["validation_f1"] <= 1.0 and "val_loss" in t.history_
    first = (t.history_["loss"], t.model_.get_layer("potentials").get_weights()[0])
    t.fit(X[:5], Y[:5], epochs=1, validation_data=val)  # the same seed repeats it
    assert t.history_["loss"] == first[0]
    np.testing.assert_array_equal(t.model_.get_layer("potentials").get_weights()[0], first[1])
    assert "zebra" in t.vocabulary_  # pretrained words join the vocabulary
    table = np.asarray(t.model_.get_layer("word_embedding").embeddings)
    np.testing.assert_array_equal(table[t.vocabulary_.index("paris")], [1, 0, 0, 0])
    np.testing.assert_array_equal(table[0], 0)
    assert t.card_["oov"]["total"] == len(t.vocabulary_) - 2 and t.card_["oov"]["missing"] > 0
    with zipfile.ZipFile(t.save(tmp_path / "saved") / "model.keras") as zf:
        assert zf.getinfo("config.json").file_size < 50_000  # vectors live in the weights only
    assert EntityTagger.load(tmp_path / "saved").predict(X) == t.predict(X)


def test_bad_inputs(tagger):
    with pytest.raises(ValueError, match=r"must yield \(tokens, tags\) pairs"):
        EntityTagger().fit(tf.data.Dataset.from_tensor_slices(tf.ragged.constant(X)))
    with pytest.raises(ValueError, match="Sentence 1 has 2 tokens but 1 tags"):
        EntityTagger().fit([["a"], ["b", "c"]], [["O"], ["O"]])
    with pytest.raises(ValueError, match="Sentence 0: Tag 'PER' is not a valid tag"):
        EntityTagger().fit([["a"]], [["PER"]])
    with pytest.raises(ValueError, match="`y` .* is required"):
        EntityTagger().fit([["a"]])
    with pytest.raises(TypeError, match="not a single string"):
        tagger.predict("Alice lives in Paris")
    with pytest.raises(ValueError, match="tokens must be non-empty"):
        tagger.predict([["Alice", ""]])
    with pytest.raises(ValueError, match="must have the same length"):
        tagger.evaluate(X, Y[:2])


def test_selects_epoch_on_validation_f1_and_restores_it():
    """Validation F1 is logged per epoch and the best epoch's weights come back at the end, even
    when the last epoch leaves the network broken (here: a callback zeroes the output layer)."""
    seen = {}

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            layer = self.model.network.get_layer("potentials")
            seen[epoch] = [w.copy() for w in layer.get_weights()]
            if epoch == 5:  # the last epoch: break the model after it was scored
                layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])

    t = EntityTagger(**{**SMALL, "char_encoder": "none", "early_stopping": None})
    t.fit(X[:6], Y[:6], validation_data=(X[6:], Y[6:]), epochs=6, callbacks=[Record()])
    curve = t.history_["val_f1"]
    assert len(curve) == 6 == len(t.history_["val_loss"])
    best = int(np.argmax(curve))  # first maximum: ties keep the earlier epoch
    assert t.best_epoch_ == best + 1 and t.card_["selected_epoch"] == best + 1
    kernel = t.model_.get_layer("potentials").get_weights()
    for got, want in zip(kernel, seen[best], strict=True):
        np.testing.assert_array_equal(got, want)
    assert np.abs(kernel[0]).sum() > 0
    assert t.evaluate(X[6:], Y[6:])["f1"] == pytest.approx(curve[best])
    assert t.card_["metrics"]["validation_f1"] == pytest.approx(max(curve))


def test_refit_trains_a_fresh_tagger_for_the_selected_epochs():
    t = EntityTagger(**{**SMALL, "char_encoder": "none", "early_stopping": None})
    t.fit(X[:6], Y[:6], validation_data=(X[6:], Y[6:]), epochs=4)
    before = [w.copy() for w in t.model_.get_weights()]
    final = t.refit(X, Y)  # train + the sentences used for selection
    assert final is not t and final.get_config() == t.get_config()
    assert len(final.history_["loss"]) == t.best_epoch_ and final.best_epoch_ is None
    assert final.card_["train_sentences"] == len(X)
    for got, want in zip(t.model_.get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, want)  # the selecting tagger is left as it was
    assert len(t.refit(X, Y, epochs=2).history_["loss"]) == 2
    with pytest.raises(ValueError, match="best_epoch_=None"):
        EntityTagger(**SMALL).fit(X, Y, epochs=1).refit(X, Y)
    # in-memory vectors (stored as None by get_config) are used by the refit too
    from gensim.models import KeyedVectors

    kv = KeyedVectors(16)
    kv.add_vectors(["paris", "berlin"], np.ones((2, 16), "float32"))
    with_kv = EntityTagger(**{**SMALL, "char_encoder": "none", "embeddings": kv})
    with_kv.fit(X[:6], Y[:6], validation_data=(X[6:], Y[6:]), epochs=1)
    again = with_kv.refit(X, Y)
    assert again.embeddings is kv and "oov" in again.card_
    with pytest.raises(NotFittedError):
        EntityTagger(**SMALL).refit(X, Y, epochs=1)


def test_checkpoint_averaging_after_selection_on_validation_f1():
    """`AverageLastEpochs(k, monitor="val_f1")` after the tagger's own selection: the weights
    are the mean of the k epochs ending at the selected one."""
    from nlpkit.utils.weight_averaging import AverageLastEpochs

    seen = {}

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen[epoch + 1] = [w.copy() for w in self.model.get_weights()]

    avg = AverageLastEpochs(2, monitor="val_f1")
    t = EntityTagger(**{**SMALL, "char_encoder": "none", "early_stopping": None})
    t.fit(X[:6], Y[:6], validation_data=(X[6:], Y[6:]), epochs=5, callbacks=[Record(), avg])
    best = t.best_epoch_
    assert avg.averaged_epochs == [e for e in (best - 1, best) if e >= 1]
    trainer_weights = t.model_.get_layer("potentials").get_weights()
    index = [i for i, w in enumerate(seen[best]) if w.shape == trainer_weights[0].shape]
    assert len(index) == 1  # the potentials kernel, found by its shape
    expected = np.mean([seen[e][index[0]] for e in avg.averaged_epochs], axis=0)
    np.testing.assert_allclose(trainer_weights[0], expected, rtol=1e-6)


def test_early_stopping_on_validation_f1(tmp_path):
    # Gold validation tags with no entity: F1 is 0 after every epoch, so it never improves.
    val = (X[6:], [["O"] * len(s) for s in X[6:]])
    t = EntityTagger(**{**SMALL, "char_encoder": "none", "early_stopping": 2})
    t.fit(X[:6], Y[:6], validation_data=val, epochs=10)
    assert t.history_["val_f1"] == [0.0, 0.0, 0.0]  # epoch 1, then 2 without improvement
    assert t.best_epoch_ == 1
    loaded = EntityTagger.load(t.save(tmp_path / "saved"))
    assert loaded.best_epoch_ == 1 and loaded.history_["val_f1"] == [0.0, 0.0, 0.0]
    t2 = EntityTagger(**{**SMALL, "char_encoder": "none"}).fit(X, Y, epochs=2)
    assert t2.best_epoch_ is None and "val_f1" not in t2.history_  # no validation data


def test_pretrained_words_none_adds_every_pretrained_word(tmp_path):
    glove = tmp_path / "tiny.glove.txt"
    glove.write_text("paris 1 0 0 0\nberlin 0 1 0 0\nzebra 0 0 1 0\nquokka 0 0 0 1\n")
    common = {**SMALL, "embeddings": str(glove), "trainable_embeddings": False}
    common["char_encoder"] = "none"
    every = EntityTagger(**common, pretrained_words=None).fit(X[:2], Y[:2], epochs=1)
    one = EntityTagger(**common, pretrained_words=1).fit(X[:2], Y[:2], epochs=1)
    train_words = {w.lower() for s in X[:2] for w in s}
    assert set(every.vocabulary_[2:]) == train_words | {"zebra", "quokka"}  # paris, berlin: train
    assert set(one.vocabulary_[2:]) == train_words  # the first pretrained word is in training
    table = np.asarray(every.model_.get_layer("word_embedding").embeddings)
    np.testing.assert_array_equal(table[every.vocabulary_.index("quokka")], [0, 0, 0, 1])
    words, _, _ = every._encode_batch([["Quokka", "zebra", "okapi"]])  # looked up lower-cased
    assert words[0].tolist() == [
        every.vocabulary_.index("quokka"),
        every.vocabulary_.index("zebra"),
        1,
    ]
    cfg = json.loads(json.dumps(every.get_config()))
    assert (
        cfg["pretrained_words"] is None and EntityTagger.from_config(cfg).pretrained_words is None
    )
    with pytest.raises(ValueError, match="`pretrained_words` must be >= 0"):
        EntityTagger(pretrained_words=-1)


def test_learning_rate_decay_per_epoch():
    rates = []

    class Rate(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            rates.append(float(self.model.optimizer.learning_rate))

    cfg = {**SMALL, "char_encoder": "none", "learning_rate": 0.04, "learning_rate_decay": 0.5}
    EntityTagger(**cfg).fit(X, Y, epochs=3, callbacks=[Rate()])  # 2 batches per epoch
    np.testing.assert_allclose(rates, [0.04, 0.04 / 1.5, 0.04 / 2.0], rtol=1e-6)
    with pytest.raises(ValueError, match=r"`learning_rate_decay` must be in \[0.0, inf\)"):
        EntityTagger(learning_rate_decay=-0.1)


def test_fine_tuning_moves_training_words_only(tmp_path):
    """trainable_embeddings with pretrained words beyond the training words: the training words
    are fine-tuned, the others keep their pretrained vectors and are not trainable weights."""
    glove = tmp_path / "tiny.glove.txt"
    glove.write_text("paris 1 0 0 0\nberlin 0 1 0 0\nzebra 0 0 1 0\nquokka 0 0 0 1\n")
    t = EntityTagger(
        **{**SMALL, "embeddings": str(glove), "pretrained_words": None, "char_encoder": "none"}
    )
    t.fit(X, Y, epochs=3)
    layer = t.model_.get_layer("word_embedding")
    n_train = 2 + len({w.lower() for s in X for w in s})
    assert layer.trainable_rows == n_train and t.vocabulary_[n_train:] == ["zebra", "quokka"]
    assert [tuple(w.shape) for w in layer.trainable_weights] == [(n_train, 4)]
    table = np.asarray(layer.embeddings)
    np.testing.assert_array_equal(table[n_train:], [[0, 0, 1, 0], [0, 0, 0, 1]])
    assert np.abs(table[t.vocabulary_.index("paris")] - [1, 0, 0, 0]).max() > 1e-3  # tuned
    loaded = EntityTagger.load(t.save(tmp_path / "saved"))
    x_new = [["Zebra", "met", "Quokka", "in", "Paris"]]
    assert loaded.predict(x_new) == t.predict(x_new) and loaded.predict(RAW) == t.predict(RAW)
    serve = tf.saved_model.load(str(t.export(tmp_path / "export"))).signatures["tag_tokens"]
    got = serve(tokens=tf.constant(x_new))["tags"].numpy()[0]
    assert [v.decode() for v in got] == t.predict(x_new)[0]


def test_word_dropout_targets_singletons_and_char_encoders_side_by_side(tmp_path):
    t = EntityTagger(**{**SMALL, "word_dropout": 0.5, "char_encoder": "both"}).fit(X, Y, epochs=25)
    layer = t.model_.get_layer("word_dropout")
    counts = {}
    for s in X:
        for w in s:
            counts[w.lower()] = counts.get(w.lower(), 0) + 1
    singles = {t.vocabulary_[i] for i in range(layer.low, layer.high)}
    assert singles == {w for w, c in counts.items() if c == 1}
    assert layer.high == len(t.vocabulary_)  # no pretrained words here
    assert {"char_encoder_cnn", "char_encoder_lstm"} <= {lay.name for lay in t.model_.layers}
    assert t.evaluate(X, Y)["f1"] == 1.0
    loaded = EntityTagger.load(t.save(tmp_path / "m"))
    assert loaded.predict(RAW) == t.predict(RAW)  # inference ignores the word dropout
    assert t.predict(X) == t.predict(X)
    with pytest.raises(ValueError, match="word_dropout"):
        EntityTagger(word_dropout=2.0)
