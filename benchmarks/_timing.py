"""Timing helpers shared by the benchmark scripts (kept apart from `_results`, which has no Keras)."""

from __future__ import annotations

import threading
import time

import keras

__all__ = ["EpochTimer", "alternating_epochs"]


class EpochTimer(keras.callbacks.Callback):
    """Seconds spent on the training batches of each epoch (validation excluded): wall-clock
    `times`, and `cpu`, the process's CPU seconds (all threads) over the same span."""

    def on_train_begin(self, logs=None):
        self.times = []
        self.cpu = []
        self._t = None

    def on_epoch_begin(self, epoch, logs=None):
        self._t = time.perf_counter()
        self._c = time.process_time()

    def _stop(self):
        if self._t is not None:
            self.times.append(time.perf_counter() - self._t)
            self.cpu.append(time.process_time() - self._c)
            self._t = None

    def on_test_begin(self, logs=None):
        self._stop()

    def on_epoch_end(self, epoch, logs=None):
        self._stop()


class _Turn(EpochTimer):
    """An `EpochTimer` that waits for its thread's turn before each epoch and hands the turn
    on after it (the clock starts once the turn is taken and stops before it is handed on)."""

    def __init__(self, baton: _Baton, name: str, epochs: int):
        super().__init__()
        self.baton, self.name, self.epochs = baton, name, epochs

    def on_epoch_begin(self, epoch, logs=None):
        if epoch > 0:  # the first epoch runs inside the turn taken before `fit` was called
            self.baton.take(self.name)
        super().on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        if epoch + 1 < self.epochs:  # after the last one, post-fit work still belongs to the turn
            self.baton.pass_on(self.name)


class _Baton:
    """One turn at a time, round robin over the names that have not finished."""

    def __init__(self, names: list[str]):
        self.order = list(names)
        self.done: set[str] = set()
        self.holder = self.order[0]
        self.cond = threading.Condition()

    def take(self, name: str) -> None:
        with self.cond:
            self.cond.wait_for(lambda: self.holder == name)

    def pass_on(self, name: str, finished: bool = False) -> None:
        with self.cond:
            if finished:
                self.done.add(name)
            left = [n for n in self.order if n not in self.done]
            if left:
                i = self.order.index(name)
                nxt = [self.order[(i + k) % len(self.order)] for k in range(1, len(self.order) + 1)]
                self.holder = next(n for n in nxt if n not in self.done)
            self.cond.notify_all()


def alternating_epochs(
    fits: dict, epochs: int, *, cpu: bool = False
) -> dict[str, list[float]] | tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Run several `fit_fn(epochs, callbacks)` calls taking turns one epoch at a time.

    Each fit runs in its own thread, but only one of them works at any moment: the first
    takes its set-up and first epoch, then the second its set-up and first epoch, then the
    first its second epoch, and so on. Timings of the same epoch index are thus taken
    seconds apart, so a machine whose load drifts (a shared CI box) affects both sides of a
    ratio alike. Returns the seconds of each epoch (training batches only) per name; with
    `cpu=True`, also the process CPU seconds of each epoch per name (only one fit works at a
    time, so they are that fit's, plus any background input threads of the others).
    """
    baton = _Baton(list(fits))
    errors: dict[str, BaseException] = {}

    timers = {name: _Turn(baton, name, epochs) for name in fits}

    def run(name, fit_fn):
        try:
            baton.take(name)
            fit_fn(epochs, [timers[name]])
        except BaseException as e:  # reported in the calling thread
            errors[name] = e
        finally:
            baton.pass_on(name, finished=True)

    threads = [threading.Thread(target=run, args=item, daemon=True) for item in fits.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        name, err = next(iter(errors.items()))
        raise RuntimeError(f"the timed fit {name!r} failed") from err
    times = {name: timer.times for name, timer in timers.items()}
    if cpu:
        return times, {name: timer.cpu for name, timer in timers.items()}
    return times
