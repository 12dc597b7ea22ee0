"""Checkpoint averaging: end training with the average of the last epochs' weights.

Averaging the parameters of the last few checkpoints of one run (Vaswani et al. 2017, who
average the last 5-20 checkpoints; Izmailov et al. 2018, stochastic weight averaging) gives a
model in a flatter region of the loss than any single checkpoint, at no training cost.

`AverageLastEpochs(k)` is a plain Keras callback: pass it to any pipeline's `fit(callbacks=...)`.

Example:
    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> avg = AverageLastEpochs(2)
    >>> _ = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=3, verbose=0, callbacks=[avg])
    >>> avg.averaged_epochs
    [2, 3]
"""

from __future__ import annotations

from collections import deque

import keras
import numpy as np

from nlpkit.utils.validation import check_choice, check_int

__all__ = ["AverageLastEpochs"]


class AverageLastEpochs(keras.callbacks.Callback):
    """Set the model's weights, when training ends, to the average of `k` epochs' weights.

    Without `monitor`: the last `k` epochs (fewer if training ran fewer). With `monitor` (a
    value in the epoch logs, e.g. an `EntityTagger`'s `val_f1`): the `k` epochs ending at the
    epoch where it was best, so that averaging composes with model selection; the average
    replaces the weights another callback may have restored (put this callback after it).
    Floating-point weights are averaged; others (counters, seeds) keep their last value.

    Args:
        k: Epochs averaged (1 keeps the chosen epoch's weights as they are).
        monitor: Log key that chooses the epoch; None: the last epoch.
        mode: 'max' or 'min': which values of `monitor` are better.

    Attributes:
        averaged_epochs: The 1-based epochs averaged, after training.
    """

    def __init__(self, k: int = 3, *, monitor: str | None = None, mode: str = "max"):
        super().__init__()
        self.k = check_int("k", k, 1)
        self.monitor = monitor
        self.mode = check_choice("mode", mode, ("max", "min"))
        self.averaged_epochs: list[int] = []

    def on_train_begin(self, logs=None):
        self._window: deque = deque(maxlen=self.k)
        self._best_value = None
        self._best_average = None
        self._best_epochs: list[int] = []

    def on_epoch_end(self, epoch, logs=None):
        self._window.append((epoch + 1, [np.array(w) for w in self.model.get_weights()]))
        if self.monitor is None:
            return
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise ValueError(
                f"`monitor` {self.monitor!r} is not in the epoch logs. "
                f"Received logs with keys: {sorted(logs or {})}"
            )
        better = (
            self._best_value is None
            or (self.mode == "max" and value > self._best_value)
            or (self.mode == "min" and value < self._best_value)
        )
        if better:
            self._best_value = float(value)
            self._best_average = self._average()
            self._best_epochs = [e for e, _ in self._window]

    def _average(self) -> list[np.ndarray]:
        snapshots = [w for _, w in self._window]
        out = []
        for values in zip(*snapshots, strict=True):
            if np.issubdtype(values[-1].dtype, np.floating):
                mean = np.mean(np.stack(values).astype(np.float64), axis=0)
                out.append(mean.astype(values[-1].dtype))
            else:
                out.append(values[-1])
        return out

    def on_train_end(self, logs=None):
        if self.monitor is not None and self._best_average is not None:
            weights, self.averaged_epochs = self._best_average, self._best_epochs
        elif self._window:
            weights, self.averaged_epochs = self._average(), [e for e, _ in self._window]
        else:
            return
        self.model.set_weights(weights)
        self._window.clear()
        self._best_average = None
