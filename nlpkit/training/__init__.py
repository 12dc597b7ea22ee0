"""The training engine: Keras `fit` on one device, a `tf.distribute` loop for several devices and
workers, checkpoints and resume, step/time budgets and TensorBoard scalars.

See `docs/training.md`.
"""

from nlpkit.training.callbacks import Budget, ExtraValidation, Scalars, Selection
from nlpkit.training.distribute import (
    DISTRIBUTIONS,
    WorkerTimeoutError,
    check_distribution,
    cluster_info,
    launch_local_workers,
    local_tf_configs,
    resolve_strategy,
)
from nlpkit.training.engine import Trainer, TrainingResult, check_training_settings, train
from nlpkit.training.utils import history_to_dict, set_seed

__all__ = [
    "Trainer",
    "TrainingResult",
    "train",
    "check_training_settings",
    "set_seed",
    "history_to_dict",
    "fit_keras_model",
    "Selection",
    "Budget",
    "Scalars",
    "ExtraValidation",
    "DISTRIBUTIONS",
    "WorkerTimeoutError",
    "check_distribution",
    "cluster_info",
    "launch_local_workers",
    "local_tf_configs",
    "resolve_strategy",
]

from nlpkit.training.utils import fit_keras_model  # noqa: E402
