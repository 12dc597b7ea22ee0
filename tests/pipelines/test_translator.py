"""Tests for nlpkit.pipelines.translator (Translator, greedy_search, beam_search)."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from nlpkit.errors import DataFormatError
from nlpkit.models.seq2seq import Seq2Seq
from nlpkit.pipelines.translator import (
    BOS_ID,
    EOS_ID,
    Translator,
    beam_search,
    greedy_search,
    tile_beams,
)
from nlpkit.utils.files import hash_strings
from tests.pipelines.contract import CHECKS, PipelineSpec, check_pipeline

# Raw text: cased, punctuation attached, as users write it.
SOURCES = ["The cat sleeps.", "A dog runs", "The dog sleeps", "A cat runs fast", "Birds sing!"]
TARGETS = [
    "Die Katze schläft.",
    "Ein Hund rennt",
    "Der Hund schläft",
    "Eine Katze rennt schnell",
    "Vögel singen!",
]


@pytest.fixture(scope="module")
def fitted():
    """The default level: SentencePiece subwords trained on the five pairs in `fit`."""
    keras.utils.set_random_seed(0)
    tr = Translator(
        vocab_size=64,
        embedding_dim=16,
        hidden_size=16,
        dropout=0.0,
        beam_width=3,
        batch_size=5,
        learning_rate=0.02,
        seed=0,
        verbose=0,
    )
    return tr.fit(SOURCES, TARGETS, epochs=40)


@pytest.fixture(scope="module")
def fitted_word():
    keras.utils.set_random_seed(0)
    tr = Translator(
        level="word",
        embedding_dim=16,
        hidden_size=16,
        dropout=0.0,
        beam_width=3,
        batch_size=5,
        learning_rate=0.02,
        seed=0,
        verbose=0,
    )
    return tr.fit(SOURCES, TARGETS, epochs=40)


def small():
    return Translator(
        vocab_size=64,
        embedding_dim=8,
        hidden_size=8,
        dropout=0.0,
        beam_width=3,
        batch_size=5,
        seed=0,
        verbose=0,
    )


def _seq2seq(source_vocab, target_vocab, **kwargs):
    """A tiny `Seq2Seq` for the network tests: one bidirectional LSTM layer with Bahdanau
    attention, no dropout or label smoothing, unless `kwargs` say otherwise."""
    options = dict(
        num_layers=1,
        cell="lstm",
        bidirectional=True,
        attention="bahdanau",
        attention_score="general",
        dropout=0.0,
        label_smoothing=0.0,
        name="seq2seq",
    )
    return Seq2Seq(source_vocab, target_vocab, **{**options, **kwargs})


def _translated(tr, x):
    texts, scores = tr.predict(x, return_scores=True)
    return list(zip(texts, [float(v) for v in scores], strict=True))


def _served(fn, batch, tr=None):
    out = fn(text=tf.constant(batch))
    return [
        (t.decode(), float(v))
        for t, v in zip(out["translation"].numpy(), out["score"].numpy(), strict=True)
    ]


SPEC = PipelineSpec(
    cls=Translator,
    make=small,
    fit=lambda tr: tr.fit(SOURCES, TARGETS, epochs=1),
    inputs=SOURCES + ["a cat sleeps", "unknown words here", ""],
    outputs=_translated,
    serve=_served,
    signature="translate",
    unfitted={
        "predict": lambda tr: tr.predict(["x"]),
        "evaluate": lambda tr: tr.evaluate(SOURCES, TARGETS),
    },
    bad_args=[
        (
            {"cell": "lstn"},
            ValueError,
            "`cell` must be one of 'rnn', 'gru', 'lstm'. Received: cell='lstn'",
        ),
        (
            {"attention_type": "additive"},
            ValueError,
            "`attention_type` must be one of 'bahdanau', 'luong'",
        ),
        ({"level": "byte"}, ValueError, "`level` must be one of 'subword', 'word', 'char'"),
        ({"subword_model": "wordpiece"}, ValueError, "`subword_model` must be one of 'unigram'"),
    ],
)


@pytest.mark.parametrize("check", CHECKS)
def test_contract(check, fitted, tmp_path):
    check_pipeline(SPEC, fitted, tmp_path, checks=[check])


# ----------------------------------------------------------------------------- training
def test_overfits_five_pairs_to_exact_match(fitted):
    loss = fitted.history_["loss"]
    assert loss[-1] < 0.1 * loss[0]
    assert fitted.predict(SOURCES) == TARGETS
    assert fitted.predict(SOURCES, beam_width=1) == TARGETS
    metrics = fitted.evaluate(SOURCES, TARGETS)
    assert metrics["exact_match"] == 1.0 and metrics["token_accuracy"] == 1.0
    assert metrics["chrf"] == pytest.approx(100.0) and metrics["bleu"] == pytest.approx(100.0)
    assert metrics["bleu_lowercased_tokenized"] == pytest.approx(100.0)
    assert "case:mixed" in metrics["bleu_signature"] and "tok:13a" in metrics["bleu_signature"]
    # the headline BLEU is cased, on the references as given
    lowered = fitted.evaluate(SOURCES, [t.lower() for t in TARGETS])
    assert lowered["bleu"] < 60 and lowered["bleu_lowercased_tokenized"] == pytest.approx(100.0)
    assert fitted.normalize(TARGETS) == TARGETS  # case and punctuation as written
    assert set(fitted.card_) >= {"metrics", "data_hash", "seed"}
    # the predict path also takes datasets
    assert fitted.predict(tf.data.Dataset.from_tensor_slices(SOURCES).batch(2)) == TARGETS


def _pieces_text(pieces):
    return "".join(pieces).replace("\u2581", " ").strip()


def test_attention_matrices_and_plot(fitted, tmp_path):
    out = fitted.attention(SOURCES[:2], return_tokens=True)
    for (w, src_toks, out_toks), source, target in zip(out, SOURCES, TARGETS, strict=False):
        assert out_toks[-1] == "</s>" and _pieces_text(out_toks[:-1]) == target
        assert _pieces_text(src_toks) == source
        assert w.shape == (len(out_toks), len(src_toks))
        np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-5)
    # a shorter source in the same batch: its padded columns get exactly zero weight
    pair = ["A dog runs", "The cat sleeps. Birds sing!"]
    short, longer = (len(t) for t in fitted._token_lists(pair))
    weights = fitted._attention_graph(tf.constant(pair), 10)[1].numpy()
    assert short < longer == weights.shape[2] and np.all(weights[0, :, short:] == 0.0)
    fig = fitted.plot_attention(SOURCES[0], path=tmp_path / "attn.png")
    assert (tmp_path / "attn.png").stat().st_size > 1000
    assert len(fig.axes[0].get_yticklabels()) == len(out[0][2])
    assert fig.axes[0].get_title().endswith(repr(TARGETS[0]))


def test_export_returns_attention_of_each_translation(fitted, tmp_path):
    """The `translate` signature also returns the attention weights of the translation it
    chose, with the source and output tokens, for heatmaps (the demo page draws them)."""
    served = tf.saved_model.load(str(fitted.export(tmp_path / "export")))
    fn = served.signatures["translate"]
    assert {"translation", "score", "attention", "source_tokens", "target_tokens"} <= set(
        fn.structured_outputs
    )
    batch = ["Birds sing!", "The cat sleeps.", "A cat runs fast"]
    out = {k: v.numpy() for k, v in fn(text=tf.constant(batch)).items()}
    greedy = fitted.attention(batch, return_tokens=True)
    for i, (weights, src_toks, out_toks) in enumerate(greedy):
        assert out["translation"][i].decode() == _pieces_text(out_toks[:-1])
        n, s = len(out_toks), len(src_toks)
        src = [t.decode() for t in out["source_tokens"][i]]
        tgt = [t.decode() for t in out["target_tokens"][i]]
        assert src[:s] == src_toks and set(src[s:]) <= {""}
        assert tgt[:n] == out_toks and set(tgt[n:]) <= {""}
        # beam 3 picks the greedy translation here, so the weights of its teacher-forced
        # pass equal those recorded step by step during greedy decoding
        np.testing.assert_allclose(out["attention"][i, :n, :s], weights, atol=1e-5)
        assert np.all(out["attention"][i, n:] == 0.0) and np.all(out["attention"][i, :, s:] == 0.0)


def test_subword_vocabulary_in_the_graph():
    from nlpkit.text.subword import SubwordVocabulary

    texts = TARGETS * 3 + ["Zwei Männer (rechts) spielen Ball."]
    for model_type in ("unigram", "bpe"):
        vocab = SubwordVocabulary.train(texts, vocab_size=48, model_type=model_type)
        assert vocab.tokens[:4] == ["", "[UNK]", "<s>", "</s>"] and len(vocab) > 4
        ids = vocab.tokenize(tf.constant(texts))
        assert ids.dtype == tf.int32 and int(tf.reduce_min(ids.flat_values)) > 3
        # detokenising gives the text back: case and punctuation kept
        assert [t.decode() for t in vocab.detokenize(ids).numpy()] == texts
    # a character never seen in training maps to the unknown id
    assert 1 in vocab.tokenize(tf.constant(["Qx"])).flat_values.numpy().tolist()
    with pytest.raises(ValueError, match="`model_type` must be one of 'unigram', 'bpe'"):
        SubwordVocabulary.train(texts, model_type="char")
    with pytest.raises(ValueError, match="not a valid SentencePiece model"):
        SubwordVocabulary(b"not a model")


def test_outputs_never_contain_unknown_tokens(fitted, fitted_word):
    unseen = ["Zebras quietly jump over 7 walls?", "Xylophone", "The dog jumps."]
    for tr in (fitted, fitted_word):
        for beam in (1, 3):
            for text in tr.predict(unseen, beam_width=beam):
                assert "[UNK]" not in text and "\u2047" not in text and "<s>" not in text


def test_word_level_output_is_detokenised(fitted_word):
    assert fitted_word.predict(SOURCES) == TARGETS
    assert fitted_word.evaluate(SOURCES, TARGETS)["bleu"] == pytest.approx(100.0)
    assert fitted_word._token_lists(["Die Katze schläft."]) == [["Die", "Katze", "schläft", "."]]
    assert fitted_word.normalize(["Vögel ( zwei ) singen !"]) == ["Vögel (zwei) singen!"]
    raw = Translator(level="word", detokenize=False)
    raw.source_vocabulary_ = fitted_word.source_vocabulary_
    raw.target_vocabulary_ = fitted_word.target_vocabulary_
    raw.model_ = fitted_word.model_
    raw._make_tables()
    assert raw.normalize(["Vögel singen!"]) == ["Vögel singen !"]


def test_subword_save_writes_sentencepiece_files(fitted, tmp_path):
    spm = pytest.importorskip("sentencepiece")
    folder = fitted.save(tmp_path / "saved")
    for side, vocab in (("source", fitted.source_subwords_), ("target", fitted.target_subwords_)):
        path = folder / f"{side}.spm.model"
        assert path.read_bytes() == vocab.model_proto
        proc = spm.SentencePieceProcessor(model_file=str(path))  # a plain SentencePiece model
        assert [proc.id_to_piece(i) for i in range(4, proc.get_piece_size())] == vocab.tokens[4:]
    # a save whose model file no longer matches its vocabulary is refused, not half-loaded
    (folder / "target.spm.model").write_bytes((folder / "source.spm.model").read_bytes())
    with pytest.raises(ValueError, match="target.spm.model is truncated"):
        Translator.load(folder)  # the model card's digests notice first
    with pytest.raises(ValueError, match="does not match the vocabulary file"):
        Translator.load(folder, verify=False)  # and the structure check without them


# ----------------------------------------------------------------------------- decoding
def test_score_is_the_stepwise_sequence_log_probability(fitted):
    targets = ["ein Hund rennt", "die Katze singen schnell", "Hund"]
    sources = SOURCES[1:4]
    got = fitted.score(sources, targets)
    model = fitted.model_
    for src, tgt, value in zip(sources, targets, got, strict=True):
        memory, mask, state = model.encode(fitted._source_ids(tf.constant([src])))
        _, t_out = fitted._target_ids(tf.constant([tgt]))
        tokens, total = tf.constant([BOS_ID]), 0.0
        for tok in t_out.numpy()[0]:  # step by step, not the teacher-forced scan
            log_probs, state, _ = model.step_log_probs(tokens, state, memory, mask)
            total += float(log_probs[0, tok])
            tokens = tf.constant([int(tok)])
        np.testing.assert_allclose(value, total, rtol=1e-4, atol=1e-4)
    assert got[0] > got[1]  # the training pair is far likelier than a garbled one
    # For greedy outputs, it is the score the decoder reports without length normalisation.
    outputs, scores = fitted.predict(SOURCES, beam_width=1, length_penalty=0.0, return_scores=True)
    np.testing.assert_allclose(fitted.score(SOURCES, outputs), scores, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="target sentences"):
        fitted.score(SOURCES)


def test_export_returns_the_translations_sequence_log_probability(fitted, tmp_path):
    """The `translate` signature's `log_probability` is `score(source, translation)` (checked
    step by step above), beside the decoder's `score`; the same at two batch sizes."""
    loaded = tf.saved_model.load(str(fitted.export(tmp_path / "e")))
    for batch in (SOURCES[:1], SOURCES + ["dog cat birds"]):
        out = loaded.signatures["translate"](text=tf.constant(batch))
        translations = [t.decode() for t in out["translation"].numpy()]
        assert translations == fitted.predict(batch)
        np.testing.assert_allclose(
            out["log_probability"].numpy(),
            fitted.score(batch, translations),
            rtol=1e-4,
            atol=1e-4,
        )
        assert np.all(out["log_probability"].numpy() <= 0)


def test_beam_width_one_equals_greedy_on_the_model(fitted):
    model = fitted.model_
    source = fitted._source_ids(tf.constant(SOURCES + ["dog cat birds"]))
    memory, mask, state = model.encode(source)

    def step(tokens, st):
        return model.step_log_probs(tokens, st, memory, mask)

    n = tf.shape(source)[0]
    g_ids, g_scores, _ = greedy_search(step, state, n, bos_id=BOS_ID, eos_id=EOS_ID, max_length=12)
    b_ids, b_scores = beam_search(
        step,
        state,
        n,
        beam_width=1,
        bos_id=BOS_ID,
        eos_id=EOS_ID,
        max_length=12,
        length_penalty=0.0,
    )
    np.testing.assert_array_equal(g_ids.numpy(), b_ids.numpy())
    np.testing.assert_allclose(g_scores.numpy(), b_scores.numpy(), rtol=1e-5)


def _markov_step(table):
    """A hand-built 'model': the next-token distribution depends on the previous token only."""
    log_table = tf.constant(np.log(np.maximum(table, 1e-12)), tf.float32)

    def step(tokens, state):
        n = tf.shape(tokens)[0]
        return tf.gather(log_table, tokens), state, tf.zeros([n, 0])

    return step


def test_beam_width_one_equals_greedy_on_random_tables():
    rng = np.random.default_rng(0)
    for _ in range(5):
        table = rng.dirichlet(np.ones(8) * 0.5, size=8)
        step = _markov_step(table)
        state = tf.zeros([3, 1])
        g, _, _ = greedy_search(step, state, 3, bos_id=BOS_ID, eos_id=EOS_ID, max_length=7)
        b, _ = beam_search(step, state, 3, beam_width=1, bos_id=BOS_ID, eos_id=EOS_ID, max_length=7)
        np.testing.assert_array_equal(g.numpy(), b.numpy())


def test_beam_search_beats_greedy_on_hand_built_model():
    # ids: 0 pad, 1 unk, 2 <s>, 3 </s>, 4 A, 5 B
    table = np.zeros((6, 6))
    table[:, EOS_ID] = 1.0
    table[BOS_ID] = [0, 0, 0, 0, 0.55, 0.45]  # greedy takes A ...
    table[4] = [0, 0, 0, 0.40, 0.30, 0.30]  # ... but A is followed by a poor continuation
    table[5] = [0, 0, 0, 0.95, 0.05, 0.00]  # B then </s> is the best sequence
    step = _markov_step(table)
    state = tf.zeros([2, 1])
    g, g_score, _ = greedy_search(step, state, 2, bos_id=BOS_ID, eos_id=EOS_ID, max_length=5)
    assert g.numpy().tolist() == [[4, 3], [4, 3]]
    np.testing.assert_allclose(g_score.numpy(), math.log(0.55 * 0.40), rtol=1e-5)
    k = 2
    b, b_score = beam_search(
        step, tile_beams(state, k), 2, beam_width=k, bos_id=BOS_ID, eos_id=EOS_ID, max_length=5
    )
    assert b.numpy().tolist() == [[5, 3], [5, 3]]
    np.testing.assert_allclose(b_score.numpy(), math.log(0.45 * 0.95), rtol=1e-5)
    assert (b_score.numpy() > g_score.numpy()).all()


def test_length_penalty_and_max_length_guard():
    # </s> right away (p=0.5) against a long continuation A A A </s> (0.5 * 0.9^3 ... )
    table = np.zeros((6, 6))
    table[:, EOS_ID] = 1.0
    table[BOS_ID] = [0, 0, 0, 0.5, 0.5, 0]
    table[4] = [0, 0, 0, 0.1, 0.9, 0]
    step = _markov_step(table)
    state = tile_beams(tf.zeros([1, 1]), 2)
    short, _ = beam_search(step, state, 1, beam_width=2, bos_id=BOS_ID, eos_id=EOS_ID, max_length=3)
    assert short.numpy().tolist() == [[3, 0, 0]] or short.numpy().tolist() == [[3]]
    # A never ends by itself within 3 steps: the guard stops it at exactly max_length tokens
    loop = np.zeros((6, 6))
    loop[:, 4] = 1.0
    g, _, _ = greedy_search(
        _markov_step(loop), tf.zeros([1, 1]), 1, bos_id=BOS_ID, eos_id=EOS_ID, max_length=4
    )
    assert g.numpy().tolist() == [[4, 4, 4, 4]]
    # a strong length reward (alpha) prefers the longer finished hypothesis over </s>
    table[4] = [0, 0, 0, 0.6, 0.4, 0]
    plain, _ = beam_search(step, state, 1, beam_width=2, bos_id=BOS_ID, eos_id=EOS_ID, max_length=4)
    longer, _ = beam_search(
        step, state, 1, beam_width=2, bos_id=BOS_ID, eos_id=EOS_ID, max_length=4, length_penalty=3.0
    )
    assert plain.numpy()[0, 0] == EOS_ID
    assert longer.numpy()[0, 0] == 4


# ----------------------------------------------------------------------------- variants, loss
def test_luong_gru_variant_trains_from_dataset():
    keras.utils.set_random_seed(1)
    ds = tf.data.Dataset.from_tensor_slices((SOURCES, TARGETS))
    tr = Translator(
        level="char",
        cell="gru",
        attention_type="luong",
        attention_score="dot",
        hidden_size=8,
        embedding_dim=8,
        num_layers=2,
        label_smoothing=0.1,
        beam_width=2,
        max_length=15,
        seed=1,
        verbose=0,
    )
    tr.fit(ds, epochs=2)
    out = tr.predict(["the cat"])
    assert isinstance(out[0], str) and len(out[0]) <= 15
    assert tr.history_["loss"][1] < tr.history_["loss"][0]


@pytest.mark.parametrize("cell", ["lstm", "rnn"])
def test_teacher_forcing_equals_stepwise_decoding(cell):
    """Two-layer decoder: the scan used in training gives the same logits as step-by-step calls."""
    keras.utils.set_random_seed(3)
    model = _seq2seq(
        9,
        8,
        embedding_dim=5,
        hidden_size=3,
        num_layers=2,
        cell=cell,
        attention="luong",
        attention_score="concat",
    )
    source = np.array([[4, 5, 6, 7], [5, 8, 0, 0]])
    target_in = np.array([[2, 4, 5], [2, 6, 7]])
    logits = model((source, target_in)).numpy()
    memory, mask, state = model.encode(source)
    for t in range(3):
        log_probs, state, weights = model.step_log_probs(target_in[:, t], state, memory, mask)
        expected = logits[:, t] - np.log(np.exp(logits[:, t]).sum(-1, keepdims=True))
        np.testing.assert_allclose(log_probs.numpy(), expected, rtol=1e-4, atol=1e-5)
        assert np.all(weights.numpy()[1, 2:] == 0.0)


def test_attentional_state_is_linear_not_tanh_squashed():
    """Regression: the attentional layer `h~ = W_c [c; h]` must not end in a tanh.

    With Luong's `tanh(W_c [c; h])`, Adam (lr 1e-3 or 2e-3) drove 99% of the attentional units
    to |h~| > 0.99 within 150 steps on Multi30k (pre-activation std 11), which cut the gradient
    to the decoder and attention: training cross-entropy stalled at the unigram entropy (5.5 nats
    per token after 300 steps of batch 64, against 3.6 with the linear layer; a plain Keras model
    with the same tanh layer stalled the same way). The layer must stay linear in its input.
    """
    keras.utils.set_random_seed(4)
    model = _seq2seq(9, 8, embedding_dim=5, hidden_size=3)
    z = np.random.default_rng(0).normal(size=(4, 2 * model.units)).astype("float32") * 50.0
    out = model.combine(z).numpy()
    np.testing.assert_allclose(out, z @ model.combine.kernel.numpy(), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(model.combine(2.0 * z).numpy(), 2.0 * out, rtol=1e-4, atol=1e-3)
    assert np.abs(out).max() > 1.0  # a tanh would keep every unit inside (-1, 1)
    # and it is what the decoder feeds back and projects: the step's feed is combine([c; h])
    source, target_in = np.array([[4, 5, 6], [5, 8, 0]]), np.array([[2, 4], [2, 6]])
    memory, mask, state = model.encode(source)
    feed, _, _ = model.step_embedded(model.target_embedding(target_in[:, 0]), state, memory, mask)
    model.combine.kernel.assign(model.combine.kernel * 1000.0)
    big_feed, _, _ = model.step_embedded(
        model.target_embedding(target_in[:, 0]), state, memory, mask
    )
    np.testing.assert_allclose(big_feed.numpy(), 1000.0 * feed.numpy(), rtol=1e-3, atol=1e-3)


def test_label_smoothed_loss_matches_numpy():
    keras.utils.set_random_seed(2)
    model = _seq2seq(7, 6, embedding_dim=4, hidden_size=4, label_smoothing=0.2)
    y = np.array([[4, 5, 3, 0]])
    logits = np.random.default_rng(0).normal(size=(1, 4, 6)).astype("float32")
    loss = float(model.compute_loss(y=y, y_pred=logits))
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    target = np.eye(6)[y] * 0.8 + 0.2 / 6
    per_token = -(target * logp).sum(-1)[0]
    assert loss == pytest.approx(per_token[:3].mean(), rel=1e-5)


# ----------------------------------------------------------------------------- errors
def test_bad_inputs(fitted):
    with pytest.raises(ValueError, match="same length"):
        Translator().fit(["a", "b"], ["c"])
    with pytest.raises(ValueError, match="`y` .* is required"):
        Translator().fit(["a"])
    with pytest.raises(TypeError, match="not a single string"):
        fitted.predict("the cat")
    with pytest.raises(ValueError, match="`beam_width` must not exceed the target vocabulary size"):
        fitted.predict(["a"], beam_width=1000)
    with pytest.raises(TypeError, match="`epochs` must be an integer"):
        Translator().fit(["a"], ["b"], epochs="3")


def test_training_batches_are_bucketed_and_complete(fitted_word):
    fitted = fitted_word
    tr = Translator(level="word", batch_size=2, seed=0)
    tr.source_vocabulary_, tr.target_vocabulary_ = (
        fitted.source_vocabulary_,
        fitted.target_vocabulary_,
    )
    tr._make_tables()
    sources = [" ".join(["cat"] * (1 + i % 9)) for i in range(40)]
    targets = [" ".join(["Katze"] * (1 + (i * 7) % 11)) for i in range(40)]
    seen = []
    for (src, t_in), t_out in tr._dataset(sources, targets, shuffle=True):
        src, t_in, t_out = src.numpy(), t_in.numpy(), t_out.numpy()
        assert src.shape[0] <= 2 and t_in.shape == t_out.shape
        assert (t_in[:, 0] == BOS_ID).all()
        # no all-padding column: each batch is padded to its own longest example
        assert (src != 0).any(axis=0).all() and (t_out != 0).any(axis=0).all()
        seen += [
            (int((s != 0).sum()), int((o != 0).sum())) for s, o in zip(src, t_out, strict=True)
        ]
    expected = [(1 + i % 9, 2 + (i * 7) % 11) for i in range(40)]
    assert sorted(seen) == sorted(expected)


# ----------------------------------------------------------------------------- speed (issue 14)
@pytest.mark.parametrize("num_layers", [1, 2])
def test_fused_decoder_step_equals_the_keras_cells(num_layers):
    """The fused LSTM step (hoisted input projection, [feed; h] in one matmul) computes the same
    logits, loss and gradients from the same weights as the Keras cells step by step; in
    training it returns the logits of the real target positions only."""
    keras.utils.set_random_seed(5)
    model = _seq2seq(11, 9, embedding_dim=6, hidden_size=5, num_layers=num_layers)
    assert model.fast_path
    source = np.array([[4, 5, 6, 7], [5, 8, 0, 0]])
    target_in = np.array([[2, 4, 5, 6], [2, 6, 7, 0]])
    y = np.array([[4, 5, 6, 3], [6, 7, 3, 0]])

    def run(fast):
        model.fast_path = fast
        logits = model((source, target_in)).numpy()
        with tf.GradientTape() as tape:
            y_pred = model((source, target_in), training=True)
            loss = model.compute_loss(x=(source, target_in), y=y, y_pred=y_pred)
        grads = tape.gradient(loss, model.trainable_variables)
        grads = [tf.convert_to_tensor(g).numpy() for g in grads]
        return logits, y_pred.numpy(), float(loss), grads

    fast, slow = run(True), run(False)
    np.testing.assert_allclose(fast[0], slow[0], rtol=1e-5, atol=1e-6)
    assert fast[1].shape == (7, 9) and slow[1].shape == (2, 4, 9)
    np.testing.assert_allclose(fast[1], slow[1][target_in != 0], rtol=1e-5, atol=1e-6)
    assert fast[2] == pytest.approx(slow[2], rel=1e-6)
    for a, b, v in zip(fast[3], slow[3], model.trainable_variables, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6, err_msg=v.path)
    # one step at a time (the decoding path) gives the teacher-forced log-probabilities
    model.fast_path = True
    memory, mask, state = model.encode(source)
    for t in range(4):
        log_probs, state, _ = model.step_log_probs(target_in[:, t], state, memory, mask)
        expected = slow[0][:, t] - np.log(np.exp(slow[0][:, t]).sum(-1, keepdims=True))
        np.testing.assert_allclose(log_probs.numpy(), expected, rtol=1e-4, atol=1e-5)


def test_hand_written_backward_pass_equals_automatic_differentiation():
    """The teacher-forced decoder's hand-written backward pass (`manual_backward`) gives the
    gradients TensorFlow derives from the same loop, and the same loss: padded target steps,
    a source row that is all padding and one padded in the middle of the batch included."""
    keras.utils.set_random_seed(0)
    model = _seq2seq(11, 13, embedding_dim=5, hidden_size=4, label_smoothing=0.1)
    source = np.array([[4, 5, 6, 7, 8], [5, 8, 0, 0, 0], [0, 0, 0, 0, 0], [9, 10, 4, 0, 0]])
    target_in = np.array([[2, 4, 5, 6], [2, 6, 7, 0], [2, 8, 0, 0], [2, 9, 10, 11]])
    y = np.array([[4, 5, 6, 3], [6, 7, 3, 0], [8, 3, 0, 0], [9, 10, 11, 3]])

    def run(manual):
        model.manual_backward = manual
        with tf.GradientTape() as tape:
            y_pred = model((source, target_in), training=True)
            loss = model.compute_loss(x=(source, target_in), y=y, y_pred=y_pred)
        grads = tape.gradient(loss, model.trainable_variables)
        return float(loss), [tf.convert_to_tensor(g).numpy() for g in grads]

    manual, auto = run(True), run(False)
    model.manual_backward = True
    assert manual[0] == auto[0]  # the same forward steps
    for a, b, v in zip(manual[1], auto[1], model.trainable_variables, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7, err_msg=v.path)
    assert any(np.abs(g).max() > 0 for g in manual[1])


def test_fused_adam_follows_keras_adam():
    """`_FusedAdam` (TensorFlow's fused kernel) takes Keras Adam's steps: the same formula,
    float32 rounding apart (the kernel computes `1 - beta` in float32, Keras in double)."""
    from nlpkit.pipelines.translator import _FusedAdam

    rng = np.random.default_rng(0)
    grads = [rng.normal(size=(3, 4)).astype("float32") for _ in range(5)]
    out = []
    for cls in (keras.optimizers.Adam, _FusedAdam):
        var = keras.Variable(np.ones((3, 4), "float32"))
        opt = cls(0.01, clipnorm=1.0)
        for g in grads:
            opt.apply_gradients([(tf.constant(g), var)])
        out.append((var.numpy(), [v.numpy() for v in opt.variables]))
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=1e-6)
    # the second moments differ by the float32 rounding of 1 - 0.999 (1.3e-5 relative)
    for a, b in zip(out[1][1], out[0][1], strict=True):
        np.testing.assert_allclose(a, b, rtol=5e-5, atol=1e-9)
    assert not np.allclose(out[1][0], 1.0)  # it moved


def test_fast_decoding_path_gives_the_translations_of_the_old_one(fitted):
    """Length-sorted batches, early-stopping beam search and ended rows left unprojected do not
    change a translation or its score (greedy and beam, a batch split in two)."""
    sources = SOURCES + ["a cat sleeps", "dog dog dog dog dog", "", "birds"]
    out = {}
    for fast in (False, True):
        fitted._fast_decoding = fitted.model_.fast_path = fast
        try:
            out[fast] = [
                fitted.predict(sources, beam_width=k, length_penalty=a, return_scores=True)
                for k, a in ((1, 0.0), (3, 0.0), (4, 1.0))
            ]
            out[fast].append(fitted.attention(sources[:3]))
        finally:
            fitted._fast_decoding = fitted.model_.fast_path = True
    for (texts_old, scores_old), (texts_new, scores_new) in zip(
        out[False][:3], out[True][:3], strict=True
    ):
        assert texts_new == texts_old
        np.testing.assert_allclose(scores_new, scores_old, rtol=1e-5, atol=1e-6)
    for w_old, w_new in zip(out[False][3], out[True][3], strict=True):
        np.testing.assert_allclose(w_new, w_old, rtol=1e-5, atol=1e-6)
    assert len(sources) > fitted.batch_size  # two batches, in a different order when sorted


# ----------------------------------------------------------------------------- streamed input
def _write_pairs(folder, sources, targets, suffix=""):
    import gzip

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for lang, lines in (("en", sources), ("de", targets)):
        path = folder / f"train.{lang}{suffix}"
        data = ("\n".join(lines) + "\n").encode("utf-8")
        path.write_bytes(gzip.compress(data) if suffix == ".gz" else data)
        paths.append(path)
    return paths


def _tiny_translator(**kwargs):
    options = dict(
        vocab_size=64, embedding_dim=8, hidden_size=8, dropout=0.0, beam_width=2, batch_size=2
    )
    return Translator(seed=0, verbose=0, **{**options, **kwargs})


def _in_memory_vocabularies(**kwargs):
    """What an in-memory `fit` on the five pairs builds (vocabularies only, no training)."""
    ref = _tiny_translator(**kwargs)
    ref._build_vocabularies(SOURCES, TARGETS)
    longest = max(len(t) for t in ref._token_lists(TARGETS, "target"))
    return ref, int(math.ceil(1.5 * longest)) + 5


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_streamed_files_build_the_in_memory_subword_vocabularies(tmp_path, suffix):
    src, tgt = _write_pairs(tmp_path, SOURCES, TARGETS, suffix)
    streamed = _tiny_translator(shuffle_buffer=2).fit(src, tgt, epochs=2)
    ref, max_length = _in_memory_vocabularies()
    assert streamed.source_vocabulary_ == ref.source_vocabulary_
    assert streamed.target_vocabulary_ == ref.target_vocabulary_
    # the same pieces and scores (the protos differ only in the recorded sentence cap)
    assert streamed._token_lists(SOURCES) == ref._token_lists(SOURCES)
    assert streamed.max_length_ == max_length
    assert streamed.card_["train_data"] == "streamed"
    assert streamed.card_["train_pairs"] == len(SOURCES)
    assert streamed.card_["data_hash"] == hash_strings(
        s + "\t" + t for s, t in zip(SOURCES, TARGETS, strict=True)
    )
    loss = streamed.history_["loss"]
    assert len(loss) == 2 and np.isfinite(loss).all()
    out = streamed.predict(["The cat sleeps."])
    assert len(out) == 1 and isinstance(out[0], str)


def test_streamed_word_level_globs_pairs_and_tsv(tmp_path):
    _write_pairs(tmp_path / "a", SOURCES[:3], TARGETS[:3], ".gz")
    _write_pairs(tmp_path / "b", SOURCES[3:], TARGETS[3:])
    tsv = tmp_path / "pairs.tsv"
    tsv.write_text("".join(f"{s}\t{t}\n" for s, t in zip(SOURCES, TARGETS, strict=True)))
    pairs = [
        (tmp_path / "a" / "train.en.gz", tmp_path / "a" / "train.de.gz"),
        (tmp_path / "b" / "train.en", tmp_path / "b" / "train.de"),
    ]
    expected = list(zip(SOURCES, TARGETS, strict=True))
    tr = _tiny_translator(level="word", max_vocab_size=12)
    glob_x, glob_y = str(tmp_path / "*" / "train.en*"), str(tmp_path / "*" / "train.de*")
    for x, y in ((glob_x, glob_y), (pairs, None), (tsv, None), ([tsv], None)):
        raw, make_ds = tr._stream(x, y, "x")
        assert list(raw()) == expected
        got = [(a.decode(), b.decode()) for a, b in make_ds().as_numpy_iterator()]
        assert sorted(got) == sorted(expected)  # files interleaved
    streamed = tr.fit(pairs, validation_data=tsv, epochs=1)
    ref, max_length = _in_memory_vocabularies(level="word", max_vocab_size=12)
    assert streamed.source_vocabulary_ == ref.source_vocabulary_
    assert streamed.target_vocabulary_ == ref.target_vocabulary_
    assert len(streamed.target_vocabulary_) == 12  # the cap holds
    assert streamed.max_length_ == max_length
    assert streamed.card_["train_pairs"] == len(SOURCES)
    assert "val_loss" in streamed.history_
    with pytest.raises(ValueError, match="2 source file\\(s\\) but the targets name 1"):
        tr.fit(glob_x, str(tmp_path / "a" / "train.de*"))


def test_dataset_input_is_streamed():
    ds = tf.data.Dataset.from_tensor_slices((SOURCES, TARGETS)).batch(2)
    tr = _tiny_translator(level="char").fit(ds, epochs=1)
    assert tr.card_["train_data"] == "streamed" and tr.card_["train_pairs"] == len(SOURCES)
    ref, _ = _in_memory_vocabularies(level="char")
    assert tr.source_vocabulary_ == ref.source_vocabulary_
    assert tr.target_vocabulary_ == ref.target_vocabulary_
    assert np.isfinite(tr.history_["loss"]).all()
    with pytest.raises(ValueError, match="must yield \\(source, target\\) string pairs"):
        _tiny_translator().fit(tf.data.Dataset.from_tensor_slices(SOURCES))


def test_streamed_bad_files_are_named(tmp_path):
    src, tgt = _write_pairs(tmp_path, SOURCES, TARGETS[:4])
    with pytest.raises(DataFormatError, match=r"train\.en.*has 5 lines but .*train\.de has 4"):
        _tiny_translator().fit(src, tgt, epochs=1)
    bad = tmp_path / "bad.tsv"
    bad.write_text("a\tb\nno tab here\n")
    with pytest.raises(DataFormatError, match=r"bad\.tsv, line 2"):
        _tiny_translator(level="word").fit(bad, epochs=1)
    gz = tmp_path / "bad.de.gz"
    import gzip

    gz.write_bytes(gzip.compress(b"eins\nzw\xffei\n"))
    (tmp_path / "ok.en").write_text("one\ntwo\n")
    with pytest.raises(DataFormatError, match=r"bad\.de\.gz, line 2"):
        _tiny_translator(level="word").fit(tmp_path / "ok.en", gz, epochs=1)
