import math

import numpy as np
import pytest

from nlpkit.metrics.language_model import lm_metrics, nats_to_bits, sequence_nll


def test_uniform_distribution_values():
    m = lm_metrics(12 * math.log(8.0), 12)
    assert m["nll"] == pytest.approx(math.log(8.0))
    assert m["bits_per_unit"] == pytest.approx(3.0)
    assert m["perplexity"] == pytest.approx(8.0)


def test_bits_and_perplexity_relations():
    m = lm_metrics(5.3, 7)
    assert m["bits_per_unit"] == pytest.approx(nats_to_bits(5.3 / 7))
    assert m["perplexity"] == pytest.approx(2 ** m["bits_per_unit"])


def test_overflowing_perplexity_is_inf():
    assert lm_metrics(1e6, 1)["perplexity"] == math.inf


@pytest.mark.parametrize("count", [0, -3])
def test_bad_count(count):
    with pytest.raises(ValueError, match="count"):
        lm_metrics(1.0, count)


@pytest.mark.parametrize("total", [-1.0, float("nan"), float("inf")])
def test_bad_total(total):
    with pytest.raises(ValueError, match="total_nll_nats"):
        lm_metrics(total, 3)


def test_sequence_nll_against_hand_computation():
    logits = np.array([[[0.0, math.log(3.0)], [math.log(2.0), 0.0]]])  # p = (1/4, 3/4), (2/3, 1/3)
    targets = np.array([[1, 0]])
    total, n = sequence_nll(logits, targets)
    assert n == 2
    assert total == pytest.approx(-math.log(0.75) - math.log(2 / 3))
    total, n = sequence_nll(logits, targets, mask=np.array([[True, False]]))
    assert (total, n) == (pytest.approx(-math.log(0.75)), 1)


def test_sequence_nll_shape_mismatch():
    with pytest.raises(ValueError, match="shape"):
        sequence_nll(np.zeros((2, 3, 4)), np.zeros((2, 2), int))
