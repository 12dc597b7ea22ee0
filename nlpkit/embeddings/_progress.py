"""A tiny progress line for long loops (tqdm is not a dependency; Keras is not imported here)."""

from __future__ import annotations

import sys
import time


class Progress:
    """Print ``label: done/total (pct) elapsed`` on one updating stderr line.

    Args:
        total: Number of steps (None when unknown).
        label: Text in front of the counter.
        verbose: 0 prints nothing; 1 prints the updating line.
        every: Minimum seconds between two refreshes.
    """

    def __init__(self, total: int | None, label: str = "", verbose: int = 1, every: float = 0.5):
        self.total = total
        self.label = label
        self.verbose = verbose
        self.every = every
        self.done = 0
        self.start = time.perf_counter()
        self._last = 0.0

    def update(self, n: int = 1, **values: float) -> None:
        self.done += n
        if not self.verbose:
            return
        now = time.perf_counter()
        if now - self._last < self.every and (self.total is None or self.done < self.total):
            return
        self._last = now
        self._print(values)

    def close(self, **values: float) -> None:
        if self.verbose:
            self._print(values)
            sys.stderr.write("\n")
            sys.stderr.flush()

    def _print(self, values: dict) -> None:
        elapsed = time.perf_counter() - self.start
        count = (
            f"{self.done}/{self.total} ({100 * self.done / self.total:.0f}%)"
            if self.total
            else f"{self.done}"
        )
        extra = "".join(f" - {k}: {v:.4g}" for k, v in values.items())
        sys.stderr.write(f"\r{self.label}: {count} - {elapsed:.1f}s{extra}")
        sys.stderr.flush()
