"""The metrics of `nlpkit.MusicGenerator` from summed counts (`music_metrics`).

Kept apart from the pipeline so that `MusicGenerator.evaluate` and `nlpkit evaluate` on an
exported model (its `score` signature) report the same figures from the same sums.
"""

from __future__ import annotations

from nlpkit.metrics.language_model import lm_metrics

__all__ = ["music_metrics"]


def music_metrics(
    representation: str,
    total_nll: float,
    steps: int,
    pieces: int,
    correct: int | None = None,
) -> dict[str, float]:
    """The metrics of `MusicGenerator.evaluate` from summed counts, so that the pipeline and
    `nlpkit evaluate` on an export (its `score` signature) report the same figures.

    Args:
        representation: `"tokens"` or `"piano_roll"`.
        total_nll: Summed negative log-likelihood (nats) over every predicted step: for tokens
            each event and the closing `<end>` of each piece; for piano roll each step's 88 keys.
        steps: Predicted steps the sum runs over (tokens: events + one `<end>` per piece).
        pieces: Pieces scored.
        correct: Tokens only: predicted steps whose most likely event is the true one.

    Returns:
        Tokens: `nll_per_step`, `nll_per_event`, `bits_per_step`, `perplexity`, `accuracy`,
        `steps`, `events`. Piano roll: `nll_per_step`, `bits_per_step`, `steps`.

    Example:
        >>> m = music_metrics("tokens", total_nll=12.0, steps=6, pieces=1, correct=3)
        >>> m["nll_per_step"], m["nll_per_event"], m["accuracy"], m["events"]
        (2.0, 2.4, 0.5, 5.0)
    """
    m = lm_metrics(total_nll, steps)
    if representation == "tokens":
        events = steps - pieces
        return {
            "nll_per_step": m["nll"],
            "nll_per_event": total_nll / max(events, 1),
            "bits_per_step": m["bits_per_unit"],
            "perplexity": m["perplexity"],
            "accuracy": (correct or 0) / steps,
            "steps": float(steps),
            "events": float(events),
        }
    return {
        "nll_per_step": m["nll"],
        "bits_per_step": m["bits_per_unit"],
        "steps": float(steps),
    }
