"""`benchmarks._timing.alternating_epochs`: the speed table's fits take turns one epoch at a time."""

import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._timing import alternating_epochs  # noqa: E402


def _fake_fit(name, log, lock, fail_at=None):
    """A stand-in for `model.fit(epochs=e, callbacks=cb)` that records who runs when."""

    def fit(epochs, callbacks):
        with lock:
            log.append((name, "setup"))
        for cb in callbacks:
            cb.on_train_begin()
        for e in range(epochs):
            for cb in callbacks:
                cb.on_epoch_begin(e)
            with lock:
                log.append((name, e))
            if fail_at == e:
                raise ValueError("boom")
            for cb in callbacks:
                cb.on_epoch_end(e)
        with lock:
            log.append((name, "after"))

    return fit


def test_fits_take_turns_one_epoch_at_a_time():
    log, lock = [], threading.Lock()
    times = alternating_epochs(
        {"a": _fake_fit("a", log, lock), "b": _fake_fit("b", log, lock)}, epochs=3
    )
    assert log == [
        ("a", "setup"), ("a", 0),
        ("b", "setup"), ("b", 0),
        ("a", 1), ("b", 1),
        ("a", 2), ("a", "after"),
        ("b", 2), ("b", "after"),
    ]  # fmt: skip
    assert [len(t) for t in times.values()] == [3, 3]
    assert all(s >= 0 for t in times.values() for s in t)


def test_a_failing_fit_does_not_hang_the_other_and_is_reported():
    log, lock = [], threading.Lock()
    with pytest.raises(RuntimeError, match="'a' failed") as info:
        alternating_epochs(
            {"a": _fake_fit("a", log, lock, fail_at=1), "b": _fake_fit("b", log, lock)}, epochs=3
        )
    assert isinstance(info.value.__cause__, ValueError)
    assert log[-1] == ("b", "after")  # b ran to the end on its own


def test_cpu_seconds_are_counted_per_epoch_for_the_fit_that_works():
    import time

    def busy_fit(seconds):
        def fit(epochs, callbacks):
            for cb in callbacks:
                cb.on_train_begin()
            for e in range(epochs):
                for cb in callbacks:
                    cb.on_epoch_begin(e)
                end = time.process_time() + seconds
                while time.process_time() < end:  # CPU work, not sleep
                    pass
                for cb in callbacks:
                    cb.on_epoch_end(e)

        return fit

    times, cpu = alternating_epochs({"a": busy_fit(0.05), "b": busy_fit(0.2)}, epochs=2, cpu=True)
    assert [len(c) for c in cpu.values()] == [2, 2]
    assert all(0.04 <= c < 0.15 for c in cpu["a"])
    assert all(0.19 <= c < 0.4 for c in cpu["b"])
