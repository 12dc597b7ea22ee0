"""Moved to `nlpkit.training` (the training engine); kept as a re-export for old imports."""

from nlpkit.training.utils import fit_keras_model, history_to_dict, set_seed

__all__ = ["set_seed", "fit_keras_model", "history_to_dict"]
