"""Fuzz every exported signature: unicode, control characters, empty strings, invalid UTF-8,
very long inputs and empty batches give a defined result (one output row per input) or a clear
`InvalidArgumentError`; nothing crashes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

try:  # the random cases need hypothesis (dev extra); the fixed cases run without it
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - depends on the environment
    given = settings = st = None

_spec = importlib.util.spec_from_file_location("nlpkit_tiny", Path(__file__).with_name("tiny.py"))
tiny = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tiny)

NASTY = [
    "",
    " ",
    "\t\n\r",
    "\x00",
    "\x07\x1b[31mred\x1b[0m",
    "\u200b\u200d\ufeff",
    "Zoë\u00a0Müller 😀👩‍👩‍👧",
    "שלום مرحبا",
    "a" * 3000,
    "word " * 600,
    "\U0010ffff",
    "\ud7ff\ue000",
]
BAD_UTF8 = [b"\xff\xfe", b"ok \xc3", b"\xed\xa0\x80"]
OUTCOMES: dict[str, dict[str, int]] = {}
MESSAGES: dict[str, set[str]] = {}


def _record(sig: str, kind: str) -> None:
    OUTCOMES.setdefault(sig, {"cases": 0, "defined": 0, "clear error": 0})
    OUTCOMES[sig]["cases"] += 1
    OUTCOMES[sig][kind] += 1


def _check(sig: str, fn, batch, n: int, **kwargs):
    """Call `fn`; the result must have one row per input, or the error must be an
    InvalidArgumentError with a message."""
    try:
        out = fn(batch, **kwargs) if kwargs or not isinstance(batch, dict) else fn(**batch)
    except tf.errors.InvalidArgumentError as e:
        assert e.message.strip()
        MESSAGES.setdefault(sig, set()).add(e.message.strip().splitlines()[-1][:160])
        _record(sig, "clear error")
        return None
    for key, value in out.items():
        assert value.shape[0] == n, f"{sig}: output {key} has {value.shape[0]} rows for {n} inputs"
    _record(sig, "defined")
    return out


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    out = {}
    for name in ("classifier", "tagger", "chargen", "translator"):
        out[name] = tf.saved_model.load(str(tiny.BUILDERS[name]().export(root / name)))
    return out


def _string_signatures(served):
    sig = {
        "classifier/serving_default": served["classifier"].signatures["serving_default"],
        "tagger/serving_default": served["tagger"].signatures["serving_default"],
        "chargen/serving_default": served["chargen"].signatures["serving_default"],
        "chargen/score": served["chargen"].signatures["score"],
        "translator/translate": served["translator"].signatures["translate"],
    }
    return sig


def _call(name, fn, batch):
    texts = tf.constant(batch, tf.string) if batch else tf.constant([], tf.string)
    return _check(name, lambda b: fn(b), texts, len(batch))


def test_fixed_nasty_strings_and_empty_batches(served):
    for name, fn in _string_signatures(served).items():
        assert _call(name, fn, []) is not None, f"{name} fails on an empty batch"
        assert _call(name, fn, NASTY) is not None, f"{name} refused valid text"
        for s in NASTY:
            assert _call(name, fn, [s]) is not None, f"{name} refused {s!r:.40}"
        for b in BAD_UTF8:  # invalid UTF-8: a defined result too (replacement characters)
            assert _call(name, fn, [b, b"fine"]) is not None, f"{name} fails on {b!r}"
    tags = served["tagger"].signatures["tag_tokens"]
    for batch in ([[""]], [["", ""], ["a", ""]], [[s] for s in NASTY], [["x"] * 500]):
        _check("tagger/tag_tokens", tags, tf.constant(batch), len(batch))
    _check("tagger/tag_tokens", tags, tf.zeros([0, 3], tf.string), 0)
    chargen = served["chargen"].signatures
    for prompts in ([], [""], NASTY[:4], ["a" * 2000]):
        args = dict(
            prompts=tf.constant(prompts, tf.string),
            max_length=tf.constant(4),
            temperature=tf.constant(1.0),
            seed=tf.constant(3),
        )
        _check("chargen/generate", chargen["generate"], args, len(prompts))
        args.update(top_k=tf.constant(2), top_p=tf.constant(0.9))
        _check("chargen/generate_filtered", chargen["generate_filtered"], args, len(prompts))
    # the classifier and translator agree with Python on the defined cases
    clf = served["classifier"].signatures["serving_default"]
    assert clf(tf.constant(NASTY))["scores"].numpy().shape == (len(NASTY), 2)


if given is not None:
    TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=50)

    @settings(max_examples=15, deadline=None)
    @given(st.lists(TEXT, max_size=4))
    def test_random_unicode_batches(served, batch):
        for name, fn in _string_signatures(served).items():
            out = _call(name, fn, batch)
            assert out is not None, f"{name} refused valid UTF-8 {batch!r}"


def test_music_primer_fuzz(tmp_path):
    served = tf.saved_model.load(str(tiny.music().export(tmp_path / "music")))
    fn = served.signatures["generate"]
    vocab = len((tmp_path / "music" / "assets.extra" / "vocabulary.txt").read_text().splitlines())
    cases = [
        (np.zeros([0, 0]), True),
        (np.zeros([2, 0]), True),
        (np.full([1, 300], 4), True),
        (np.array([[vocab + 5]]), False),  # outside the vocabulary: a clear error
        (np.array([[-1]]), False),
    ]
    for primer, valid in cases:
        args = dict(
            primer=tf.constant(primer, tf.int32),
            max_length=tf.constant(3),
            temperature=tf.constant(1.0),
            seed=tf.constant(1, tf.int64),
        )
        out = _check("music/generate", fn, args, len(primer))
        assert (out is not None) == valid


def test_report_outcomes():
    """Printed with `pytest -s`: the table in the issue notes comes from here."""
    for sig, counts in sorted(OUTCOMES.items()):
        print(f"{sig}: {counts} {sorted(MESSAGES.get(sig, ()))}")
    assert OUTCOMES
