import keras
import numpy as np
import pytest

from nlpkit.utils.weight_averaging import AverageLastEpochs


class _Record(keras.callbacks.Callback):
    def __init__(self, values=None):
        super().__init__()
        self.weights_at, self.values = {}, values

    def on_epoch_end(self, epoch, logs=None):
        self.weights_at[epoch + 1] = [w.copy() for w in self.model.get_weights()]
        if self.values is not None:
            logs["score"] = self.values[epoch]


def _fit(callbacks, epochs=5):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 1))
    model.fit(x, y, epochs=epochs, batch_size=4, verbose=0, callbacks=callbacks)
    return model


def test_last_k_epochs_are_averaged():
    record, avg = _Record(), AverageLastEpochs(3)
    model = _fit([record, avg])
    assert avg.averaged_epochs == [3, 4, 5]
    for i, got in enumerate(model.get_weights()):
        want = np.mean([record.weights_at[e][i] for e in (3, 4, 5)], axis=0)
        np.testing.assert_allclose(got, want, rtol=1e-6)
    # fewer epochs than k: all of them
    avg = AverageLastEpochs(4)
    _fit([avg], epochs=2)
    assert avg.averaged_epochs == [1, 2]


@pytest.mark.parametrize("mode,best", [("max", 3), ("min", 2)])
def test_monitor_picks_the_window_ending_at_the_best_epoch(mode, best):
    record = _Record(values=[0.1, 0.0, 0.9, 0.5, 0.2])
    avg = AverageLastEpochs(2, monitor="score", mode=mode)
    model = _fit([record, avg])
    assert avg.averaged_epochs == [best - 1, best]
    for i, got in enumerate(model.get_weights()):
        want = np.mean([record.weights_at[e][i] for e in (best - 1, best)], axis=0)
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_bad_arguments_and_missing_monitor():
    with pytest.raises(ValueError, match="`k` must be >= 1"):
        AverageLastEpochs(0)
    with pytest.raises(ValueError, match="`mode` must be one of 'max', 'min'"):
        AverageLastEpochs(2, mode="best")
    with pytest.raises(ValueError, match="`monitor` 'val_f1' is not in the epoch logs"):
        _fit([AverageLastEpochs(2, monitor="val_f1")], epochs=1)
