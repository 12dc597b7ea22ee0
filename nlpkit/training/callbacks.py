"""The engine's own Keras callbacks, used by both loops (Keras `fit` and the strategy loop).

- `ExtraValidation` adds metrics computed in Python after each epoch (for example the tagger's
  validation entity F1) to the epoch logs, before any other callback sees them.
- `Selection` keeps the best epoch's weights by a monitored value, stops after `patience`
  epochs without improvement, and restores the best weights however training ends.
- `Budget` ends training cleanly after `max_steps` optimizer steps or `max_minutes`.
- `Scalars` writes TensorBoard scalars: loss, metrics, learning rate and examples per second.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

__all__ = ["ExtraValidation", "Selection", "Budget", "Scalars", "current_learning_rate"]


class ExtraValidation(keras.callbacks.Callback):
    """Put `fn()`'s metrics (a dict of floats) into each epoch's logs.

    Example:
        >>> cb = ExtraValidation(lambda: {"val_f1": 0.5})
        >>> logs = {}
        >>> cb.on_epoch_end(0, logs)
        >>> logs
        {'val_f1': 0.5}
    """

    def __init__(self, fn: Callable[[], dict[str, float]]):
        super().__init__()
        self.fn = fn

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs.update({k: float(v) for k, v in self.fn().items()})


class Selection(keras.callbacks.Callback):
    """Model selection: keep the best epoch by `monitor`, stop after `patience` without gain.

    Ties keep the earlier epoch. When training ends, for whatever reason (epoch cap, patience,
    budget, another callback), the best epoch's weights are restored. When `monitor` is absent
    from the logs (no validation data) it does nothing.

    Args:
        monitor: Log key, e.g. 'val_loss' or 'val_f1'.
        mode: 'min' or 'max'.
        patience: Epochs without improvement before stopping; None never stops.

    Example:
        >>> sel = Selection("val_loss", "min", patience=1)
        >>> sel.best = 0.4  # the best value so far (set by `on_epoch_end`)
        >>> sel.improved(0.3), sel.improved(0.4), sel.improved(0.5)
        (True, False, False)
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "min", patience: int | None = None):
        super().__init__()
        if mode not in ("min", "max"):
            raise ValueError(f"`mode` must be 'min' or 'max'. Received: mode={mode!r}")
        self.monitor, self.mode, self.patience = monitor, mode, patience
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch: int | None = None
        self.best_weights: list[np.ndarray] | None = None
        self.wait = 0
        self.stopped = False

    def improved(self, value: float) -> bool:
        return value < self.best if self.mode == "min" else value > self.best

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return
        value = float(value)
        if self.improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.patience is not None and self.wait >= self.patience:
                self.stopped = True
                self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)


class Budget(keras.callbacks.Callback):
    """End training cleanly after `max_steps` steps or `max_minutes` (checked after each step).

    The epoch in progress is cut short; validation, selection and the restoring of the best
    weights still happen. `reason` says which limit ended training (None if neither).

    Example:
        >>> b = Budget(max_steps=2)
        >>> b.steps_before = 1
        >>> b.exceeded(1)
        'max_steps'
    """

    def __init__(self, max_steps: int | None = None, max_minutes: float | None = None):
        super().__init__()
        self.max_steps, self.max_minutes = max_steps, max_minutes
        self.steps_before = 0  # steps done before this call (a resumed run)
        self.seconds_before = 0.0
        self.reason: str | None = None
        self._start = time.monotonic()
        self._steps = 0

    def elapsed(self) -> float:
        return self.seconds_before + time.monotonic() - self._start

    def exceeded(self, steps_now: int) -> str | None:
        if self.max_steps is not None and self.steps_before + steps_now >= self.max_steps:
            return "max_steps"
        if self.max_minutes is not None and self.elapsed() >= 60.0 * self.max_minutes:
            return "max_minutes"
        return None

    def on_train_begin(self, logs=None):
        self._start = time.monotonic()
        self._steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self._steps += 1
        reason = self.exceeded(self._steps)
        if reason is not None:
            self.reason = reason
            self.model.stop_training = True


def _scalar(tag: str, value: float, step: int) -> None:
    """`tf.summary.scalar` without needing the `tensorboard` package: the same summary op and
    the plugin metadata TensorBoard's scalar dashboard reads."""
    from tensorflow.core.framework import summary_pb2

    metadata = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars")
    )
    tf.summary.write(tag, tf.constant(float(value), tf.float32), step=step, metadata=metadata)


def current_learning_rate(optimizer) -> float | None:
    """The optimizer's learning rate at its current step (schedules evaluated)."""
    try:
        lr = optimizer.learning_rate
        if callable(lr) and not isinstance(lr, tf.Variable):
            lr = lr(optimizer.iterations)
        return float(np.asarray(keras.ops.convert_to_numpy(lr)))
    except Exception:  # an optimizer without a readable rate: log nothing
        return None


class Scalars(keras.callbacks.Callback):
    """TensorBoard scalars under `log_dir/train`: per-step loss, learning rate, examples/s
    (every `every` steps) and every epoch-log value (loss, metrics, validation metrics).

    Args:
        log_dir: TensorBoard folder.
        batch_size: Global examples per step (for examples/s).
        every: Steps between step-level writes.
        enabled: False on non-chief workers (they write nothing).
    """

    def __init__(self, log_dir, batch_size: int, every: int = 20, enabled: bool = True):
        super().__init__()
        self.log_dir, self.batch_size, self.every, self.enabled = (
            log_dir,
            batch_size,
            every,
            enabled,
        )
        self.step = 0
        self._writer = None

    def on_train_begin(self, logs=None):
        if self.enabled and self._writer is None:
            self._writer = tf.summary.create_file_writer(str(self.log_dir) + "/train")
        self._t, self._n = time.monotonic(), 0

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        self._n += 1
        if not self.enabled or self.step % self.every:
            return
        now = time.monotonic()
        with self._writer.as_default(step=self.step):
            if logs and "loss" in logs:
                _scalar("batch/loss", float(logs["loss"]), self.step)
            lr = current_learning_rate(self.model.optimizer)
            if lr is not None:
                _scalar("learning_rate", lr, self.step)
            rate = self._n * self.batch_size / max(now - self._t, 1e-9)
            _scalar("examples_per_second", rate, self.step)
        self._t, self._n = now, 0

    def on_epoch_end(self, epoch, logs=None):
        if not self.enabled:
            return
        with self._writer.as_default(step=epoch + 1):
            for k, v in (logs or {}).items():
                try:
                    value = float(v)
                except (TypeError, ValueError):
                    continue
                _scalar(f"epoch/{k}", value, epoch + 1)
            lr = current_learning_rate(self.model.optimizer)
            if lr is not None:
                _scalar("epoch/learning_rate", lr, epoch + 1)
        self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.flush()
