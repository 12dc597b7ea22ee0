"""Fast small-batch inference: one trace for every batch size and length, the same outputs as
`Model.predict`, and no stale trace after a refit or a load (issue 14)."""

import numpy as np
import pytest
import tensorflow as tf

from nlpkit import EntityTagger, TextClassifier
from nlpkit.utils.inference import cached_function, length_sorted_batches

TEXTS = [
    "i loved this movie",
    "great acting and a great story",
    "a wonderful film",
    "terrible plot and awful acting",
    "i hated it",
    "boring and bad",
]
LABELS = ["pos", "pos", "pos", "neg", "neg", "neg"]
VARIED = [
    "great",
    "i loved it and the acting was great and the story was wonderful too",
    "",
    "bad bad bad",
    "unknownword another unknownword",
] * 3

SENTS = [
    ["John", "lives", "in", "Paris"],
    ["Mary", "visited", "Rome", "."],
    ["Acme", "hired", "Bob"],
]
TAGS = [["B-PER", "O", "O", "B-LOC"], ["B-PER", "O", "B-LOC", "O"], ["B-ORG", "O", "B-PER"]]


@pytest.fixture(scope="module")
def clf():
    return TextClassifier(
        cell="gru", hidden_size=8, embedding_dim=8, batch_size=4, seed=0, verbose=0
    ).fit(TEXTS, LABELS, epochs=2)


@pytest.fixture(scope="module")
def tagger():
    return EntityTagger(embedding_dim=8, char_hidden_size=4, hidden_size=8, seed=0, verbose=0).fit(
        SENTS, TAGS, epochs=1
    )


def test_length_sorted_batches_cover_every_index_once():
    batches = length_sorted_batches([4, 0, 9, 2, 2, 7, 1], 3)
    assert batches == [[1, 6, 3], [4, 0, 5], [2]]
    assert sorted(i for b in batches for i in b) == list(range(7))
    with pytest.raises(ValueError, match="batch_size"):
        length_sorted_batches([1], 0)


def test_cached_function_rebuilds_only_when_a_key_object_changes():
    class Owner:
        pass

    owner, a, b = Owner(), object(), object()
    built = []

    def build():
        built.append(1)
        return len(built)

    assert cached_function(owner, "_c", (a,), build) == 1
    assert cached_function(owner, "_c", (a,), build) == 1
    assert cached_function(owner, "_c", (b,), build) == 2
    assert cached_function(owner, "_c", (b, a), build) == 3


def test_classifier_fast_path_equals_model_predict(clf):
    fast = clf.predict_proba(VARIED)
    ref = clf.model_.predict(clf._dataset(VARIED), verbose=0)
    assert fast.shape == (len(VARIED), 2)
    # a text without tokens gets the class priors (documented in predict_proba, issue 15)
    blank = np.array([t == "" for t in VARIED])
    np.testing.assert_allclose(fast[blank], np.tile(clf.card_["class_priors"], (3, 1)))
    ref[blank] = clf.card_["class_priors"]
    np.testing.assert_allclose(fast, ref, rtol=1e-5, atol=1e-6)
    # small batches in the fast path (several length-sorted batches) give the same values
    np.testing.assert_allclose(clf._proba(VARIED, batch_size=2), ref, rtol=1e-5, atol=1e-6)


def test_classifier_does_not_retrace_over_sizes_and_lengths(clf):
    clf.predict_proba(["warm up"])
    fn = clf._proba_fn()
    before = fn.experimental_get_tracing_count()
    assert before == 1
    for n in (1, 2, 3, 7, 15):
        for text in VARIED[:5]:
            clf.predict_proba([text] * n)
    clf._proba(VARIED, batch_size=4)
    assert clf._proba_fn() is fn
    assert fn.experimental_get_tracing_count() == before


def test_classifier_cache_follows_refit_and_load(tmp_path):
    clf = TextClassifier(cell="gru", hidden_size=8, embedding_dim=8, seed=0, verbose=0)
    clf.fit(TEXTS, LABELS, epochs=1)
    first = clf._proba_fn()
    before = clf.predict_proba(TEXTS)
    clf.fit(TEXTS, LABELS, epochs=8)
    assert clf._proba_fn() is not first
    after = clf.predict_proba(TEXTS)
    assert not np.allclose(before, after)
    np.testing.assert_allclose(
        after, clf.model_.predict(clf._dataset(TEXTS), verbose=0), rtol=1e-5, atol=1e-6
    )
    loaded = TextClassifier.load(clf.save(tmp_path / "m"))
    np.testing.assert_array_equal(loaded.predict_proba(TEXTS), after)


def test_tagger_fast_path_equals_keras_model_call(tagger):
    sents = [["Ann"], ["John", "lives", "in", "New", "York", "City", "today"], ["x", "y"]]
    fast = tagger._tag_internal(sents, batch_size=2)
    words, chars, casing = tagger._encode_batch(sents)
    ref = tagger.model_.predict([words, chars, casing], verbose=0)
    assert fast == [[tagger.tags_[k] for k in ref[i, : len(s)]] for i, s in enumerate(sents)]


def test_tagger_does_not_retrace_over_sizes_and_lengths(tagger):
    tagger.predict([["warm", "up"]])
    fn = tagger._decode_fn()
    before = fn.experimental_get_tracing_count()
    assert before == 1
    for n in (1, 2, 5):
        for length in (1, 3, 8, 17):
            tagger.predict([["Wordwithmanycharacters"] * length] * n)
            tagger.predict(["Ann met Bob in Rome " * length] * n)
    assert tagger._decode_fn() is fn
    assert fn.experimental_get_tracing_count() == before


def test_tagger_cache_follows_load(tagger, tmp_path):
    fn = tagger._decode_fn()
    loaded = EntityTagger.load(tagger.save(tmp_path / "t"))
    assert loaded._decode_fn() is not fn
    assert loaded.predict(SENTS) == tagger.predict(SENTS)
    # replacing the model object directly also drops the old trace
    tagger_fn_before = tagger._decode_fn()
    tagger.model_ = loaded.model_
    assert tagger._decode_fn() is not tagger_fn_before


@pytest.mark.parametrize("n", [1, 3])
def test_classifier_fast_path_matches_saved_model(clf, tmp_path, n):
    served = tf.saved_model.load(str(clf.export(tmp_path / f"e{n}")))
    scores = served.signatures["serving_default"](text=tf.constant(VARIED[:n]))["scores"]
    np.testing.assert_allclose(clf.predict_proba(VARIED[:n]), scores.numpy(), atol=1e-6)


def test_music_logits_one_trace_equal_to_model_call_and_follow_load(tmp_path):
    pytest.importorskip("music21")
    from nlpkit.pipelines.music import MusicGenerator

    pattern = ["n60:1", "n62:1", "n64:1", "n65:0.5", "r:0.5"]
    pieces = [pattern * 2, pattern * 3, pattern]
    gen = MusicGenerator(
        hidden_size=8, num_layers=1, embedding_dim=4, sequence_length=8, seed=0, verbose=0
    ).fit(pieces, epochs=1)
    logits = gen._logits(pieces)
    for piece, got in zip(pieces, logits, strict=True):
        ids = gen._encode(piece)[:-1][None]
        np.testing.assert_allclose(got, gen.model_(ids, training=False)[0], atol=1e-5)
    fn = gen._logits_fn()
    gen._logits([pattern * 5, pattern])
    assert gen._logits_fn() is fn and fn.experimental_get_tracing_count() == 1
    gen.save(tmp_path / "m")
    loaded = MusicGenerator.load(tmp_path / "m")
    assert loaded._logits_fn() is not fn
    for a, b in zip(loaded._logits(pieces), logits, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_chargen_and_translator_caches_follow_a_replaced_model():
    from nlpkit import CharGenerator, Translator

    names = ["anna", "bob", "carla", "dave"]
    a = CharGenerator(cell="gru", hidden_size=4, seed=0, verbose=0).fit(names, epochs=1)
    b = CharGenerator(cell="gru", hidden_size=4, seed=1, verbose=0).fit(names, epochs=1)
    lm = a._graph()
    assert a._graph() is lm
    a.model_ = b.model_
    assert a._graph() is not lm and a._graph().model is b.model_
    np.testing.assert_allclose(a.score(names), b.score(names), rtol=1e-6)

    src, tgt = ["a b", "b c", "c a"], ["x y", "y z", "z x"]
    t1 = Translator(level="word", embedding_dim=4, hidden_size=4, seed=0, verbose=0)
    t2 = Translator(level="word", embedding_dim=4, hidden_size=4, seed=1, verbose=0)
    t1.fit(src, tgt, epochs=1)
    t2.fit(src, tgt, epochs=1)
    dec = t1._decoder(1, 0.0, 5)
    assert t1._decoder(1, 0.0, 5) is dec
    t1.model_ = t2.model_
    assert t1._decoder(1, 0.0, 5) is not dec


def test_bahdanau_precomputed_keys_give_the_same_attention():
    from nlpkit.layers.bahdanau_attention import BahdanauAttention

    rng = np.random.default_rng(0)
    att = BahdanauAttention(6)
    query = rng.normal(size=(2, 5)).astype("float32")
    values = rng.normal(size=(2, 4, 3)).astype("float32")
    mask = np.array([[True, True, True, False], [True, True, False, False]])
    ctx, w = att([query, values], mask=[None, mask])
    ctx2, w2 = att.attend(query, values, att.project_values(values), mask)
    np.testing.assert_allclose(ctx2, ctx, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(w2, w, rtol=1e-6, atol=1e-6)
    assert np.all(np.asarray(w2)[1, 2:] == 0.0)
