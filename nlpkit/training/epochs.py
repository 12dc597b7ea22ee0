"""`auto_epochs`: how many epochs a small data set needs (`TextClassifier.fit(epochs=None)`)."""

from __future__ import annotations

__all__ = ["auto_epochs"]


def auto_epochs(
    n_examples: int, batch_size: int, *, min_steps: int = 300, low: int = 10, high: int = 100
) -> int:
    """Epochs for at least `min_steps` optimizer steps, clipped to `[low, high]`.

    Example:
        >>> auto_epochs(132, 32), auto_epochs(25_000, 32)
        (60, 10)
    """
    steps_per_epoch = max(1, -(-n_examples // batch_size))
    return int(min(high, max(low, -(-min_steps // steps_per_epoch))))
