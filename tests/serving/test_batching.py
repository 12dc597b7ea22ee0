"""`nlpkit.serving.batching.Batcher`: batches form while the model is busy, with a bounded
number of model calls of one signature at a time."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from nlpkit.serving.batching import Batcher


class SlowModel:
    """Doubles `x`; each call takes `seconds` and records how many calls overlap."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0

    def __call__(self, arrays):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(self.seconds)
        with self.lock:
            self.running -= 1
        return {"y": arrays["x"] * 2}


async def _staggered(batcher, n: int, gap_s: float):
    async def one(i):
        await asyncio.sleep(i * gap_s)
        return await batcher.submit({"x": np.array([i])})

    return await asyncio.gather(*(one(i) for i in range(n)))


@pytest.mark.parametrize("concurrent", [1, 2])
def test_requests_arriving_during_a_model_call_form_the_next_batch(concurrent):
    """11 requests 10 ms apart against a model call of 150 ms: the first runs alone after the
    1 ms window; the rest queue while it runs and go out together (one call at a time), or
    spread over two calls at a time with `max_concurrent_batches=2`."""
    model = SlowModel(0.15)
    with ThreadPoolExecutor(4) as pool:
        batcher = Batcher(
            model, pool, window_s=0.001, max_batch_size=64, max_concurrent_batches=concurrent
        )
        outs = asyncio.run(_staggered(batcher, 11, 0.01))
    assert [o["y"].tolist() for o in outs] == [[2 * i] for i in range(11)]
    assert model.most == concurrent
    assert batcher.stats.requests == 11 and batcher.stats.sizes[0] == 1
    if concurrent == 1:
        assert batcher.stats.sizes == [1, 10]
    else:  # the second call starts after its window; the rest wait for a free slot
        assert batcher.stats.batches <= 4 and batcher.stats.largest >= 5
    assert batcher.stats.run_seconds >= 0.15 * batcher.stats.batches * 0.9


def test_queue_longer_than_max_batch_size_runs_in_several_batches():
    model = SlowModel(0.05)
    with ThreadPoolExecutor(2) as pool:
        batcher = Batcher(model, pool, window_s=0.001, max_batch_size=4)
        outs = asyncio.run(_staggered(batcher, 10, 0.0))
    assert [o["y"].tolist() for o in outs] == [[2 * i] for i in range(10)]
    assert batcher.stats.sizes == [4, 4, 2] and model.most == 1


def test_a_failing_batch_fails_its_requests_and_the_queue_moves_on():
    calls = []

    def run(arrays):
        calls.append(arrays["x"].tolist())
        time.sleep(0.05)
        if 0 in arrays["x"]:
            raise ValueError("bad row")
        return {"y": arrays["x"]}

    async def main(batcher):
        first = asyncio.ensure_future(batcher.submit({"x": np.array([0])}))
        await asyncio.sleep(0.01)
        second = await batcher.submit({"x": np.array([1])})
        with pytest.raises(ValueError, match="bad row"):
            await first
        return second

    with ThreadPoolExecutor(2) as pool:
        batcher = Batcher(run, pool, window_s=0.001)
        assert asyncio.run(main(batcher))["y"].tolist() == [1]
    assert calls == [[0], [1]]
