"""Language-model metrics: cross-entropy per unit (nats), bits per unit and perplexity.

Every nlpkit language model (characters, musical events, ...) reports its quality from the same
two numbers: the summed negative log-likelihood in nats over a data set and the number of units
(characters, events) it was summed over. Keeping the sums rather than averaging per batch makes
the result independent of batch size and padding.

Bits per unit is the cross-entropy in base 2 (nats / ln 2); perplexity is `exp(nats per unit)`
(equivalently `2 ** bits per unit`).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["lm_metrics", "nats_to_bits", "sequence_nll"]

_LN2 = math.log(2.0)


def nats_to_bits(nats: float) -> float:
    """Convert a cross-entropy in nats to bits (divide by ln 2).

    Example:
        >>> round(nats_to_bits(math.log(4.0)), 6)
        2.0
    """
    return float(nats) / _LN2


def lm_metrics(total_nll_nats: float, count: int) -> dict[str, float]:
    """Per-unit language-model metrics from a summed negative log-likelihood.

    Args:
        total_nll_nats: Sum over all predicted units of `-log p(unit | context)`, natural log.
        count: Number of units the sum runs over (characters, events; > 0).

    Returns:
        `{"nll": nats per unit, "bits_per_unit": bits per unit, "perplexity": exp(nats per unit)}`.
        Perplexity is `inf` when it would overflow a float.

    Raises:
        ValueError: `count` is not positive, or `total_nll_nats` is negative or not finite.

    Example:
        >>> m = lm_metrics(total_nll_nats=10 * math.log(4.0), count=10)  # uniform over 4 symbols
        >>> round(m["bits_per_unit"], 6), round(m["perplexity"], 6)
        (2.0, 4.0)
    """
    count = int(count)
    if count <= 0:
        raise ValueError(
            f"`count` must be > 0 (the number of predicted units). Received: count={count}"
        )
    total = float(total_nll_nats)
    if not math.isfinite(total) or total < -1e-6 * count:
        raise ValueError(
            "`total_nll_nats` must be a finite, non-negative sum of negative log-likelihoods. "
            f"Received: total_nll_nats={total_nll_nats!r}"
        )
    nll = max(total, 0.0) / count
    try:
        ppl = math.exp(nll)
    except OverflowError:
        ppl = math.inf
    return {"nll": nll, "bits_per_unit": nll / _LN2, "perplexity": ppl}


def sequence_nll(logits, targets, mask=None) -> tuple[float, int]:
    """Summed negative log-likelihood (nats) of `targets` under `logits`, and the unit count.

    A NumPy reference implementation (log-softmax, gather, masked sum), handy for tests and for
    models that produce logits outside a graph.

    Args:
        logits: `(..., vocab)` unnormalised scores.
        targets: Integer ids with the shape of `logits` minus its last axis.
        mask: Optional boolean/0-1 array with the shape of `targets`; False entries are skipped.

    Returns:
        `(total_nll_nats, count)`, ready for `lm_metrics`.

    Raises:
        ValueError: the shapes do not match.

    Example:
        >>> total, n = sequence_nll(np.zeros((1, 3, 4)), np.array([[0, 1, 2]]))
        >>> round(total / n, 6) == round(math.log(4.0), 6)
        True
    """
    logits = np.asarray(logits, dtype=np.float64)
    targets = np.asarray(targets)
    if logits.shape[:-1] != targets.shape:
        raise ValueError(
            "`targets` must have the shape of `logits` without its last axis. "
            f"Received: logits.shape={logits.shape}, targets.shape={targets.shape}"
        )
    mask = np.ones(targets.shape, bool) if mask is None else np.asarray(mask).astype(bool)
    if mask.shape != targets.shape:
        raise ValueError(
            f"`mask` must have the shape of `targets`. Received: mask.shape={mask.shape}, "
            f"targets.shape={targets.shape}"
        )
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_z = np.log(np.exp(shifted).sum(axis=-1))
    safe_targets = np.where(mask, targets, 0).astype(np.int64)
    picked = np.take_along_axis(shifted, safe_targets[..., None], axis=-1)[..., 0]
    nll = (log_z - picked)[mask]
    return float(nll.sum()), int(mask.sum())
