"""Small helpers shared by the pipelines: seeding, history conversion, and the former
`fit_keras_model` (now a thin wrapper over `Trainer`)."""

from __future__ import annotations

import keras

__all__ = ["set_seed", "history_to_dict", "fit_keras_model"]


def set_seed(seed: int | None) -> None:
    """Seed Python, NumPy and the backend so that a CPU run repeats exactly.

    Example:
        >>> set_seed(0)
    """
    if seed is not None:
        keras.utils.set_random_seed(int(seed))


def history_to_dict(history) -> dict[str, list[float]]:
    """A Keras `History` (or a `TrainingResult`) as JSON-safe `{metric: [value per epoch]}`."""
    values = history.history
    return {k: [float(v) for v in vals] for k, vals in values.items()}


def fit_keras_model(
    model: keras.Model,
    train,
    *,
    validation=None,
    epochs: int,
    callbacks=None,
    early_stopping: int | None = 3,
    monitor: str = "val_loss",
    verbose: int | str = "auto",
    trainer=None,
    **settings,
):
    """Train through the engine with nlpkit's defaults (kept for existing callers).

    Early stopping (patience `early_stopping`, best weights restored) applies when validation
    data is given and `early_stopping` is not None. `settings` are `Trainer` settings
    (`distribution`, `checkpoint_dir`, `max_steps`, ...), or pass a configured `trainer` (whose
    scope the model was built in). Returns a `TrainingResult`, which has a
    `history` dict like Keras's `History.history`.
    """
    from nlpkit.training.engine import Trainer

    mode = "max" if monitor.endswith(("f1", "accuracy", "acc")) else "min"
    if trainer is None:
        trainer = Trainer(verbose=verbose, **settings)
    return trainer.fit(
        model,
        train,
        validation=validation,
        epochs=epochs,
        callbacks=callbacks,
        monitor=monitor if (validation is not None and early_stopping) else None,
        mode=mode,
        patience=early_stopping,
    )
