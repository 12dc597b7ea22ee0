"""Tests for nlpkit.pipelines.music.MusicGenerator."""

import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

music21 = pytest.importorskip("music21")

from nlpkit.data import music_events as me  # noqa: E402
from nlpkit.errors import DataFormatError  # noqa: E402
from nlpkit.pipelines.music import MusicGenerator, music_metrics, timing_metadata  # noqa: E402
from nlpkit.text.special_ids import BOS_ID, EOS_ID  # noqa: E402
from tests.pipelines.contract import CHECKS, PipelineSpec, check_pipeline  # noqa: E402

PATTERN = ["n60:1", "n62:1", "n64:1", "n65:0.5", "r:0.5"]
MELODIES = [PATTERN * 4, PATTERN * 3, PATTERN * 5]
CHORDS = [[60, 64, 67], [62, 65, 69], [64, 67, 71], []]
ROLLS = [CHORDS * 4, CHORDS * 3]


def _pitches(score):
    return [
        (int(p.midi), float(n.offset), float(n.quarterLength))
        for n in score.flatten().notes
        for p in n.pitches
    ]


@pytest.fixture(scope="module")
def tok_gen():
    keras.utils.set_random_seed(0)
    gen = MusicGenerator(
        hidden_size=32,
        num_layers=1,
        embedding_dim=16,
        dropout=0.0,
        learning_rate=0.02,
        seed=0,
        verbose=0,
    )
    return gen.fit(MELODIES, epochs=40)


@pytest.fixture(scope="module")
def roll_gen():
    keras.utils.set_random_seed(0)
    gen = MusicGenerator(
        representation="piano_roll",
        hidden_size=16,
        num_layers=1,
        dropout=0.0,
        learning_rate=0.02,
        attention_window=3,
        sequence_length=8,
        batch_size=2,
        seed=0,
        verbose=0,
    )
    return gen.fit(ROLLS, epochs=50)


# ---------------------------------------------------------------------------- tokens
def test_tokens_overfit_and_greedy_continuation(tok_gen, tmp_path):
    losses = tok_gen.history_["loss"]
    assert losses[-1] < 0.3 * losses[0]
    m = tok_gen.evaluate(MELODIES)
    assert m["accuracy"] >= 0.95
    assert m["steps"] == sum(len(p) + 1 for p in MELODIES)
    assert m["events"] == sum(len(p) for p in MELODIES)
    assert m["nll_per_event"] == pytest.approx(m["nll_per_step"] * m["steps"] / m["events"])
    assert m["perplexity"] == pytest.approx(np.exp(m["nll_per_step"]))
    new = tok_gen.generate_events(primer=["n60:1"], max_length=4, temperature=0.0)
    assert new == ["n62:1", "n64:1", "n65:0.5", "r:0.5"]
    # a generated MIDI file re-parses with the expected notes (primer + continuation)
    path = tok_gen.save_midi(tmp_path / "gen.mid", primer=["n60:1"], max_length=4, temperature=0.0)
    parsed = music21.converter.parse(str(path))
    assert _pitches(parsed) == [(60, 0.0, 1.0), (62, 1.0, 1.0), (64, 2.0, 1.0), (65, 3.0, 0.5)]


def test_tokens_sampling_is_seeded(tok_gen):
    a = tok_gen.generate_events(max_length=20, temperature=5.0, seed=1)
    b = tok_gen.generate_events(max_length=20, temperature=5.0, seed=1)
    c = tok_gen.generate_events(max_length=20, temperature=5.0, seed=2)
    assert a == b and a != c
    assert len(a) == 20 and all(t not in me.SPECIAL_TOKENS for t in a)
    assert set(a) <= set(tok_gen.vocabulary_)


def test_tokens_nll_equals_hand_computation():
    gen = MusicGenerator(
        cell="rnn", hidden_size=3, num_layers=1, embedding_dim=2, dropout=0.0, seed=1, verbose=0
    )
    gen.fit([["n60:1", "n62:1", "n60:1"], ["n62:1", "r:1"]], epochs=1)
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=w.shape).astype("float32") for w in gen.model_.get_weights()]
    gen.model_.set_weights(weights)
    emb, wx, wh, b, wo, bo = weights
    piece = ["n62:1", "n60:1", "r:1"]
    index = {t: i for i, t in enumerate(gen.vocabulary_)}
    seq = [index["<start>"]] + [index[t] for t in piece] + [index["<end>"]]
    assert seq[0] == BOS_ID and seq[-1] == EOS_ID  # the shared special ids
    h = np.zeros(3)
    total, correct = 0.0, 0
    for prev, target in zip(seq[:-1], seq[1:], strict=True):
        h = np.tanh(emb[prev] @ wx + h @ wh + b)
        logits = h @ wo + bo
        logp = logits - np.log(np.exp(logits).sum())
        total -= logp[target]
        correct += int(np.argmax(logits) == target)
    m = gen.evaluate([piece])
    assert m["nll_per_step"] == pytest.approx(total / 4, rel=1e-5)
    assert m["nll_per_event"] == pytest.approx(total / 3, rel=1e-5)
    assert m["accuracy"] == pytest.approx(correct / 4)


def test_tokens_attention_step_loop_matches_full_model():
    gen = MusicGenerator(
        hidden_size=8,
        num_layers=1,
        embedding_dim=8,
        attention_window=3,
        dropout=0.0,
        seed=3,
        verbose=0,
    )
    gen.fit(MELODIES, epochs=1)
    primer = ["n60:1", "n62:1"]
    new = gen.generate_events(primer=primer, max_length=6, temperature=0.0)
    probs = gen.predict([primer + new])[0]  # row i: distribution after <start> + i events
    index = {t: i for i, t in enumerate(gen.vocabulary_)}
    for k, tok in enumerate(new):
        row = probs[len(primer) + k].copy()
        row[:4] = 0  # generation never emits special tokens
        assert index[tok] == int(np.argmax(row))


def test_tokens_save_load_same_probabilities_and_samples(tok_gen, tmp_path):
    path = tok_gen.save(tmp_path / "tok")  # greedy identity: the contract
    loaded = MusicGenerator.load(path)
    assert loaded.vocabulary_ == tok_gen.vocabulary_
    for a, b in zip(tok_gen.predict(MELODIES), loaded.predict(MELODIES), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert loaded.generate_events(max_length=10, seed=5) == tok_gen.generate_events(
        max_length=10, seed=5
    )
    assert loaded.card_["data_hash"] == tok_gen.card_["data_hash"]


def test_tokens_export_sampling_and_primer(tok_gen, tmp_path):
    path = tok_gen.export(tmp_path / "export")
    sig = tf.saved_model.load(str(path)).signatures["generate"]
    expected = tok_gen.generate_events(max_length=10, temperature=1.0, seed=9)
    for batch in (1, 3):
        out = sig(
            primer=tf.zeros([batch, 0], tf.int32),
            max_length=tf.constant(10),
            temperature=tf.constant(1.0),
            seed=tf.constant(9, tf.int64),
        )
        assert out["ids"].shape == (batch, 10)
        assert [t.decode() for t in out["tokens"].numpy()[0]] == expected
    index = {t: i for i, t in enumerate(tok_gen.vocabulary_)}
    primed = sig(
        primer=tf.constant([[index["n60:1"], index["n62:1"]]], tf.int32),
        max_length=tf.constant(3),
        temperature=tf.constant(0.0),
        seed=tf.constant(0, tf.int64),
    )
    assert [t.decode() for t in primed["tokens"].numpy()[0]] == ["n64:1", "n65:0.5", "r:0.5"]
    (score,) = me.decode_generated(primed)
    assert _pitches(score) == [(64, 0.0, 1.0), (65, 1.0, 0.5)]
    vocab = (path / "assets.extra" / "vocabulary.txt").read_text().split("\n")[:-1]
    assert vocab == tok_gen.vocabulary_


def _greedy(gen, primers):
    return [gen.generate_events(primer=p, max_length=6, temperature=0.0, seed=0) for p in primers]


def _greedy_served(fn, primers, gen):
    index = {t: i for i, t in enumerate(gen.vocabulary_)}
    out = fn(
        primer=tf.constant([[index[t] for t in p] for p in primers], tf.int32),
        max_length=tf.constant(6),
        temperature=tf.constant(0.0),
        seed=tf.constant(0, tf.int64),
    )
    return [[t.decode() for t in row] for row in out["tokens"].numpy()]


SPEC = PipelineSpec(
    cls=MusicGenerator,
    make=lambda: MusicGenerator(hidden_size=8, num_layers=1, embedding_dim=4, seed=0, verbose=0),
    fit=lambda gen: gen.fit(MELODIES, epochs=1),
    inputs=[["n60:1", "n62:1"], ["n64:1", "n65:0.5"], ["r:0.5", "n60:1"]],
    outputs=_greedy,
    serve=_greedy_served,
    signature="generate",
    unfitted={
        "generate": lambda gen: gen.generate(),
        "generate_events": lambda gen: gen.generate_events(),
        "predict": lambda gen: gen.predict(MELODIES),
        "evaluate": lambda gen: gen.evaluate(MELODIES),
    },
    bad_args=[
        (
            {"cell": "lstn"},
            ValueError,
            "`cell` must be one of 'rnn', 'gru', 'lstm'. Received: cell='lstn'",
        ),
        (
            {"representation": "midi"},
            ValueError,
            "`representation` must be one of 'tokens', 'piano_roll'",
        ),
        ({"key_model": "rbm"}, ValueError, "`key_model` must be one of 'nade', 'independent'"),
        ({"transpositions": [0.5]}, TypeError, "`transpositions` must be a list of integer"),
    ],
)


@pytest.mark.parametrize("check", CHECKS)
def test_contract(check, tok_gen, tmp_path):
    check_pipeline(SPEC, tok_gen, tmp_path, checks=[check])


# ---------------------------------------------------------------------------- piano roll
def test_pianoroll_overfit_save_load_and_generation(roll_gen, tmp_path):
    m = roll_gen.evaluate(ROLLS)
    assert m["steps"] == 28.0
    assert m["nll_per_step"] < 1.0  # untrained: about 88 * ln 2 = 61 nats per step
    new = roll_gen.generate_events(primer=CHORDS[:2], max_length=2, temperature=0.0)
    assert me.pianoroll_to_steps(new) == [CHORDS[2], CHORDS[3]]
    loaded = MusicGenerator.load(roll_gen.save(tmp_path / "roll"))
    np.testing.assert_allclose(loaded.predict(ROLLS)[1], roll_gen.predict(ROLLS)[1], rtol=1e-6)
    assert (
        loaded.generate_events(max_length=6, seed=4)
        == roll_gen.generate_events(max_length=6, seed=4)
    ).all()
    score = roll_gen.generate(primer=CHORDS[:1], max_length=3, temperature=0.0)
    assert _pitches(score) == [(p, 0.0, 1.0) for p in CHORDS[0]] + [
        (p, 1.0, 1.0) for p in CHORDS[1]
    ] + [(p, 2.0, 1.0) for p in CHORDS[2]]


def test_pianoroll_export_reload_identity_two_batch_sizes(roll_gen, tmp_path):
    path = roll_gen.export(tmp_path / "export")
    sig = tf.saved_model.load(str(path)).signatures["generate"]
    expected = roll_gen.generate_events(max_length=7, temperature=1.0, seed=11)
    for batch in (1, 2):
        out = sig(
            primer=tf.zeros([batch, 0, 88]),
            max_length=tf.constant(7),
            temperature=tf.constant(1.0),
            seed=tf.constant(11, tf.int64),
        )
        assert out["piano_roll"].shape == (batch, 7, 88)
        np.testing.assert_array_equal(out["piano_roll"].numpy()[0], expected)


def _hand_rnn_gen(key_model):
    """A fitted 3-unit Elman RNN piano-roll model with random weights, and those weights."""
    gen = MusicGenerator(
        representation="piano_roll",
        key_model=key_model,
        nade_hidden=4,
        cell="rnn",
        hidden_size=3,
        num_layers=1,
        dropout=0.0,
        seed=2,
        verbose=0,
    )
    gen.fit([[[60], [64]]], epochs=1)
    rng = np.random.default_rng(1)
    weights = [
        rng.normal(scale=0.5, size=w.shape).astype("float32") for w in gen.model_.get_weights()
    ]
    gen.model_.set_weights(weights)
    return gen


def _hand_rnn_states(gen, roll):
    cell = gen.model_.get_layer("recurrent").recurrent_layers[0].cell
    wx, wh, b = (np.asarray(v, np.float64) for v in (cell.kernel, cell.recurrent_kernel, cell.bias))
    inputs = np.zeros((len(roll), 89))
    inputs[0, 88] = 1  # start marker
    inputs[1:, :88] = roll[:-1]
    h, out = np.zeros(3), []
    for t in range(len(roll)):
        h = np.tanh(inputs[t] @ wx + h @ wh + b)
        out.append(h)
    return out


def _log_bernoulli(z, p):
    return z * np.log(p) + (1 - z) * np.log(1 - p)


def test_pianoroll_nll_equals_hand_computation_independent_keys():
    gen = _hand_rnn_gen("independent")
    out = gen.model_.get_layer("logits")
    wo, bo = np.asarray(out.kernel, np.float64), np.asarray(out.bias, np.float64)
    steps = [[60, 64], [], [62, 65, 69]]
    roll = me.steps_to_pianoroll(steps).astype(np.float64)
    total = 0.0
    for t, h in enumerate(_hand_rnn_states(gen, roll)):
        p = 1 / (1 + np.exp(-(h @ wo + bo)))
        total -= np.sum(_log_bernoulli(roll[t], p))
    m = gen.evaluate([steps])
    assert m["nll_per_step"] == pytest.approx(total / 3, rel=1e-5)
    assert m["bits_per_step"] == pytest.approx(total / 3 / np.log(2), rel=1e-5)


def test_pianoroll_nll_equals_hand_computation_nade():
    gen = _hand_rnn_gen("nade")
    nade = gen.model_.get_layer("logits")
    f64 = lambda v: np.asarray(v, np.float64)  # noqa: E731
    wb, bb = f64(nade.visible_bias.kernel), f64(nade.visible_bias.bias)
    wc, bc = f64(nade.hidden_bias.kernel), f64(nade.hidden_bias.bias)
    w, u = f64(nade.w), f64(nade.u)
    steps = [[60, 64], [], [62, 65, 69]]
    roll = me.steps_to_pianoroll(steps).astype(np.float64)
    total = 0.0
    for t, h in enumerate(_hand_rnn_states(gen, roll)):
        b, a = h @ wb + bb, h @ wc + bc
        for k in range(88):  # key k sees the keys below it at the same step
            p = 1 / (1 + np.exp(-(b[k] + (1 / (1 + np.exp(-a))) @ u[k])))
            total -= _log_bernoulli(roll[t, k], p)
            a = a + roll[t, k] * w[k]
    m = gen.evaluate([steps])
    assert m["nll_per_step"] == pytest.approx(total / 3, rel=1e-5)


def test_tokens_log_probs_equal_hand_computation(tmp_path):
    """generate_events(return_log_probs=True) and the export's `log_probs`: each new event's
    log-probability, recomputed by hand from the RNN's weights (special ids never drawn)."""
    gen = MusicGenerator(
        cell="rnn", hidden_size=3, num_layers=1, embedding_dim=2, dropout=0.0, seed=1, verbose=0
    )
    gen.fit([["n60:1", "n62:1", "n60:1"], ["n62:1", "r:1"]], epochs=1)
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=w.shape).astype("float32") for w in gen.model_.get_weights()]
    gen.model_.set_weights(weights)
    gen._sampler = None
    emb, wx, wh, b, wo, bo = (np.asarray(w, np.float64) for w in weights)
    index = {t: i for i, t in enumerate(gen.vocabulary_)}
    primer = ["n62:1"]
    events, logp = gen.generate_events(primer, max_length=6, seed=3, return_log_probs=True)
    assert events == gen.generate_events(primer, max_length=6, seed=3)
    seq = [BOS_ID] + [index[t] for t in primer + events]
    h, expected = np.zeros(3), []
    for t, (prev, target) in enumerate(zip(seq[:-1], seq[1:], strict=True)):
        h = np.tanh(emb[prev] @ wx + h @ wh + b)
        logits = h @ wo + bo
        logits[list(gen._special)] = -np.inf
        if t >= len(primer):
            expected.append(logits[target] - np.logaddexp.reduce(logits))
    np.testing.assert_allclose(logp, expected, rtol=1e-5)
    loaded = tf.saved_model.load(str(gen.export(tmp_path / "e")))
    args = dict(
        primer=tf.constant([[index["n62:1"]]], tf.int32),
        max_length=tf.constant(6),
        temperature=tf.constant(1.0),
        seed=tf.constant(3, tf.int64),
    )
    out = loaded.signatures["generate_scored"](**args)
    np.testing.assert_allclose(out["log_probs"].numpy()[0], logp, rtol=1e-5)
    plain = loaded.signatures["generate"](**args)
    assert set(plain) == {"ids", "tokens"}  # unchanged outputs
    np.testing.assert_array_equal(plain["ids"].numpy(), out["ids"].numpy())


@pytest.mark.parametrize("key_model", ["independent", "nade"])
def test_pianoroll_log_probs_equal_hand_computation(key_model):
    """Each new step's log-probability (the sum over its 88 keys; with the NADE each key given
    the keys below it), recomputed by hand from the weights, at temperature 1 and 0."""
    gen = _hand_rnn_gen(key_model)
    out = gen.model_.get_layer("logits")
    f64 = lambda v: np.asarray(v, np.float64)  # noqa: E731
    primer = [[60, 64]]
    for temperature in (1.0, 0.0):
        new, logp = gen.generate_events(
            primer, max_length=3, temperature=temperature, seed=5, return_log_probs=True
        )
        roll = np.concatenate([me.steps_to_pianoroll(primer), new]).astype(np.float64)
        expected = []
        for t, h in enumerate(_hand_rnn_states(gen, roll)):
            if t < len(primer):
                continue
            if key_model == "independent":
                p = 1 / (1 + np.exp(-(h @ f64(out.kernel) + f64(out.bias))))
                expected.append(np.sum(_log_bernoulli(roll[t], p)))
                continue
            b = h @ f64(out.visible_bias.kernel) + f64(out.visible_bias.bias)
            a = h @ f64(out.hidden_bias.kernel) + f64(out.hidden_bias.bias)
            total = 0.0
            for k in range(88):
                p = 1 / (1 + np.exp(-(b[k] + (1 / (1 + np.exp(-a))) @ f64(out.u)[k])))
                total += _log_bernoulli(roll[t, k], p)
                a = a + roll[t, k] * f64(out.w)[k]
            expected.append(total)
        np.testing.assert_allclose(logp, expected, rtol=1e-4)


def test_pianoroll_saved_before_key_model_existed_loads_as_independent(tmp_path):
    gen = _hand_rnn_gen("independent")
    path = gen.save(tmp_path / "old")
    config = json.loads((path / "config.json").read_text())
    del config["config"]["key_model"], config["config"]["nade_hidden"]
    (path / "config.json").write_text(json.dumps(config))
    loaded = MusicGenerator.load(path, verify=False)  # config.json edited on purpose
    assert loaded.key_model == "independent"
    np.testing.assert_allclose(loaded.predict(ROLLS)[0], gen.predict(ROLLS)[0], rtol=1e-6)
    assert MusicGenerator.from_config({"representation": "piano_roll"}).key_model == "independent"
    assert MusicGenerator(representation="piano_roll").key_model == "nade"


def test_nade_sampling_uses_the_trained_conditionals(roll_gen):
    """Greedy NADE generation turns a key on exactly where its conditional (given the keys
    below it, as `predict` computes them) exceeds 1/2."""
    new = roll_gen.generate_events(primer=CHORDS[:1], max_length=4, temperature=0.0)
    piece = np.concatenate([me.steps_to_pianoroll(CHORDS[:1]), new])
    probs = roll_gen.predict([piece])[0][1:]
    np.testing.assert_array_equal(new, (probs > 0.5).astype(np.uint8))


# ---------------------------------------------------------------------------- inputs, config, errors
def test_accepts_scores_and_datasets():
    score = me.detokenise(PATTERN * 2)
    gen = MusicGenerator(
        hidden_size=8, num_layers=1, embedding_dim=4, transpositions=[0, 2], seed=0, verbose=0
    )
    gen.fit(tf.data.Dataset.from_tensor_slices([PATTERN * 2]), epochs=1)
    assert "n66:1" in gen.vocabulary_  # transposed copy of n64:1
    assert gen.card_["training_pieces_after_augmentation"] == 2
    assert me.tokenise(score) == (PATTERN * 2)[:-1]  # a trailing rest is not an event
    a, b = gen.evaluate([score]), gen.evaluate([(PATTERN * 2)[:-1]])
    assert a == b and a["events"] == 9


def test_config_json_round_trip_piano_roll_options():
    gen = MusicGenerator(
        representation="piano_roll", cell="gru", transpositions=[-1, 0, 1], part="Soprano", seed=4
    )
    again = MusicGenerator.from_config(json.loads(json.dumps(gen.get_config())))
    assert again.get_config() == gen.get_config()
    assert again.transpositions == [-1, 0, 1] and again.part == "Soprano"


def test_bad_inputs_raise_documented_errors(tok_gen):
    with pytest.raises(TypeError, match="`x` must be a list of music21 scores"):
        MusicGenerator().fit("folder/of/midi")
    with pytest.raises(ValueError, match="`y` must be None"):
        MusicGenerator().fit(MELODIES, [1, 2, 3])
    with pytest.raises(ValueError, match=r"^x\[1\]\[2\]: Expected an event.*Received: 'do-re-mi'"):
        MusicGenerator().fit([["n60:1"], ["n60:1", "n62:1", "do-re-mi"]])
    with pytest.raises(ValueError, match="piano roll must have shape"):
        MusicGenerator(representation="piano_roll").fit([np.zeros((4, 12))])
    with pytest.raises(ValueError, match="`x` is empty"):
        MusicGenerator().fit([])
    with pytest.raises(ValueError, match=r"never saw in training: \['n99:1'\]"):
        tok_gen.generate(primer=["n99:1"])
    with pytest.raises(ValueError, match="`max_length` must be >= 0"):
        tok_gen.generate(max_length=-1)
    with pytest.raises(ValueError, match="`temperature` must be in"):
        tok_gen.generate(temperature=-1.0)


@pytest.mark.slow
def test_jsb_real_data_beats_key_frequencies():
    from benchmarks._results import DATA

    path = DATA / "music" / "jsb_chorales" / "jsb-chorales-quarter.train-valid.json"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    from nlpkit.data.music import read_jsb_json

    splits = read_jsb_json(path)
    train = [me.steps_to_pianoroll(p) for p in splits["train"]]
    valid = [me.steps_to_pianoroll(p) for p in splits["valid"]]
    freq = (sum(r.sum(0) for r in train) + 0.5) / (sum(map(len, train)) + 1.0)
    baseline = -sum(float((r * np.log(freq) + (1 - r) * np.log1p(-freq)).sum()) for r in valid)
    baseline /= sum(map(len, valid))
    gen = MusicGenerator(
        representation="piano_roll",
        hidden_size=64,
        num_layers=1,
        transpositions=[-3, -2, -1, 0, 1, 2, 3],
        learning_rate=0.005,
        seed=0,
        verbose=0,
    )
    gen.fit(train, validation_data=valid, epochs=3)
    m = gen.evaluate(valid)
    assert m["steps"] == sum(map(len, valid))
    assert m["nll_per_step"] < baseline


# ----------------------------------------------------------------- shared ids, max_length, old files
OLD_MODEL = Path(__file__).parent / "data" / "music_tokens_before_shared_ids"


def test_model_saved_before_shared_ids_loads_and_generates_the_same():
    """A token model saved by the previous release (vocabulary `<pad> <start> <end> <unk>`, the
    attention layer under its old class name) generates what it generated then."""
    expected = json.loads((OLD_MODEL / "expected_generation.json").read_text())
    gen = MusicGenerator.load(OLD_MODEL)
    assert gen.vocabulary_[:4] == ["<pad>", "<start>", "<end>", "<unk>"]
    assert tuple(gen._special) == (0, 3, 1, 2)
    assert gen.generate_events(None, 12, 1.0, seed=7) == expected["mt"]
    assert gen.generate_events(["n60:1", "n62:1"], 8, 0.7, seed=2) == expected["mt_primer"]
    assert gen.generate_events(["n64:0.5"], 6, 0.0, seed=2) == expected["mt_greedy"]


def test_new_vocabulary_uses_shared_ids_and_steps_is_deprecated(tok_gen):
    assert tok_gen.vocabulary_[:4] == ["<pad>", "<unk>", "<start>", "<end>"]
    assert tuple(tok_gen._special) == (0, 1, 2, 3)
    new = tok_gen.generate_events(max_length=5, temperature=1.0, seed=3)
    with pytest.warns(DeprecationWarning, match="`steps` is deprecated; use `max_length`"):
        old = tok_gen.generate_events(steps=5, temperature=1.0, seed=3)
    assert new == old and len(new) == 5
    with pytest.warns(DeprecationWarning, match="`steps` is deprecated"):
        assert tok_gen.generate(steps=5, temperature=1.0, seed=3) is not None
    with pytest.raises(ValueError, match="Pass the generation length once"):
        tok_gen.generate_events(max_length=4, steps=5)


def test_exported_generation_length_is_max_length(tok_gen, tmp_path):
    """The SavedModel input is `max_length` (as chargen's), no longer `steps` (issue 13)."""
    loaded = tf.saved_model.load(str(tok_gen.export(tmp_path / "export")))
    for name in ("generate", "serving_default"):
        _, kwargs = loaded.signatures[name].structured_input_signature
        assert sorted(kwargs) == ["max_length", "primer", "seed", "temperature"]


# ---------------------------------------------------------------------------- streamed input
TUNE = "X:1\nT:{name}\nM:4/4\nL:1/4\nK:C\n{notes}|\n"


def _tiny_music(**kwargs):
    options = dict(hidden_size=8, num_layers=1, embedding_dim=4, sequence_length=8, seed=0)
    return MusicGenerator(verbose=0, **{**options, **kwargs})


def test_streamed_music_files_build_the_in_memory_vocabulary(tmp_path):
    from nlpkit.data.music import read_music

    (tmp_path / "a.abc").write_text(TUNE.format(name="A", notes="CDEF GABc"))
    (tmp_path / "b.abc").write_text(TUNE.format(name="B", notes="c2 G2 E2 C2"))
    streamed = _tiny_music(transpositions=[0, 1], shuffle_buffer=4).fit(tmp_path, epochs=2)
    files = [tmp_path / "a.abc", tmp_path / "b.abc"]
    in_memory = _tiny_music(transpositions=[0, 1]).fit(read_music(files), epochs=1)
    assert streamed.vocabulary_ == in_memory.vocabulary_
    assert "n61:1" in streamed.vocabulary_  # a transposed copy of C
    for key in ("pieces", "training_pieces_after_augmentation", "data_hash"):
        assert streamed.card_[key] == in_memory.card_[key]
    assert streamed.card_["train_data"] == "streamed"
    loss = streamed.history_["loss"]
    assert len(loss) == 2 and np.isfinite(loss).all()
    assert len(streamed.generate_events(max_length=4, seed=1)) == 4


def test_streamed_jsb_json_piano_roll(tmp_path):
    path = tmp_path / "jsb.json"
    path.write_text(json.dumps({"train": ROLLS, "valid": [CHORDS * 2]}))
    gen = _tiny_music(representation="piano_roll", batch_size=2)
    gen.fit(str(path), validation_data=path, epochs=2)
    assert gen.card_["pieces"] == len(ROLLS) and gen.card_["train_data"] == "streamed"
    assert "val_loss" in gen.history_ and np.isfinite(gen.history_["loss"]).all()
    assert gen.card_["metrics"]["valid_steps"] == len(CHORDS * 2)


def test_dataset_of_pieces_is_streamed():
    ds = tf.data.Dataset.from_generator(
        lambda: iter(MELODIES), output_signature=tf.TensorSpec((None,), tf.string)
    )
    gen = _tiny_music().fit(ds, epochs=1)
    ref = _tiny_music().fit(MELODIES, epochs=1)
    assert gen.vocabulary_ == ref.vocabulary_
    assert gen.card_["pieces"] == 3 and gen.card_["data_hash"] == ref.card_["data_hash"]


def test_streamed_bad_music_files_are_named(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"train": [\n  [[60, 64]],\n  [[60,, 64]]\n]}')
    with pytest.raises(DataFormatError, match=r"bad\.json, line 3"):
        _tiny_music(representation="piano_roll").fit(bad, epochs=1)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"train": [[[60, 200]]]}))
    with pytest.raises(DataFormatError, match=r"wrong\.json.*piece 0, step 0"):
        _tiny_music(representation="piano_roll").fit(wrong, epochs=1)
    with pytest.raises(FileNotFoundError, match="no file matches"):
        _tiny_music().fit(str(tmp_path / "none-*.mid"), epochs=1)


# ---------------------------------------------------------------------------- export `score`
def _score_export(path, inputs):
    sig = tf.saved_model.load(str(path)).signatures["score"]
    return {k: v.numpy() for k, v in sig(**inputs).items()}


def test_tokens_export_score_equals_evaluate(tok_gen, tmp_path):
    """The export's `score` signature gives the sums that `evaluate` reports (through
    `music_metrics`), on rows of different lengths padded with "" and an unknown token."""
    path = tok_gen.export(tmp_path / "export")
    pieces = [PATTERN * 2, ["n60:1", "n61:3", "n64:1"], PATTERN[:1]]  # n61:3 is not in the vocab
    width = max(len(p) for p in pieces)
    rows = [p + [""] * (width - len(p)) for p in pieces]
    for batch in (pieces[:1], pieces):  # two batch sizes
        out = _score_export(path, {"events": tf.constant(rows[: len(batch)])})
        assert out["num_steps"].tolist() == [len(p) + 1 for p in batch]
        metrics = music_metrics(
            "tokens",
            -float(out["log_likelihood"].sum()),
            int(out["num_steps"].sum()),
            len(batch),
            int(out["num_correct"].sum()),
        )
        expected = tok_gen.evaluate(batch)
        assert set(metrics) == set(expected)
        for k, v in expected.items():
            assert metrics[k] == pytest.approx(v, rel=1e-4), k
    empty = _score_export(path, {"events": tf.zeros([0, 3], tf.string)})
    assert empty["log_likelihood"].shape == (0,)
    timing = json.loads((path / "assets.extra" / "music.json").read_text())
    assert timing["representation"] == "tokens" and timing["step_length"] is None
    assert timing["grid"] == tok_gen.grid and timing["time_unit"] == "quarter_note"


@pytest.mark.parametrize("key_model", ["nade", "independent"])
def test_pianoroll_export_score_equals_evaluate(roll_gen, key_model, tmp_path):
    gen = roll_gen if key_model == "nade" else _hand_rnn_gen("independent")
    path = gen.export(tmp_path / "export")
    pieces = [me.steps_to_pianoroll(r) for r in (CHORDS * 2, CHORDS[:3], [[60, 72]])]
    width = max(len(p) for p in pieces)
    roll = np.stack([np.pad(p, [(0, width - len(p)), (0, 0)]) for p in pieces]).astype("float32")
    roll[2, 1:, 40] = 1.0  # notes past a row's length are not scored
    out = _score_export(
        path, {"piano_roll": tf.constant(roll), "lengths": tf.constant([len(p) for p in pieces])}
    )
    assert out["num_steps"].tolist() == [len(p) for p in pieces]
    assert set(out) == {"log_likelihood", "num_steps"}
    metrics = music_metrics(
        "piano_roll", -float(out["log_likelihood"].sum()), int(out["num_steps"].sum()), 3
    )
    expected = gen.evaluate(pieces)
    assert set(metrics) == set(expected)
    for k, v in expected.items():
        assert metrics[k] == pytest.approx(v, rel=1e-4), k
    timing = json.loads((path / "assets.extra" / "music.json").read_text())
    assert timing == timing_metadata(gen.get_config())
    assert timing["step_length"] == gen.step_length == 1.0 and timing["seconds_per_step"] == 0.5
