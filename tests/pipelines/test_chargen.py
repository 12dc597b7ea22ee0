import json
import math
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from nlpkit.errors import DataFormatError, NotFittedError
from nlpkit.metrics.language_model import sequence_nll
from nlpkit.pipelines.chargen import CharGenerator
from nlpkit.text.char_vocabulary import BOS_ID, EOS_ID, PAD_ID, UNK_ID, CharVocabulary
from tests.pipelines.contract import CHECKS, PipelineSpec, check_pipeline

NAMES = ["anna", "bella", "carla", "dora", "emma", "fiona", "gina", "hilda"]
TEXT = "to be or not to be, that is the question. " * 6


@pytest.fixture(scope="module")
def gen():
    keras.utils.set_random_seed(0)
    g = CharGenerator(
        cell="gru", hidden_size=32, learning_rate=0.02, batch_size=8, seed=0, verbose=0
    )
    return g.fit(NAMES, epochs=80)


@pytest.fixture(scope="module")
def stream_gen():
    keras.utils.set_random_seed(1)
    g = CharGenerator(
        mode="stream",
        seq_len=24,
        cell="lstm",
        input_encoding="one_hot",
        hidden_size=24,
        learning_rate=0.02,
        batch_size=16,
        seed=1,
        verbose=0,
    )
    return g.fit([TEXT], epochs=40)


def _greedy_served(fn, prompts, gen=None):
    out = fn(
        prompts=tf.constant(prompts),
        max_length=tf.constant(2 * max(map(len, NAMES))),  # what predict() uses
        temperature=tf.constant(0.0),
        seed=tf.constant(0),
    )
    return [t.decode() for t in out["text"].numpy()]


SPEC = PipelineSpec(
    cls=CharGenerator,
    make=lambda: CharGenerator(cell="gru", hidden_size=8, batch_size=8, seed=0, verbose=0),
    fit=lambda g: g.fit(NAMES, epochs=1),
    inputs=["ca", "fi", "", "b"],
    outputs=lambda g, prompts: g.predict(prompts),
    serve=_greedy_served,
    signature="generate",
    unfitted={
        "generate": lambda g: g.generate(),
        "predict": lambda g: g.predict(["a"]),
        "evaluate": lambda g: g.evaluate(NAMES),
        "score": lambda g: g.score(NAMES),
    },
    bad_args=[
        (
            {"cell": "lstn"},
            ValueError,
            "`cell` must be one of 'rnn', 'gru', 'lstm'. Received: cell='lstn'",
        ),
        ({"mode": "words"}, ValueError, "`mode` must be one of 'lines', 'stream'"),
        ({"hidden_size": 0}, ValueError, "`hidden_size` must be >= 1"),
    ],
)


@pytest.mark.parametrize("check", CHECKS)
def test_contract(check, gen, tmp_path):
    check_pipeline(SPEC, gen, tmp_path, checks=[check])


def _masked_logits(gen, text):
    """Full-model logits at every position of `text` (computed without the step model)."""
    ids = [BOS_ID] + gen.vocabulary_.encode(text)
    logits = gen.model_(np.array([ids], np.int32), training=False).numpy()[0].astype(np.float64)
    banned = [PAD_ID, UNK_ID, BOS_ID] + ([] if gen.mode == "lines" else [EOS_ID])
    logits[:, banned] = -np.inf
    return logits


def _emitted(gen, text, prompt=""):
    """(position, id) pairs of the characters generated after `prompt` (end marker included)."""
    ids = gen.vocabulary_.encode(text)
    start = len(gen.vocabulary_.encode(prompt))
    emitted = ids[start:]
    if gen.mode == "lines":
        emitted = emitted + [EOS_ID]
    return [(start + j, c) for j, c in enumerate(emitted)]


# ----------------------------------------------------------------------------- training
def test_overfits_tiny_set(gen):
    loss = gen.history_["loss"]
    assert loss[-1] < 0.5 * loss[0]
    assert gen.evaluate(NAMES)["nats_per_char"] < 0.9
    assert gen.generate("ca", method="greedy") == ["carla"]
    assert gen.generate("fi", method="greedy") == ["fiona"]
    assert gen.card_["data_hash"] and gen.card_["seed"] == 0


def test_dataset_input_equals_list(gen):
    ds = tf.data.Dataset.from_tensor_slices(NAMES).batch(3)
    assert gen.evaluate(ds) == gen.evaluate(NAMES)


# ----------------------------------------------------------------------------- sampling
def test_greedy_step_model_matches_full_model(gen):
    expected = []
    for prompt in ["", "b", "hil"]:
        text = prompt
        for _ in range(20):
            nxt = int(np.argmax(_masked_logits(gen, text)[-1]))
            if nxt == EOS_ID:
                break
            text += gen.vocabulary_.tokens[nxt]
        assert gen.generate(prompt, method="greedy") == [text]
        expected.append(text)
    # prompts of different lengths primed together in one batch
    assert gen.predict(["", "b", "hil"]) == expected


def test_temperature_to_zero_equals_greedy(gen):
    greedy = gen.generate("", method="greedy")[0]
    assert gen.generate("", n=4, temperature=1e-4, seed=5) == [greedy] * 4
    assert gen.generate("", n=2, temperature=0.0, seed=9) == [greedy] * 2


def test_same_seed_same_output_other_seed_differs(gen):
    a = gen.generate("", n=10, temperature=1.5, seed=11)
    assert a == gen.generate("", n=10, temperature=1.5, seed=11)
    assert a != gen.generate("", n=10, temperature=1.5, seed=12)
    assert len(set(a)) > 1


def test_top_k_never_emits_outside_top_k(gen):
    assert (
        gen.generate("", n=3, top_k=1, temperature=2.0, seed=4)
        == gen.generate("", method="greedy") * 3
    )
    samples = gen.generate("", n=20, top_k=2, temperature=3.0, seed=7)
    for s in samples:
        logits = _masked_logits(gen, s)
        for pos, c in _emitted(gen, s):
            top2 = np.argsort(-logits[pos])[:2]
            assert c in top2, (s, pos, c, top2)


def test_top_p_respects_its_mass(gen):
    p = 0.6
    samples = gen.generate("", n=20, top_p=p, temperature=2.0, seed=8)
    checked = 0
    for s in samples:
        logits = _masked_logits(gen, s) / 2.0
        for pos, c in _emitted(gen, s):
            probs = np.exp(logits[pos] - logits[pos].max())
            probs /= probs.sum()
            order = np.argsort(-probs)
            mass_before = np.cumsum(probs[order]) - probs[order]
            nucleus = set(order[mass_before < p].tolist())
            assert c in nucleus, (s, pos, c, nucleus)
            checked += 1
    assert checked > 40


def test_beam_search(gen):
    assert gen.generate("", method="beam", beam_width=1) == gen.generate("", method="greedy")
    beams = gen.generate("", n=3, method="beam", beam_width=4)
    assert len(beams) == 3 and len(set(beams)) == 3
    scores = gen.score(beams)
    assert np.all(np.diff(scores) <= 1e-5)
    assert scores[0] >= gen.score(gen.generate("", method="greedy"))[0] - 1e-5


def test_empty_prompt_and_unknown_characters(gen, tmp_path):
    # Empty prompt: a whole item from the start marker; the end marker stops it.
    out = gen.generate("", n=5, seed=2)
    assert all(s and set(s) <= set(gen.vocabulary_.chars) for s in out)
    # replace (default): the prompt is returned as given, the unknown is fed as <unk>.
    out = gen.generate("c#", n=2, seed=2, max_length=6)
    assert all(s.startswith("c#") and len(s) <= 8 for s in out)
    # skip: the unknown character is dropped before conditioning.
    gen.save(tmp_path / "g")
    meta = json.loads((tmp_path / "g" / "config.json").read_text())
    for policy in ("skip", "error"):
        meta["config"]["unknown"] = policy
        (tmp_path / "g" / "config.json").write_text(json.dumps(meta))
        other = CharGenerator.load(tmp_path / "g", verify=False)  # edited on purpose
        if policy == "skip":
            greedy = gen.generate("ca", method="greedy")[0]
            assert other.generate("c#a", method="greedy") == ["c#a" + greedy[2:]]
        else:
            with pytest.raises(ValueError, match="outside the vocabulary"):
                other.generate("c#a")
            with pytest.raises(ValueError, match="outside the vocabulary"):
                other.evaluate(["c#a"])


# ----------------------------------------------------------------------------- metrics
def test_bits_per_char_hand_computation(gen):
    # A numpy computation from the model's logits.
    framed = [[BOS_ID] + gen.vocabulary_.encode(s) + [EOS_ID] for s in NAMES]
    width = max(map(len, framed))
    mat = np.array([f + [PAD_ID] * (width - len(f)) for f in framed], np.int32)
    logits = gen.model_(mat[:, :-1], training=False).numpy()
    total, count = sequence_nll(logits, mat[:, 1:], mat[:, 1:] != PAD_ID)
    m = gen.evaluate(NAMES)
    assert count == sum(len(s) + 1 for s in NAMES) == m["num_chars"]
    assert m["nats_per_char"] == pytest.approx(total / count, rel=1e-5)
    assert m["bits_per_char"] == pytest.approx(total / count / math.log(2), rel=1e-5)
    assert m["perplexity"] == pytest.approx(math.exp(total / count), rel=1e-5)


def test_uniform_model_scores_log_vocab():
    g = CharGenerator(hidden_size=8, seed=0, verbose=0).fit(NAMES, epochs=1)
    head = g.model_.get_layer("logits")
    head.set_weights([np.zeros_like(w) for w in head.get_weights()])
    v = g.vocabulary_.size
    m = g.evaluate(NAMES)
    assert m["nats_per_char"] == pytest.approx(math.log(v), rel=1e-6)
    assert m["bits_per_char"] == pytest.approx(math.log2(v), rel=1e-6)
    assert m["perplexity"] == pytest.approx(v, rel=1e-5)
    np.testing.assert_allclose(g.score(["ab"]), [-3 * math.log(v)], rtol=1e-6)


# ----------------------------------------------------------------------------- persistence
def test_save_load_same_scores_and_samples(gen, tmp_path):
    gen.save(tmp_path / "m")
    again = CharGenerator.load(tmp_path / "m")  # greedy identity: the contract
    np.testing.assert_allclose(again.score(NAMES), gen.score(NAMES), rtol=1e-6)
    assert again.generate("", n=6, seed=3) == gen.generate("", n=6, seed=3)


def test_export_reload_same_samples_and_scores(gen, tmp_path):
    path = gen.export(tmp_path / "export")
    loaded = tf.saved_model.load(str(path))
    assert set(loaded.signatures) == {
        "serving_default",
        "generate",
        "generate_filtered",
        "generate_scored",
        "score",
        "beam_search",
    }
    # beam search in the SavedModel: the n-best of generate(method="beam"), two batch sizes
    expected = gen.generate("b", n=3, method="beam", beam_width=4, max_length=10)
    for prompts in (["b"], ["b", "ca"]):
        out = loaded.signatures["beam_search"](
            prompts=tf.constant(prompts), max_length=tf.constant(10), beam_width=tf.constant(4)
        )
        assert out["text"].shape == (len(prompts), 4)
        assert [s.decode() for s in out["text"].numpy()[0, :3]] == expected
        assert np.all(np.diff(out["log_likelihood"].numpy(), axis=1) <= 1e-6)
    assert [s.decode() for s in out["text"].numpy()[1, :2]] == gen.generate(
        "ca", n=2, method="beam", beam_width=4, max_length=10
    )
    for n in (1, 3):
        expected = gen.generate("b", n=n, max_length=10, temperature=1.3, seed=21)
        got = loaded.signatures["generate"](
            prompts=tf.constant(["b"] * n),
            max_length=tf.constant(10),
            temperature=tf.constant(1.3),
            seed=tf.constant(21),
        )["text"]
        assert [s.decode() for s in got.numpy()] == expected
    expected = gen.generate("", n=4, max_length=10, top_k=3, top_p=0.9, seed=5)
    got = loaded.signatures["generate_filtered"](
        prompts=tf.constant([""] * 4),
        max_length=tf.constant(10),
        temperature=tf.constant(1.0),
        seed=tf.constant(5),
        top_k=tf.constant(3),
        top_p=tf.constant(0.9),
    )["text"]
    assert [s.decode() for s in got.numpy()] == expected
    # greedy generation at two batch sizes: the contract
    for batch in (NAMES[:1], NAMES):
        out = loaded.signatures["score"](texts=tf.constant(batch))
        np.testing.assert_allclose(out["log_likelihood"].numpy(), gen.score(batch), rtol=1e-5)
        np.testing.assert_array_equal(out["num_chars"].numpy(), [len(s) + 1 for s in batch])


def _brute_log_probs(gen, text, prompt):
    """Each emitted character's log-probability (end marker included), read from the full
    model's softmax over the banned-ids-removed logits."""
    logits = _masked_logits(gen, text)
    logp = logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)
    return [logp[pos, c] for pos, c in _emitted(gen, text, prompt)]


def test_per_token_log_probs_match_the_full_model(gen, tmp_path):
    cases = [
        ("b", dict(n=4, temperature=1.3, top_k=3, seed=21, max_length=12)),
        ("", dict(n=3, temperature=0.8, top_p=0.9, seed=2, max_length=12)),
        ("hil", dict(method="greedy")),
        ("b", dict(n=3, method="beam", beam_width=4, max_length=10)),
    ]
    for prompt, kw in cases:
        pairs = gen.generate(prompt, return_log_probs=True, **kw)
        assert [t for t, _ in pairs] == gen.generate(prompt, **kw)
        for text, logp in pairs:
            ended = len(logp) == len(text) - len(prompt) + 1
            assert ended or len(logp) == kw.get("max_length")
            np.testing.assert_allclose(
                logp, _brute_log_probs(gen, text, prompt)[: len(logp)], rtol=1e-4, atol=1e-5
            )
    # the exported generate_scored signature returns the same, zero after the end; generate
    # keeps its single output (its REST answers are a plain list of texts)
    loaded = tf.saved_model.load(str(gen.export(tmp_path / "export")))
    pairs = gen.generate("b", n=3, max_length=12, temperature=1.3, seed=21, return_log_probs=True)
    args = dict(
        prompts=tf.constant(["b"] * 3),
        max_length=tf.constant(12),
        temperature=tf.constant(1.3),
        seed=tf.constant(21),
    )
    scored = loaded.signatures["generate_scored"](
        **args, top_k=tf.constant(0), top_p=tf.constant(1.0)
    )
    assert set(loaded.signatures["generate"](**args)) == {"text"}
    assert [t.decode() for t in scored["text"].numpy()] == [t for t, _ in pairs]
    out = scored["token_log_probs"].numpy()
    for (_, logp), row in zip(pairs, out, strict=True):
        np.testing.assert_allclose(row[: len(logp)], logp, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(row[len(logp) :], 0.0)
    with pytest.raises(TypeError, match="return_log_probs"):
        gen.generate(return_log_probs="yes")


# ----------------------------------------------------------------------------- stream mode
def test_stream_mode(stream_gen, tmp_path):
    g = stream_gen
    assert g.history_["loss"][-1] < 0.6 * g.history_["loss"][0]
    m = g.evaluate([TEXT])
    assert m["num_chars"] == len(TEXT)  # every character predicted once, no end marker
    assert m["nats_per_char"] < 1.5
    out = g.generate("to be", n=3, max_length=15, seed=1)
    assert all(s.startswith("to be") and len(s) == 20 for s in out)
    assert g.generate("", n=2, max_length=7, seed=1)[0].__len__() == 7
    with pytest.raises(ValueError, match="mode='lines'"):
        g.generate(method="beam")
    path = g.export(tmp_path / "s")
    loaded = tf.saved_model.load(str(path))
    got = loaded.signatures["generate"](
        prompts=tf.constant(["to be"] * 3),
        max_length=tf.constant(15),
        temperature=tf.constant(1.0),
        seed=tf.constant(1),
    )["text"]
    assert [s.decode() for s in got.numpy()] == out
    ll = loaded.signatures["score"](texts=tf.constant([TEXT[:24], ""]))["log_likelihood"].numpy()
    np.testing.assert_allclose(ll, g.score([TEXT[:24], ""]), rtol=1e-5)
    assert ll[1] == 0.0


def test_stream_random_windows_are_fresh_cuts_of_each_text():
    g = CharGenerator(mode="stream", seq_len=6, batch_size=4, seed=3)
    texts = ["abcdefghijklmnopqrst", "xyz"]  # 4 + 1 fixed windows
    vocab = CharVocabulary.from_texts(texts)

    def epoch(ds):
        rows = []
        for x, y in ds:
            for xi, yi in zip(x.numpy(), y.numpy(), strict=True):
                rows.append((vocab.decode(xi), vocab.decode(yi), int(xi[0])))
        return rows

    ds = g._random_windows(texts, vocab)
    first, second = epoch(ds), epoch(ds)
    assert len(first) == len(second) == 5
    for x, y, bos in first + second:
        assert bos == BOS_ID
        if y == "xyz":  # shorter than seq_len: the whole text, padded
            assert x == "xyz"
        else:
            assert len(y) == 6 and y in texts[0] and x == y[:-1]
    assert first != second  # new start positions every epoch
    assert epoch(g._random_windows(texts, vocab)) == first  # the seed repeats the draws
    fixed = CharGenerator(mode="stream", seq_len=6, windows="fixed", seed=3, verbose=0)
    assert fixed.fit(texts, epochs=1).get_config()["windows"] == "fixed"


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (
            {"cell": "lstn"},
            ValueError,
            "`cell` must be one of 'rnn', 'gru', 'lstm'. Received: cell='lstn'",
        ),
        ({"mode": "words"}, ValueError, "`mode` must be one of 'lines', 'stream'"),
        ({"windows": "sliding"}, ValueError, "`windows` must be one of 'random', 'fixed'"),
        ({"unknown": "drop"}, ValueError, "`unknown` must be one of"),
        ({"hidden_size": 0}, ValueError, "`hidden_size` must be >= 1"),
        ({"dropout": 1.0}, ValueError, "`dropout` must be in"),
        ({"input_encoding": "onehot"}, ValueError, "`input_encoding` must be one of"),
        (
            {"verbose": 3},
            ValueError,
            "`verbose` must be one of 'auto', 0, 1, 2. Received: verbose=3",
        ),
    ],
)
def test_bad_config(kwargs, error, match):
    with pytest.raises(error, match=match):
        CharGenerator(**kwargs)


def test_bad_calls(gen, tmp_path):
    with pytest.raises(NotFittedError, match="call `fit"):
        CharGenerator().generate()
    with pytest.raises(TypeError, match="not a single string"):
        CharGenerator().fit("anna bella")
    with pytest.raises(ValueError, match="`y` must be None"):
        CharGenerator().fit(NAMES, [1] * len(NAMES))
    with pytest.raises(ValueError, match="tf.data.Dataset of strings, not of pairs"):
        CharGenerator().fit(tf.data.Dataset.from_tensor_slices((NAMES, [1] * len(NAMES))))
    with pytest.raises(ValueError, match="no non-empty items"):
        CharGenerator().fit(["", ""])
    with pytest.raises(ValueError, match="`temperature` must be in"):
        gen.generate(temperature=-1.0)
    with pytest.raises(ValueError, match="`top_p` must be in"):
        gen.generate(top_p=0.0)
    with pytest.raises(ValueError, match="`method` must be one of"):
        gen.generate(method="nucleus")
    with pytest.raises(ValueError, match="`beam_width` must be >= n"):
        gen.generate(n=4, method="beam", beam_width=2)
    with pytest.raises(ValueError, match="`beam_width` must be <= 1024"):
        gen.generate(method="beam", beam_width=1025)
    with pytest.raises(TypeError, match="`prompt` must be a string"):
        gen.generate(["a"])
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"anna\nbel\xfful\n")
    with pytest.raises(DataFormatError, match=r"bad\.txt, line 2"):
        CharGenerator().fit(bad)


def test_fit_from_file(tmp_path):
    p = tmp_path / "names.txt"
    p.write_text("\n".join(NAMES) + "\n", encoding="utf-8")
    g = CharGenerator(hidden_size=8, seed=0, verbose=0).fit(p, epochs=1)
    assert g.card_["num_items"] == len(NAMES)
    assert g.evaluate(p)["num_chars"] == sum(len(s) + 1 for s in NAMES)


# ----------------------------------------------------------------------------- real data (opt-in)
DINOS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "chargen" / "dinos.txt"


@pytest.mark.slow
@pytest.mark.skipif(not DINOS.is_file(), reason="../shared/data/chargen/dinos.txt not present")
def test_dinosaur_names_real_data(tmp_path):
    from nlpkit.data.text_lines import read_lines

    names = [n.lower() for n in read_lines(DINOS)]
    rng = np.random.default_rng(0)
    names = [names[i] for i in rng.permutation(len(names))]
    cut = int(0.9 * len(names))
    g = CharGenerator(cell="gru", hidden_size=64, learning_rate=0.01, seed=0, verbose=0)
    g.fit(names[:cut], validation_data=names[cut:], epochs=30)
    m = g.evaluate(names[cut:])
    # measured 1.675 nats/char on 2026-11-29 (CPU, seed 0); the bound leaves room for BLAS noise
    assert m["nats_per_char"] < 1.75, m
    samples = g.generate(n=20, temperature=0.8, seed=0)
    assert sum(s.endswith("saurus") or s.endswith("odon") or s.endswith("us") for s in samples) >= 5


def test_beam_wider_than_the_possible_items_returns_only_real_ones():
    # two characters, one step: the only items are "", "a", "b" (a beam of 8 has 5 placeholders)
    tiny = CharGenerator(hidden_size=8, seed=0, verbose=0, early_stopping=None)
    tiny.fit(["ab", "ba"], epochs=1)
    out = tiny.generate("", n=8, method="beam", beam_width=8, max_length=1)
    assert sorted(out) == ["", "a", "b"]


# ----------------------------------------------------------------------------- streamed input
def _tiny(**kwargs):
    return CharGenerator(cell="gru", hidden_size=8, batch_size=4, seed=0, verbose=0, **kwargs)


@pytest.fixture(scope="module")
def tiny_in_memory():
    """`_tiny()` fitted in memory on NAMES: what the streamed fits below must match."""
    return _tiny().fit(NAMES, epochs=1)


def test_streamed_files_build_the_in_memory_vocabulary(tmp_path, tiny_in_memory):
    (tmp_path / "a.txt").write_text("\n".join(NAMES[:5]) + "\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("\r\n".join(NAMES[5:]) + "\r\n\r\n", encoding="utf-8")
    streamed = _tiny(shuffle_buffer=3).fit(str(tmp_path / "*.txt"), epochs=2)
    in_memory = tiny_in_memory
    assert streamed.vocabulary_ == in_memory.vocabulary_
    assert streamed.card_["train_data"] == "streamed"
    assert streamed.card_["num_items"] == len(NAMES)
    assert streamed.card_["data_hash"] == in_memory.card_["data_hash"]
    assert streamed.max_item_length_ == max(map(len, NAMES))
    loss = streamed.history_["loss"]
    assert len(loss) == 2 and np.isfinite(loss).all() and loss[1] < loss[0]
    out = streamed.generate("an", n=2, max_length=6, seed=1)
    assert len(out) == 2 and all(t.startswith("an") for t in out)


def test_streamed_text_is_cut_into_the_in_memory_windows(tmp_path):
    book = tmp_path / "book.txt"
    book.write_text(TEXT, encoding="utf-8")
    g = _tiny(mode="stream", seq_len=16, max_chars=12)
    assert list(g._file_items(str(book))) == g._items([TEXT])
    streamed = g.fit(book, epochs=1)
    assert (
        streamed.vocabulary_
        == _tiny(mode="stream", seq_len=16, max_chars=12).fit([TEXT], epochs=1).vocabulary_
    )
    assert streamed.vocabulary_.size == 4 + 12  # the cap holds
    assert streamed.card_["num_chars"] == len(TEXT)


def test_dataset_input_is_streamed(tiny_in_memory):
    ds = tf.data.Dataset.from_tensor_slices(NAMES).batch(3)
    g = _tiny().fit(ds, epochs=1)
    assert g.card_["train_data"] == "streamed" and g.card_["num_items"] == len(NAMES)
    assert g.vocabulary_ == tiny_in_memory.vocabulary_
    assert np.isfinite(g.evaluate(NAMES)["nats_per_char"])


def test_streamed_bad_file_is_named(tmp_path):
    (tmp_path / "ok.txt").write_text("anna\n", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"bella\ncarla\nd\xffra\n")
    with pytest.raises(DataFormatError, match=r"bad\.txt, line 3"):
        _tiny().fit([tmp_path / "ok.txt", tmp_path / "bad.txt"], epochs=1)
    with pytest.raises(FileNotFoundError, match="no file matches"):
        _tiny().fit(str(tmp_path / "none-*.txt"), epochs=1)
