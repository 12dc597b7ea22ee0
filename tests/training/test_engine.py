"""The training engine on one device: both loops, selection, budgets, TensorBoard, callbacks,
in-process resume from a checkpoint."""

import glob

import keras
import numpy as np
import pytest
import tensorflow as tf

from nlpkit.training import Budget, Selection, Trainer, set_seed, train

X = np.random.RandomState(0).randn(64, 4).astype("float32")
Y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype("int32")


def model():
    set_seed(0)
    m = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    m.compile(
        optimizer=keras.optimizers.Adam(0.02),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return m


def data(epoch):
    ds = tf.data.Dataset.from_tensor_slices((X, Y))
    if epoch is None:
        ds = ds.shuffle(64, seed=0, reshuffle_each_iteration=True)
    else:
        ds = ds.shuffle(64, seed=epoch, reshuffle_each_iteration=False)
    return ds.batch(16)


VAL = tf.data.Dataset.from_tensor_slices((X, Y)).batch(32)


class Counting(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = {}

    def _count(self, name):
        self.calls[name] = self.calls.get(name, 0) + 1

    def on_train_begin(self, logs=None):
        self._count("train_begin")

    def on_train_end(self, logs=None):
        self._count("train_end")

    def on_epoch_begin(self, epoch, logs=None):
        self._count("epoch_begin")

    def on_epoch_end(self, epoch, logs=None):
        self._count("epoch_end")
        assert "val_loss" in logs and "loss" in logs

    def on_train_batch_end(self, batch, logs=None):
        self._count("batch_end")


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_both_loops_train_and_call_user_callbacks(loop):
    m, cb = model(), Counting()
    result = Trainer(verbose=0, loop=loop).fit(
        m, data, epochs=4, validation=VAL, callbacks=[cb], monitor=None
    )
    assert result.loop == loop and result.epochs_run == 4 and result.steps == 16
    assert result.history["loss"][-1] < result.history["loss"][0]
    assert set(result.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert cb.calls == {
        "train_begin": 1,
        "epoch_begin": 4,
        "batch_end": 16,
        "epoch_end": 4,
        "train_end": 1,
    }
    # The custom loop's validation loss is the model's loss on the validation set.
    if loop == "custom":
        probs = m.predict(X, verbose=0)
        ce = -np.mean(np.log(probs[np.arange(64), Y]))
        assert result.history["val_loss"][-1] == pytest.approx(ce, rel=1e-4)


def test_custom_loop_matches_fit_step_for_step():
    """Same data order (a plain dataset, no shuffling), same model: same losses."""
    plain = tf.data.Dataset.from_tensor_slices((X, Y)).batch(16)
    r_fit = Trainer(verbose=0, loop="fit").fit(model(), plain, epochs=3, monitor=None)
    r_own = Trainer(verbose=0, loop="custom").fit(model(), plain, epochs=3, monitor=None)
    np.testing.assert_allclose(r_own.history["loss"], r_fit.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(r_own.history["accuracy"], r_fit.history["accuracy"], rtol=1e-5)


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_selection_restores_the_best_epoch_and_stops(loop):
    scores = iter([0.2, 0.9, 0.5, 0.4, 0.3, 0.1])
    snapshots = []

    class Snap(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots.append(self.model.get_weights())

    m = model()
    result = Trainer(verbose=0, loop=loop).fit(
        m,
        data,
        epochs=6,
        validation=VAL,
        monitor="val_f1",
        mode="max",
        patience=2,
        extra_validation=lambda: {"val_f1": next(scores)},
        callbacks=[Snap()],
    )
    assert result.history["val_f1"] == [0.2, 0.9, 0.5, 0.4]
    assert result.best_epoch == 2 and result.epochs_run == 4
    assert result.stop_reason == "early_stopping"
    for got, want in zip(m.get_weights(), snapshots[1], strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_max_steps_ends_mid_epoch_and_keeps_best_weights(loop):
    m = model()
    result = Trainer(verbose=0, loop=loop, max_steps=6).fit(
        m, data, epochs=10, validation=VAL, monitor="val_loss"
    )
    assert result.stop_reason == "max_steps"
    assert result.steps == 6 and result.epochs_run == 2  # 4 steps, then 2 of the second epoch
    best = int(np.argmin(result.history["val_loss"])) + 1
    assert result.best_epoch == best


def test_max_minutes_ends_training():
    result = Trainer(verbose=0, loop="custom", max_minutes=1e-6).fit(
        model(), data, epochs=50, monitor=None
    )
    assert result.stop_reason == "max_minutes" and result.steps == 1 and result.epochs_run == 1


def test_budget_counts_steps_from_before_a_resume():
    b = Budget(max_steps=10)
    b.steps_before = 8
    assert b.exceeded(1) is None and b.exceeded(2) == "max_steps"


def test_selection_rejects_bad_mode():
    with pytest.raises(ValueError, match="mode"):
        Selection("val_loss", "biggest")


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_log_dir_writes_tensorboard_scalars(tmp_path, loop):
    Trainer(verbose=0, loop=loop, log_dir=tmp_path).fit(
        model(), data, epochs=2, validation=VAL, monitor=None, batch_size=16
    )
    from tensorflow.core.util import event_pb2

    tags = {}
    for path in glob.glob(str(tmp_path / "train" / "events*")):
        for raw in tf.data.TFRecordDataset(path):
            event = event_pb2.Event.FromString(raw.numpy())
            for v in event.summary.value:
                value = tf.make_ndarray(v.tensor)
                tags.setdefault(v.tag, []).append(float(value))
    for tag in ("epoch/loss", "epoch/val_loss", "epoch/accuracy", "epoch/learning_rate"):
        assert len(tags[tag]) == 2, tag
    assert tags["epoch/learning_rate"] == pytest.approx([0.02, 0.02])
    # Written every 20 steps: 8 steps here, so none; the epoch scalars carry the rest.
    Trainer(verbose=0, loop=loop, log_dir=tmp_path / "b").fit(
        model(), lambda e: data(e).repeat(3), epochs=2, monitor=None, batch_size=16
    )
    speed = []
    for path in glob.glob(str(tmp_path / "b" / "train" / "events*")):
        for raw in tf.data.TFRecordDataset(path):
            event = event_pb2.Event.FromString(raw.numpy())
            speed += [
                float(tf.make_ndarray(v.tensor))
                for v in event.summary.value
                if v.tag == "examples_per_second"
            ]
    assert len(speed) == 1 and speed[0] > 0


class Crash(keras.callbacks.Callback):
    def __init__(self, at):
        super().__init__()
        self.at, self.n = at, 0

    def on_train_batch_end(self, batch, logs=None):
        self.n += 1
        if self.n == self.at:
            raise RuntimeError("simulated crash")


def test_checkpoint_resume_in_process_equals_uninterrupted(tmp_path):
    straight = model()
    r0 = Trainer(verbose=0, checkpoint_dir=tmp_path / "a", checkpoint_every=3).fit(
        straight, data, epochs=3, validation=VAL
    )
    # Crash at step 7 (3rd step of epoch 2); the last checkpoint is step 6 (epoch 2, step 2).
    with pytest.raises(RuntimeError, match="simulated"):
        Trainer(verbose=0, checkpoint_dir=tmp_path / "b", checkpoint_every=3).fit(
            model(), data, epochs=3, validation=VAL, callbacks=[Crash(7)]
        )
    resumed = model()
    r1 = Trainer(verbose=0, checkpoint_dir=tmp_path / "b", checkpoint_every=3).fit(
        resumed, data, epochs=3, validation=VAL
    )
    assert r1.resumed_at == (1, 2)
    assert r1.epochs_run == 3 and r1.steps == 12
    # Compiled metrics (accuracy) of the epoch the run resumed in count only the steps after
    # the resume; the loss, validation values and weights are exact.
    for key in ("loss", "val_loss", "val_accuracy"):
        assert r1.history[key] == r0.history[key], key
    for a, b in zip(straight.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    # A finished run is not repeated: the same call returns the same result and weights.
    again = model()
    r2 = Trainer(verbose=0, checkpoint_dir=tmp_path / "b").fit(again, data, epochs=3)
    assert r2.history == r1.history and r2.steps == 12
    for a, b in zip(straight.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_train_function_and_bad_settings():
    assert train(model(), data, epochs=1, verbose=0, loop="custom").epochs_run == 1
    with pytest.raises(ValueError, match="distribution"):
        Trainer(distribution="tpu")
    with pytest.raises(ValueError, match="loop"):
        Trainer(loop="fast")
    with pytest.raises(ValueError, match="max_steps"):
        Trainer(max_steps=0)


def test_custom_loop_traces_its_steps_once_for_every_batch_length():
    """Length-bucketed batches (a new padded length and a short last batch) share one trace of
    the train step and one of the test step, however many epochs run."""
    rng = np.random.RandomState(0)
    lengths = rng.randint(1, 12, size=40)
    seqs = [rng.randint(1, 20, size=n).astype("int32") for n in lengths]
    labels = np.array([int(s[0] > 10) for s in seqs], dtype="int32")

    def ragged(epoch=None):
        ds = tf.data.Dataset.from_generator(
            lambda: iter(zip(seqs, labels, strict=True)),
            output_signature=(
                tf.TensorSpec([None], tf.int32),
                tf.TensorSpec([], tf.int32),
            ),
        )
        return ds.padded_batch(6)  # 7 batches of padded lengths from 7 to 11, the last of 4

    shapes = {tuple(x.shape) for x, _ in ragged()}
    assert len(shapes) >= 3, shapes  # the data really varies in shape
    set_seed(0)
    m = keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            keras.layers.Embedding(20, 4, mask_zero=True),
            keras.layers.GRU(4),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    result = Trainer(verbose=0, loop="custom").fit(
        m, ragged, epochs=3, validation=ragged(), monitor=None
    )
    assert result.steps == 21 and len(result.history["val_loss"]) == 3
    assert result.traces == {"train": 1, "test": 1}
