"""Training helpers shared by all pipelines: seeding, default callbacks, the fit call."""

from __future__ import annotations

import keras

__all__ = ["set_seed", "fit_keras_model", "history_to_dict"]


def set_seed(seed: int | None) -> None:
    """Seed Python, NumPy and the backend so that a CPU run repeats exactly."""
    if seed is not None:
        keras.utils.set_random_seed(int(seed))


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
) -> keras.callbacks.History:
    """Call `model.fit` with nlpkit's defaults.

    Early stopping (patience `early_stopping`, best weights restored) is added when validation
    data is given and `early_stopping` is not None; user callbacks pass through unchanged. A
    progress bar is shown by default (`verbose="auto"`).
    """
    cbs = list(callbacks or [])
    if validation is not None and early_stopping:
        cbs.append(
            keras.callbacks.EarlyStopping(
                monitor=monitor, patience=int(early_stopping), restore_best_weights=True
            )
        )
    # Datasets come pre-shuffled (seeded) from the pipelines; Keras's own shuffle does not apply.
    return model.fit(
        train,
        validation_data=validation,
        epochs=epochs,
        callbacks=cbs,
        verbose=verbose,
        shuffle=False,
    )


def history_to_dict(history: keras.callbacks.History) -> dict[str, list[float]]:
    """A Keras `History` as JSON-safe `{metric: [value per epoch]}` (stored as `history_`)."""
    return {k: [float(v) for v in values] for k, values in history.history.items()}
