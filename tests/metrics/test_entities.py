"""Entity metrics: conlleval's numbers, checked against seqeval (default, conlleval mode)."""

import random

import pytest

from nlpkit.metrics.entities import entity_scores, format_report

seqeval = pytest.importorskip("seqeval.metrics")


def _random_tags(rng, n, prefixes):
    return [
        rng.choice(["O", "O"] + [f"{p}-{t}" for p in prefixes for t in ("PER", "LOC")])
        for _ in range(n)
    ]


@pytest.mark.parametrize("prefixes", [("B", "I"), ("I",), ("B", "I", "E", "S")])
def test_matches_seqeval_on_random_sequences(prefixes):
    rng = random.Random(len(prefixes))
    y_true = [_random_tags(rng, rng.randint(1, 12), prefixes) for _ in range(200)]
    y_pred = [
        [t if rng.random() < 0.7 else rng.choice(["O", f"{prefixes[0]}-PER", "I-LOC"]) for t in s]
        for s in y_true
    ]
    ours = entity_scores(y_true, y_pred)
    assert ours["precision"] == pytest.approx(seqeval.precision_score(y_true, y_pred), abs=1e-12)
    assert ours["recall"] == pytest.approx(seqeval.recall_score(y_true, y_pred), abs=1e-12)
    assert ours["f1"] == pytest.approx(seqeval.f1_score(y_true, y_pred), abs=1e-12)
    report = seqeval.classification_report(y_true, y_pred, output_dict=True)
    for kind in ("PER", "LOC"):
        assert ours[f"{kind}/f1"] == pytest.approx(report[kind]["f1-score"], abs=1e-12)
        assert ours[f"{kind}/precision"] == pytest.approx(report[kind]["precision"], abs=1e-12)
        assert ours[f"{kind}/support"] == report[kind]["support"]
    assert 0.2 < ours["f1"] < 0.95  # the test data is neither trivial nor hopeless


def test_hand_computed_example():
    y_true = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    y_pred = [["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG", "B-LOC"]]
    s = entity_scores(y_true, y_pred)
    assert s["precision"] == pytest.approx(2 / 4) and s["recall"] == pytest.approx(2 / 3)
    assert s["f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert s["accuracy"] == pytest.approx(4 / 6)
    assert s["LOC/recall"] == 0.0 and s["PER/f1"] == 1.0 and s["ORG/precision"] == 0.5
    assert "FB1:  57.14" in format_report(s)


def test_empty_predictions_and_errors():
    s = entity_scores([["B-PER"]], [["O"]])
    assert s["precision"] == 0.0 and s["recall"] == 0.0 and s["f1"] == 0.0
    with pytest.raises(ValueError, match="Sentence 0: `y_true` has 2 tags but `y_pred` has 1"):
        entity_scores([["O", "O"]], [["O"]])
    with pytest.raises(ValueError, match="same length"):
        entity_scores([["O"], ["O"]], [["O"]])
