"""The one training engine behind every pipeline's `fit`.

On one device without a strategy, `Trainer.fit` calls Keras `Model.fit`. Under a
`tf.distribute` strategy, or when a checkpoint folder is set, it runs its own loop: a train step
under `strategy.run` using the same Keras model, loss (`model.compute_loss`), optimizer and
compiled metrics, with what users get from `fit` (progress bar, per-epoch validation, Keras
callbacks' `on_train_*`/`on_epoch_*`/`on_train_batch_*`, history), because Keras 3's `fit` fails
under `MultiWorkerMirroredStrategy` (keras-team/keras#20585).

Both loops share the engine's callbacks (`nlpkit.training.callbacks`): model selection with
best-weight restoration on any monitored value (the tagger selects on validation entity F1),
step and time budgets, and TensorBoard scalars. The strategy loop also saves and resumes
checkpoints (`tf.train.CheckpointManager`): model, optimizer, epoch and step counters, the
position in the epoch's data, the selection state and best weights, the history.

Training data is a `tf.data.Dataset`, or a function `epoch -> tf.data.Dataset` whose order
depends only on the epoch (needed to resume exactly mid-epoch); Keras `fit` calls it once with
`epoch=None` and then expects a dataset that reshuffles on each iteration.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from nlpkit.training.callbacks import Budget, ExtraValidation, Scalars, Selection
from nlpkit.training.distribute import check_distribution, cluster_info, resolve_strategy

__all__ = ["Trainer", "TrainingResult", "train", "check_training_settings"]

Data = tf.data.Dataset | Callable[[int | None], tf.data.Dataset]


@dataclass
class TrainingResult:
    """What a training run did.

    Attributes:
        history: `{log key: [value per epoch]}` (loss, metrics, `val_*`), JSON-safe.
        epochs_run: Epochs trained, counting any before a resume.
        best_epoch: 1-based epoch whose weights were restored by selection, or None.
        stop_reason: 'epochs', 'early_stopping', 'max_steps', 'max_minutes' or 'callback'.
        steps: Optimizer steps, counting any before a resume.
        loop: 'fit' (Keras `Model.fit`) or 'custom' (the strategy loop).
        resumed_at: `(epoch, step in epoch)` the run resumed from, or None.
        traces: The custom loop's `{"train": n, "test": n}`: how many times its step functions
            were traced (1 each: every batch shape, bucketed lengths included, shares one
            trace); None for Keras `fit`.
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    epochs_run: int = 0
    best_epoch: int | None = None
    stop_reason: str = "epochs"
    steps: int = 0
    loop: str = "fit"
    resumed_at: tuple[int, int] | None = None
    traces: dict[str, int] | None = None

    @property
    def epoch(self) -> list[int]:
        """Epoch indices run (as Keras's `History.epoch`)."""
        return list(range(self.epochs_run))


def check_training_settings(
    *,
    distribution: Any = None,
    checkpoint_dir: Any = None,
    checkpoint_every: int = 100,
    max_minutes: float | None = None,
    max_steps: int | None = None,
    log_dir: Any = None,
) -> dict[str, Any]:
    """Validate the engine settings that pipeline constructors store (creates nothing).

    Example:
        >>> check_training_settings(max_steps=10)["max_steps"]
        10
    """
    from nlpkit.utils.validation import check_float, check_int

    for name, value in (("checkpoint_dir", checkpoint_dir), ("log_dir", log_dir)):
        if value is not None and not isinstance(value, (str, os.PathLike)):
            raise TypeError(
                f"`{name}` must be None or a folder path. Received: {type(value).__name__}"
            )
    return {
        "distribution": check_distribution(distribution),
        "checkpoint_dir": None if checkpoint_dir is None else os.fspath(checkpoint_dir),
        "checkpoint_every": check_int("checkpoint_every", checkpoint_every, 1),
        "max_minutes": check_float(
            "max_minutes", max_minutes, 0.0, low_inclusive=False, allow_none=True
        ),
        "max_steps": check_int("max_steps", max_steps, 1, allow_none=True),
        "log_dir": None if log_dir is None else os.fspath(log_dir),
    }


def _float(value) -> float:
    return float(np.asarray(keras.ops.convert_to_numpy(value)))


class Trainer:
    """Trains a compiled Keras model with Keras `fit` or, under a strategy, its own loop.

    Args:
        distribution: None (Keras `fit` on one device), 'mirrored', 'multi_worker' (from
            `TF_CONFIG`) or a `tf.distribute.Strategy`; see `nlpkit.training.distribute`.
        checkpoint_dir: Folder for resumable checkpoints (uses the strategy loop). Running the
            same training again with the same folder resumes where the last checkpoint left off;
            a finished run is not repeated (delete the folder to train again).
        checkpoint_every: Steps between checkpoints (one is also written at every epoch end).
        max_minutes: Training time budget (summed over resumes); training ends cleanly.
        max_steps: Optimizer step budget (summed over resumes); training ends cleanly.
        log_dir: TensorBoard folder for scalars (loss, metrics, learning rate, examples/s).
        verbose: Keras verbosity: 'auto' or 1 (progress bar), 2 (a line per epoch), 0.
        loop: 'auto' (Keras `fit` unless a strategy or checkpoint folder is set), 'fit' or
            'custom'.

    Example:
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> ds = tf.data.Dataset.from_tensor_slices((np.ones((4, 2)), np.ones((4, 1)))).batch(2)
        >>> result = Trainer(verbose=0, loop="custom").fit(model, ds, epochs=2)
        >>> result.epochs_run, len(result.history["loss"])
        (2, 2)
    """

    def __init__(
        self,
        *,
        distribution: Any = None,
        checkpoint_dir: str | os.PathLike | None = None,
        checkpoint_every: int = 100,
        max_minutes: float | None = None,
        max_steps: int | None = None,
        log_dir: str | os.PathLike | None = None,
        verbose: int | str = "auto",
        loop: str = "auto",
    ):
        settings = check_training_settings(
            distribution=distribution,
            checkpoint_dir=checkpoint_dir,
            checkpoint_every=checkpoint_every,
            max_minutes=max_minutes,
            max_steps=max_steps,
            log_dir=log_dir,
        )
        self.__dict__.update(settings)
        if loop not in ("auto", "fit", "custom"):
            raise ValueError(f"`loop` must be 'auto', 'fit' or 'custom'. Received: loop={loop!r}")
        self.verbose = verbose
        self.loop = loop
        self._strategy = None
        self._resolved = False

    @classmethod
    def from_pipeline(cls, pipeline, **overrides) -> Trainer:
        """A trainer with the engine settings a pipeline's constructor stored."""
        kwargs = {
            name: getattr(pipeline, name)
            for name in (
                "distribution",
                "checkpoint_dir",
                "checkpoint_every",
                "max_minutes",
                "max_steps",
                "log_dir",
                "verbose",
            )
            if hasattr(pipeline, name)
        }
        kwargs.update(overrides)
        return cls(**kwargs)

    # ------------------------------------------------------------------ strategy
    @property
    def strategy(self) -> tf.distribute.Strategy | None:
        """The strategy in use (created on first use), or None for one device."""
        if not self._resolved:
            self._strategy = resolve_strategy(self.distribution)
            self._resolved = True
        return self._strategy

    @property
    def uses_custom_loop(self) -> bool:
        if self.loop != "auto":
            return self.loop == "custom"
        return self.strategy is not None or self.checkpoint_dir is not None

    @property
    def num_replicas(self) -> int:
        return 1 if self.strategy is None else int(self.strategy.num_replicas_in_sync)

    def scope(self):
        """Context in which the pipeline builds and compiles its model (the strategy's scope)."""
        return self.strategy.scope() if self.strategy is not None else contextlib.nullcontext()

    def distribute_options(self, dataset: tf.data.Dataset) -> tf.data.Dataset:
        """Shard by example across workers (every worker sees the same number of steps),
        unless the dataset already chose its sharding (streamed files sharded per worker set
        the policy to OFF; see `nlpkit.data.streaming.files_dataset`)."""
        policy = dataset.options().experimental_distribute.auto_shard_policy
        if policy == tf.data.experimental.AutoShardPolicy.OFF:
            return dataset
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = (
            tf.data.experimental.AutoShardPolicy.DATA
        )
        return dataset.with_options(options)

    # ------------------------------------------------------------------ training
    def fit(
        self,
        model: keras.Model,
        data: Data,
        *,
        epochs: int,
        validation: tf.data.Dataset | None = None,
        callbacks: Sequence[keras.callbacks.Callback] | None = None,
        monitor: str | None = "val_loss",
        mode: str = "min",
        patience: int | None = None,
        extra_validation: Callable[[], dict[str, float]] | None = None,
        batch_size: int = 32,
    ) -> TrainingResult:
        """Train `model` (compiled) on `data` for up to `epochs` epochs.

        Args:
            model: A compiled Keras model, built in `self.scope()`.
            data: A dataset of `(x, y)` batches, or a function `epoch -> dataset` (see the
                module docstring).
            epochs: Planned epochs (a resumed run ends with this many in all).
            validation: Dataset of `(x, y)` batches evaluated after each epoch (`val_*` logs).
            callbacks: User Keras callbacks.
            monitor, mode, patience: Model selection: the best epoch by `monitor` is restored
                at the end, and training stops after `patience` epochs without improvement
                (None: never). Needs the monitored value in the logs (validation data);
                `monitor=None` turns selection off.
            extra_validation: Called after each epoch's validation; its dict (e.g.
                `{"val_f1": 0.8}`) joins the logs before any callback sees them.
            batch_size: Global examples per step (for the examples/s scalar).

        Returns:
            A `TrainingResult`.
        """
        selection = Selection(monitor or "", mode, patience)
        budget = Budget(self.max_steps, self.max_minutes)
        own: list[keras.callbacks.Callback] = []
        if extra_validation is not None:
            own.append(ExtraValidation(extra_validation))
        own += [selection, budget]
        if self.log_dir is not None:
            enabled = cluster_info()["is_chief"] if self.distribution == "multi_worker" else True
            own.append(Scalars(self.log_dir, batch_size, enabled=enabled))
        cbs = own + list(callbacks or [])
        if not self.uses_custom_loop:
            train_ds = data(None) if callable(data) else data
            hist = model.fit(
                train_ds,
                validation_data=validation,
                epochs=epochs,
                callbacks=cbs,
                verbose=self.verbose,
                shuffle=False,
            )
            history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
            return TrainingResult(
                history=history,
                epochs_run=len(hist.epoch),
                best_epoch=None if selection.best_epoch is None else selection.best_epoch + 1,
                stop_reason=_reason(budget, selection, model, len(hist.epoch), epochs),
                steps=budget._steps,
                loop="fit",
            )
        return _CustomLoop(self, model, selection, budget, cbs).run(data, validation, epochs)


def _reason(budget: Budget, selection: Selection, model, epochs_run: int, epochs: int) -> str:
    if budget.reason:
        return budget.reason
    if selection.stopped:
        return "early_stopping"
    if epochs_run < epochs:
        return "callback"
    return "epochs"


class _CustomLoop:
    """The strategy loop (see the module docstring). One instance per `Trainer.fit` call."""

    def __init__(self, trainer: Trainer, model, selection: Selection, budget: Budget, cbs):
        self.trainer, self.model = trainer, model
        self.selection, self.budget, self.cbs = selection, budget, cbs
        self.strategy = trainer.strategy or tf.distribute.get_strategy()
        self.multi_worker = isinstance(self.strategy, tf.distribute.MultiWorkerMirroredStrategy)
        self.info = cluster_info() if self.multi_worker else {"is_chief": True, "index": 0}
        self.traces = {"train": 0, "test": 0}  # times each step function was traced

    # ------------------------------------------------------------------ steps
    def _make_steps(self, element_spec):
        model, strategy = self.model, self.strategy
        from nlpkit.utils.replicas import unscale_loss_for_replicas

        def batch_size_of(x):
            return tf.cast(tf.shape(tf.nest.flatten(x)[0])[0], tf.float64)

        multi_worker = self.multi_worker

        def replica_train_uneven(batch):
            # Workers whose input ran out before their peers' (streamed files sharded by file,
            # length buckets) receive empty batches from TensorFlow; a recurrent model cannot
            # run on zero time steps, so such a replica contributes zero gradients without
            # calling the model, and still joins the gradient all-reduce.
            x, y, sw = keras.utils.unpack_x_y_sample_weight(batch)
            n = batch_size_of(x)
            weights = model.trainable_weights

            def forward():
                with tf.GradientTape() as tape:
                    y_pred = model(x, training=True)
                    loss = model._compute_loss(
                        x=x, y=y, y_pred=y_pred, sample_weight=sw, training=True
                    )
                    scaled = model.optimizer.scale_loss(loss)
                grads = tape.gradient(scaled, weights)
                model.compute_metrics(x, y, y_pred, sample_weight=sw)
                dense = [
                    tf.zeros_like(w) if g is None else tf.convert_to_tensor(g)
                    for g, w in zip(grads, weights, strict=True)
                ]
                return [tf.cast(unscale_loss_for_replicas(loss), tf.float64), *dense]

            def empty():
                return [tf.constant(0.0, tf.float64), *[tf.zeros_like(w) for w in weights]]

            loss, *grads = tf.cond(n > 0, forward, empty)
            model.optimizer.apply_gradients(zip(grads, weights, strict=True))
            return loss * n, n

        def replica_train(batch):
            if multi_worker:
                return replica_train_uneven(batch)
            x, y, sw = keras.utils.unpack_x_y_sample_weight(batch)
            with tf.GradientTape() as tape:
                y_pred = model(x, training=True)
                loss = model._compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sw, training=True)
                scaled = model.optimizer.scale_loss(loss)
            grads = tape.gradient(scaled, model.trainable_weights)
            model.optimizer.apply_gradients(zip(grads, model.trainable_weights, strict=True))
            model.compute_metrics(x, y, y_pred, sample_weight=sw)
            n = batch_size_of(x)
            return tf.cast(unscale_loss_for_replicas(loss), tf.float64) * n, n

        def replica_test(batch):
            x, y, sw = keras.utils.unpack_x_y_sample_weight(batch)
            n = batch_size_of(x)

            def forward():
                y_pred = model(x, training=False)
                loss = model._compute_loss(
                    x=x, y=y, y_pred=y_pred, sample_weight=sw, training=False
                )
                model.compute_metrics(x, y, y_pred, sample_weight=sw)
                return tf.cast(unscale_loss_for_replicas(loss), tf.float64)

            if multi_worker:  # an empty batch (uneven input) is skipped, as in training
                loss = tf.cond(n > 0, forward, lambda: tf.constant(0.0, tf.float64))
            else:
                loss = forward()
            return loss * n, n

        def reduced(fn, name):
            # As Keras `fit` does, the step takes the iterator and reads the next batch in the
            # graph: the function is traced once for every batch shape (the iterator's element
            # spec has unknown batch and length dimensions; bucketed batches no longer retrace)
            # and no batch is converted from Python per step. At the end of the data the step
            # returns n = -1 (under multi-worker, once every worker's input is exhausted; a
            # worker that ran out earlier gets empty batches, handled by the replica function).
            sum_ = tf.distribute.ReduceOp.SUM

            def step(iterator):
                self.traces[name] += 1  # a Python side effect: runs once per trace
                optional = iterator.get_next_as_optional()

                def run():
                    total, n = strategy.run(fn, args=(optional.get_value(),))
                    total = strategy.reduce(sum_, total, axis=None)
                    return tf.stack([total, strategy.reduce(sum_, n, axis=None)])

                def end():
                    return tf.constant([0.0, -1.0], tf.float64)

                return tf.cond(optional.has_value(), run, end)

            return tf.function(step, reduce_retracing=True)

        return reduced(replica_train, "train"), reduced(replica_test, "test")

    def _host_input(self) -> bool:
        """True when the strategy's one replica runs on this host's CPU (OneDeviceStrategy on
        the CPU, a one-device MirroredStrategy, the default strategy): batches are then read
        from the dataset itself, as Keras `fit` does on one device. A distributed dataset would
        only add a per-step device prefetch and partial-batch check for a replica that reads
        host memory (measured once on a small model: 2.2 against 1.5 ms of CPU a step)."""
        if self.multi_worker or self.strategy.num_replicas_in_sync != 1:
            return False
        try:
            devices = self.strategy.extended.worker_devices
        except RuntimeError:  # the default strategy
            return True
        return all(tf.DeviceSpec.from_string(d).device_type == "CPU" for d in devices)

    def _distribute(self, dataset: tf.data.Dataset):
        dataset = self.trainer.distribute_options(dataset)
        if self._host_input():
            return dataset
        return self.strategy.experimental_distribute_dataset(dataset)

    def _evaluate(self, validation, test_step) -> dict[str, float]:
        self.model.reset_metrics()
        total = count = 0.0
        iterator = iter(self._distribute(validation))
        while True:
            t, n = test_step(iterator).numpy()
            if n < 0:
                break
            total += t
            count += n
        logs = self._metrics()
        logs["loss"] = total / max(count, 1.0)
        return {f"val_{k}": v for k, v in logs.items()}

    def _metrics(self) -> dict[str, float]:
        out = {}
        for k, v in self.model.get_metrics_result().items():
            if k == "loss":
                continue
            try:
                out[k] = _float(v)
            except (TypeError, ValueError):
                continue
        return out

    # ------------------------------------------------------------------ checkpoint state
    def _setup_checkpoint(self, element_spec):
        model = self.model
        with self.strategy.scope():
            # As Keras `fit` does: create the compiled metrics' and loss's state (and the
            # optimizer's) now, not inside the first traced step, where variable creation under
            # a strategy fails.
            model._symbolic_build(data_batch=element_spec)
            if model.optimizer is not None and not model.optimizer.built:
                model.optimizer.build(model.trainable_variables)
        directory = self.trainer.checkpoint_dir
        self.manager = None
        if directory is None:
            return
        i64, f64 = tf.int64, tf.float64
        self.state = {
            "epoch": tf.Variable(0, dtype=i64),
            "step": tf.Variable(0, dtype=i64),
            "global_step": tf.Variable(0, dtype=i64),
            "finished": tf.Variable(0, dtype=i64),
            "seconds": tf.Variable(0.0, dtype=f64),
            "loss_sum": tf.Variable(0.0, dtype=f64),
            "loss_count": tf.Variable(0.0, dtype=f64),
            "best": tf.Variable(0.0, dtype=f64),
            "best_epoch": tf.Variable(-1, dtype=i64),
            "wait": tf.Variable(0, dtype=i64),
            "stopped": tf.Variable(0, dtype=i64),
            "history": tf.Variable("{}", dtype=tf.string),
            "reason": tf.Variable("", dtype=tf.string),
        }
        self.best_vars = [
            tf.Variable(np.zeros_like(w), trainable=False) for w in model.get_weights()
        ]
        ckpt = tf.train.Checkpoint(
            model=model,
            optimizer=model.optimizer,
            # Every model variable by itself: `model` alone tracks only what the optimizer
            # tracks, and the dropout seed generators' states must resume too.
            variables=list(model.variables),
            state=tf.train.Checkpoint(**self.state),
            best_weights=self.best_vars,
        )
        self.ckpt = ckpt
        main = Path(directory)
        if self.info["is_chief"]:
            write_dir = main
        else:  # every worker must save (collective), only the chief's copy is kept
            write_dir = main / f".worker-{self.info['index']}"
        self.write_dir = write_dir
        self.manager = tf.train.CheckpointManager(ckpt, os.fspath(write_dir), max_to_keep=2)
        latest = tf.train.latest_checkpoint(os.fspath(main))
        self.resumed_at = None
        if latest:
            ckpt.restore(latest).assert_existing_objects_matched()
            s = self.state
            self.resumed_at = (int(s["epoch"].numpy()), int(s["step"].numpy()))
            if int(s["best_epoch"].numpy()) >= 0:
                self.selection.best = float(s["best"].numpy())
                self.selection.best_epoch = int(s["best_epoch"].numpy())
                self.selection.best_weights = [v.numpy() for v in self.best_vars]
            self.selection.wait = int(s["wait"].numpy())
            self.selection.stopped = bool(s["stopped"].numpy())
            self.budget.steps_before = int(s["global_step"].numpy())
            self.budget.seconds_before = float(s["seconds"].numpy())

    def _save(self, epoch, step, global_step, loss_sum, loss_count, history, *, finished=False):
        if self.manager is None:
            return
        s, sel = self.state, self.selection
        s["epoch"].assign(epoch)
        s["step"].assign(step)
        s["global_step"].assign(global_step)
        s["finished"].assign(int(finished))
        s["seconds"].assign(self.budget.elapsed())
        s["loss_sum"].assign(loss_sum)
        s["loss_count"].assign(loss_count)
        s["wait"].assign(sel.wait)
        s["stopped"].assign(int(sel.stopped))
        s["history"].assign(json.dumps(history))
        s["reason"].assign(self.budget.reason or "")
        if sel.best_epoch is not None:
            if int(s["best_epoch"].numpy()) != sel.best_epoch:
                for var, w in zip(self.best_vars, sel.best_weights, strict=True):
                    var.assign(w)
            s["best"].assign(sel.best)
            s["best_epoch"].assign(sel.best_epoch)
        self.manager.save(checkpoint_number=global_step)

    # ------------------------------------------------------------------ the loop
    def run(self, data: Data, validation, epochs: int) -> TrainingResult:
        model = self.model
        self._setup_checkpoint((data(0) if callable(data) else data).element_spec)
        history: dict[str, list[float]] = {}
        start_epoch = start_step = global_step = 0
        loss_sum = loss_count = 0.0
        resumed_at = None
        if self.manager is not None and self.resumed_at is not None:
            s = self.state
            resumed_at = self.resumed_at
            start_epoch, start_step = resumed_at
            global_step = int(s["global_step"].numpy())
            history = json.loads(s["history"].numpy().decode("utf-8"))
            loss_sum, loss_count = float(s["loss_sum"].numpy()), float(s["loss_count"].numpy())
            if int(s["finished"].numpy()):
                self.budget.reason = s["reason"].numpy().decode("utf-8") or None
                return self._result(history, global_step, epochs, resumed_at)
        verbose = self.trainer.verbose
        verbose = 1 if verbose == "auto" else int(verbose)
        cbl = keras.callbacks.CallbackList(
            # Keras's CallbackList copies the logs for each call: extra validation metrics are
            # added by the loop itself so that its history sees them.
            [cb for cb in self.cbs if not isinstance(cb, ExtraValidation)],
            add_history=False,
            add_progbar=verbose != 0,
            model=model,
            verbose=verbose,
            epochs=epochs,
            steps=None,
        )
        extra = [cb for cb in self.cbs if isinstance(cb, ExtraValidation)]
        train_step = test_step = None
        model.stop_training = False
        cbl.on_train_begin()
        self.budget.steps_before = global_step
        epoch = start_epoch
        for epoch in range(start_epoch, epochs):
            if model.stop_training:
                break
            cbl.on_epoch_begin(epoch)
            model.reset_metrics()
            ds = data(epoch) if callable(data) else data
            step = 0
            if epoch == start_epoch and start_step:
                ds = ds.skip(start_step)
                step = start_step
            else:
                loss_sum = loss_count = 0.0
            dist = self._distribute(ds)
            if train_step is None:
                train_step, test_step = self._make_steps(dist.element_spec)
            iterator = iter(dist)
            while True:
                # As in Keras `fit` on data of unknown length, `on_train_batch_begin` is called
                # once more at the end of the epoch, before the step that finds no data.
                cbl.on_train_batch_begin(step)
                total, n = train_step(iterator).numpy()
                if n < 0:
                    break
                loss_sum += float(total)
                loss_count += float(n)
                step += 1
                global_step += 1
                cbl.on_train_batch_end(step - 1, {"loss": loss_sum / max(loss_count, 1.0)})
                if global_step % self.trainer.checkpoint_every == 0:
                    self._save(epoch, step, global_step, loss_sum, loss_count, history)
                if model.stop_training:
                    break
            logs = {"loss": loss_sum / max(loss_count, 1.0), **self._metrics()}
            if validation is not None:
                logs.update(self._evaluate(validation, test_step))
            for cb in extra:
                cb.on_epoch_end(epoch, logs)
            cbl.on_epoch_end(epoch, logs)
            for k, v in logs.items():
                try:
                    history.setdefault(k, []).append(float(v))
                except (TypeError, ValueError):
                    continue
            loss_sum = loss_count = 0.0
            self._save(epoch + 1, 0, global_step, 0.0, 0.0, history)
        cbl.on_train_end()
        if self.manager is not None:
            self._save(
                len(history.get("loss", [])), 0, global_step, 0.0, 0.0, history, finished=True
            )
            if not self.info["is_chief"]:
                shutil.rmtree(self.write_dir, ignore_errors=True)
        return self._result(history, global_step, epochs, resumed_at)

    def _result(self, history, global_step, epochs, resumed_at) -> TrainingResult:
        epochs_run = len(history.get("loss", []))
        sel = self.selection
        return TrainingResult(
            history=history,
            epochs_run=epochs_run,
            best_epoch=None if sel.best_epoch is None else sel.best_epoch + 1,
            stop_reason=_reason(self.budget, sel, self.model, epochs_run, epochs),
            steps=global_step,
            loop="custom",
            resumed_at=resumed_at,
            traces=dict(self.traces),
        )


def train(model: keras.Model, data: Data, *, epochs: int, **kwargs) -> TrainingResult:
    """Train a compiled Keras model with the engine (`Trainer(**settings).fit(...)`).

    Keyword arguments that `Trainer` takes configure it; the rest go to `Trainer.fit`.

    Example:
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> ds = tf.data.Dataset.from_tensor_slices((np.ones((4, 2)), np.ones((4, 1)))).batch(2)
        >>> train(model, ds, epochs=1, verbose=0).epochs_run
        1
    """
    names = (
        "distribution",
        "checkpoint_dir",
        "checkpoint_every",
        "max_minutes",
        "max_steps",
        "log_dir",
        "verbose",
        "loop",
    )
    settings = {k: kwargs.pop(k) for k in names if k in kwargs}
    return Trainer(**settings).fit(model, data, epochs=epochs, **kwargs)
