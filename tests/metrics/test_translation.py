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
        "chrf": pytest.approx(100.0),
        "exact_match": 1.0,
        "token_accuracy": 1.0,
    }


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
