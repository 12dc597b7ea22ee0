"""Tests for nlpkit.metrics.translation."""

import builtins
import math

import pytest

from nlpkit.errors import MissingDependencyError
from nlpkit.metrics import translation as tm


def _bleu_by_hand(hyp, ref, n_max=4):
    """Single-sentence BLEU from the definition (no smoothing needed when all n-grams match)."""
    h, r = hyp.split(), ref.split()
    logs = []
    for n in range(1, n_max + 1):
        hg = [tuple(h[i : i + n]) for i in range(len(h) - n + 1)]
        rg = [tuple(r[i : i + n]) for i in range(len(r) - n + 1)]
        clipped = sum(min(hg.count(g), rg.count(g)) for g in set(hg))
        logs.append(math.log(clipped / len(hg)))
    bp = min(1.0, math.exp(1 - len(r) / len(h)))
    return 100 * bp * math.exp(sum(logs) / n_max)


def test_bleu_matches_hand_computation():
    hyp = "the cat sat on the mat today"
    ref = "the cat sat on the mat"
    assert tm.corpus_bleu([hyp], [ref]) == pytest.approx(_bleu_by_hand(hyp, ref), rel=1e-6)
    hyp2 = "a cat sat on the mat"
    ref2 = "the cat sat on the mat now"
    assert tm.corpus_bleu([hyp2], [ref2]) == pytest.approx(_bleu_by_hand(hyp2, ref2), rel=1e-6)
    assert tm.corpus_bleu(["x y z w"], ["x y z w"]) == pytest.approx(100.0)


def test_chrf_exact_match_token_accuracy():
    assert tm.corpus_chrf(["hello world"], ["hello world"]) == pytest.approx(100.0)
    assert tm.corpus_chrf(["abc"], ["xyz"]) == pytest.approx(0.0)
    assert tm.exact_match(["a", "b ", "c"], ["a", "b", "d"]) == pytest.approx(2 / 3)
    assert tm.token_accuracy(["a b c d"], ["a b x"]) == pytest.approx(2 / 4)
    assert tm.token_accuracy(["2020-01-02"], ["2020-01-03"], level="char") == pytest.approx(0.9)
    m = tm.translation_metrics(["a b c"], ["a b c"])
    assert m == {
        "bleu": pytest.approx(0.0),
        "bleu_signature": m["bleu_signature"],
        "bleu_lowercased_tokenized": pytest.approx(0.0),
        "chrf": pytest.approx(100.0),
        "exact_match": 1.0,
        "token_accuracy": 1.0,
    }


def test_headline_bleu_is_cased_on_raw_references_with_signature():
    hyp = "Ein Mann mit einem roten Hut steht vor dem Haus."
    ref = "ein Mann mit einem roten Hut steht vor dem Haus ."
    m = tm.translation_metrics([hyp], [ref])
    # cased: 'Ein' != 'ein'; 13a splits the final period off the hypothesis itself
    assert m["bleu"] == pytest.approx(tm.corpus_bleu([hyp], [ref]))
    expected = _bleu_by_hand("Ein Mann mit einem roten Hut steht vor dem Haus .", ref)
    assert m["bleu"] == pytest.approx(expected, rel=1e-6) and m["bleu"] < 100
    sig = dict(part.split(":", 1) for part in m["bleu_signature"].split("|"))
    assert sig["case"] == "mixed" and sig["tok"] == "13a" and sig["nrefs"] == "1"
    assert m["bleu_lowercased_tokenized"] == pytest.approx(100.0)
    # sacrebleu's own -lc: 13a already splits the final period, so lowercasing suffices here
    score, sig_lc = tm.bleu_with_signature([hyp], [ref], lowercase=True)
    assert score == pytest.approx(100.0) and "case:lc" in sig_lc
    chars = tm.translation_metrics(["2001-05-03"], ["2001-05-03"], level="char")
    assert chars["bleu"] == pytest.approx(100.0) and "tok:char" in chars["bleu_signature"]


def test_lowercase_tokenize_splits_punctuation_like_the_graph_tokenizer():
    import tensorflow as tf

    from nlpkit.text.token_vocabulary import split_tokens

    texts = ["A man's hat, orange!", "Zwei Männer (rechts) spielen 3-mal Ball.", "x_y  z"]
    graph = [
        " ".join(t.decode() for t in row)
        for row in split_tokens(tf.constant(texts), "word", lowercase=True).to_list()
    ]
    assert [tm.lowercase_tokenize(t) for t in texts] == graph


def test_bad_inputs():
    with pytest.raises(ValueError, match="same length"):
        tm.corpus_bleu(["a"], ["a", "b"])
    with pytest.raises(TypeError, match="not a single string"):
        tm.exact_match("abc", ["abc"])
    with pytest.raises(ValueError, match="`level` must be one of 'word', 'char'"):
        tm.token_accuracy(["a"], ["a"], level="byte")


def test_missing_sacrebleu(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "sacrebleu":
            raise ImportError("no sacrebleu")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(MissingDependencyError, match=r'pip install "nlpkit\[translation\]"'):
        tm.corpus_bleu(["a"], ["a"])
