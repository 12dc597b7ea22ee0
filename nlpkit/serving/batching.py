"""Server-side batching: concurrent requests to one signature run as one model call.

Like TensorFlow Serving's batching: the first request opens a window of `window_s` seconds; every
request that arrives for the same model and signature before the window closes, or until
`max_batch_size` rows are gathered, is stacked into one batch. The batch runs in a worker thread
(off the event loop) and each request gets its own rows back.

At most `max_concurrent_batches` batches of one signature run at a time (TF Serving's
`num_batch_threads`; 1 by default). Requests that arrive while they run wait in the queue, and go
out together as soon as a running batch finishes (they have already waited longer than the
window). So under load the batches grow by themselves, up to `max_batch_size`, instead of every
request running alone in its own thread: on two shared CPU cores, single-row sentiment calls
running several at a time took about three times as long each as one call alone, while one call
of 64 rows cost about the same as one of a single row (benchmarks/RESULTS.md, serve section).

Outputs with a padded second dimension (for example the NER model's tokens and entity spans, padded
to the longest sentence of the batch) are trimmed back to what the request alone would have
returned: trailing columns that hold only padding ('' for strings, -1 for numbers, e.g. the NER
model's entity confidences) in the request's rows are dropped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Batcher", "BatchStats", "trim_padding"]


def trim_padding(array: np.ndarray) -> np.ndarray:
    """Drop trailing columns (axis 1) that hold only padding: '' / b'' for strings, -1 for
    numbers (integers, and floats such as probabilities, which are never -1).

    Example:
        >>> trim_padding(np.array([[3, 5, -1], [1, -1, -1]])).tolist()
        [[3, 5], [1, -1]]
    """
    if array.ndim < 2 or array.shape[1] == 0:
        return array
    if array.dtype == object or array.dtype.kind in "SU":
        pad = np.vectorize(lambda v: v in (b"", ""), otypes=[bool])(array)
    elif array.dtype.kind in "iuf":
        pad = array == -1
    else:
        return array
    cols = pad.reshape(array.shape[0], array.shape[1], -1).all(axis=(0, 2))
    keep = array.shape[1]
    while keep > 0 and cols[keep - 1]:
        keep -= 1
    return array[:, :keep]


@dataclass
class BatchStats:
    """Counters for tests and benchmarks: batches run and rows per batch."""

    batches: int = 0
    rows: int = 0
    requests: int = 0
    largest: int = 0
    run_seconds: float = 0.0
    sizes: list[int] = field(default_factory=list)

    def record(self, n_requests: int, n_rows: int, seconds: float = 0.0) -> None:
        self.batches += 1
        self.requests += n_requests
        self.rows += n_rows
        self.largest = max(self.largest, n_requests)
        self.run_seconds += seconds
        if len(self.sizes) < 10_000:
            self.sizes.append(n_requests)


def _timed(run, arrays):
    start = time.perf_counter()
    out = run(arrays)
    return out, time.perf_counter() - start


@dataclass
class _Pending:
    arrays: dict[str, np.ndarray]
    rows: int
    future: asyncio.Future


class Batcher:
    """Gathers concurrent calls of one signature into batches.

    Args:
        run: The blocking model call, `dict[str, array] -> dict[str, array]`, rows along axis 0.
        executor: Where `run` executes (a thread pool), so the event loop stays free.
        window_s: How long the first request of a batch waits for others (seconds).
        max_batch_size: Rows per batch at most; a request larger than this runs alone.
        max_concurrent_batches: Batches of this signature running at once at most; requests
            arriving meanwhile queue and form the next batch.

    Example:
        >>> import asyncio, concurrent.futures
        >>> b = Batcher(lambda a: {"y": a["x"] * 2}, concurrent.futures.ThreadPoolExecutor(1),
        ...             window_s=0.01, max_batch_size=8)
        >>> async def main():
        ...     outs = await asyncio.gather(*(b.submit({"x": np.array([i])}) for i in range(3)))
        ...     return [o["y"].tolist() for o in outs]
        >>> asyncio.run(main())
        [[0], [2], [4]]
    """

    def __init__(
        self,
        run: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]],
        executor: Executor,
        *,
        window_s: float = 0.002,
        max_batch_size: int = 64,
        max_concurrent_batches: int = 1,
    ):
        self._run = run
        self._executor = executor
        self.window_s = float(window_s)
        self.max_batch_size = int(max_batch_size)
        self.max_concurrent_batches = max(1, int(max_concurrent_batches))
        self.stats = BatchStats()
        self._queue: list[_Pending] = []
        self._timer: asyncio.TimerHandle | None = None
        self._running = 0

    async def submit(self, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Queue one request's rows; return its outputs once its batch has run."""
        loop = asyncio.get_running_loop()
        rows = len(next(iter(arrays.values()))) if arrays else 0
        item = _Pending(arrays, rows, loop.create_future())
        self._queue.append(item)
        if self._running < self.max_concurrent_batches:
            # else the batch that finishes first sends the queue on (see `_execute`)
            if sum(p.rows for p in self._queue) >= self.max_batch_size:
                self._flush()
            elif self._timer is None:
                self._timer = loop.call_later(self.window_s, self._flush)
        return await item.future

    def _flush(self) -> None:
        """Start batches from the queue while fewer than `max_concurrent_batches` run."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._queue and self._running < self.max_concurrent_batches:
            batch, total = [], 0
            while self._queue and (not batch or total + self._queue[0].rows <= self.max_batch_size):
                item = self._queue.pop(0)
                batch.append(item)
                total += item.rows
            self._running += 1
            asyncio.ensure_future(self._execute(batch))

    async def _execute(self, batch: list[_Pending]) -> None:
        try:
            await self._run_batch(batch)
        finally:
            self._running -= 1
            if self._queue:  # these requests waited while the model was busy: no new window
                self._flush()

    async def _run_batch(self, batch: list[_Pending]) -> None:
        loop = asyncio.get_running_loop()
        keys = list(batch[0].arrays)
        merged = {k: np.concatenate([p.arrays[k] for p in batch]) for k in keys}
        try:
            outputs, seconds = await loop.run_in_executor(self._executor, _timed, self._run, merged)
        except Exception as e:  # each caller sees the model's error
            for p in batch:
                if not p.future.done():
                    p.future.set_exception(e)
            return
        self.stats.record(len(batch), sum(p.rows for p in batch), seconds)
        offset = 0
        for p in batch:
            part = {}
            for k, v in outputs.items():
                if v.ndim >= 1 and v.shape[0] == len(merged[keys[0]]):
                    piece = v[offset : offset + p.rows]
                    part[k] = trim_padding(piece) if len(batch) > 1 else piece
                else:
                    part[k] = v
            offset += p.rows
            if not p.future.done():
                p.future.set_result(part)
