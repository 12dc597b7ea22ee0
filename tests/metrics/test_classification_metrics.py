import pytest

from nlpkit.metrics.classification import classification_report


def test_report_matches_hand_counts():
    r = classification_report([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], ["a", "b", "c"])
    assert r["accuracy"] == pytest.approx(3 / 5)
    assert r["precision/a"] == pytest.approx(1 / 2) and r["recall/a"] == pytest.approx(1 / 2)
    assert r["precision/b"] == pytest.approx(2 / 3) and r["recall/b"] == pytest.approx(1.0)
    assert r["f1/b"] == pytest.approx(0.8)
    assert r["f1/c"] == 0.0
    assert r["macro_f1"] == pytest.approx((0.5 + 0.8 + 0.0) / 3)
