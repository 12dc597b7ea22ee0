"""Timing helpers shared by the benchmark scripts (kept apart from `_results`, which has no Keras)."""

from __future__ import annotations

import time

import keras

__all__ = ["EpochTimer"]


class EpochTimer(keras.callbacks.Callback):
    """Seconds spent on the training batches of each epoch (validation excluded)."""

    def on_train_begin(self, logs=None):
        self.times = []
        self._t = None

    def on_epoch_begin(self, epoch, logs=None):
        self._t = time.perf_counter()

    def _stop(self):
        if self._t is not None:
            self.times.append(time.perf_counter() - self._t)
            self._t = None

    def on_test_begin(self, logs=None):
        self._stop()

    def on_epoch_end(self, epoch, logs=None):
        self._stop()
