"""Classification metrics: accuracy, macro-F1 and per-class precision/recall/F1."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["classification_report"]


def classification_report(
    y_true: Sequence[int], y_pred: Sequence[int], class_names: Sequence[str]
) -> dict[str, float]:
    """Return accuracy, macro-averaged F1 and per-class P/R/F1 as a flat dict.

    Keys: `accuracy`, `macro_f1`, `precision/<class>`, `recall/<class>`, `f1/<class>`.
    A class with no predicted (or no true) examples gets precision (or recall) 0.

    Example:
        >>> classification_report([0, 1, 1], [0, 1, 0], ["neg", "pos"])["accuracy"]
        0.6666666666666666
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    out = {"accuracy": float(np.mean(y_true == y_pred)) if len(y_true) else 0.0}
    f1s = []
    for i, name in enumerate(class_names):
        tp = float(np.sum((y_pred == i) & (y_true == i)))
        fp = float(np.sum((y_pred == i) & (y_true != i)))
        fn = float(np.sum((y_pred != i) & (y_true == i)))
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        out[f"precision/{name}"] = p
        out[f"recall/{name}"] = r
        out[f"f1/{name}"] = f
        f1s.append(f)
    out["macro_f1"] = float(np.mean(f1s)) if f1s else 0.0
    return out
