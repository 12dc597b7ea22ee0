"""Argument checks with messages that say what was expected and what was received."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "check_choice",
    "check_int",
    "check_float",
    "check_bool",
    "check_texts",
    "check_same_length",
    "check_token_lists",
]


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    choices = list(choices)
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"`{name}` must be one of {listed}. Received: {name}={value!r}")
    return value


def check_int(name: str, value: Any, minimum: int | None = None, allow_none: bool = False) -> Any:
    if value is None and allow_none:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"`{name}` must be an integer. Received: {name}={value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}. Received: {name}={value!r}")
    return int(value)


def check_float(
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    allow_none: bool = False,
    allow_inf: bool = False,
) -> Any:
    """Return `value` as a float within the bounds, or raise a clear error.

    NaN is always rejected, and so are +-infinity unless `allow_inf=True`: a NaN learning rate
    or temperature would otherwise pass every `<`/`>` comparison and fail much later.

    Example:
        >>> check_float("temperature", 0.5, 0.0)
        0.5
        >>> check_float("temperature", float("nan"), 0.0)
        Traceback (most recent call last):
        ...
        ValueError: `temperature` must be a finite number, not NaN or infinity. Received: temperature=nan
    """
    if value is None and allow_none:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"`{name}` must be a number. Received: {name}={value!r}")
    value = float(value)
    if math.isnan(value) or (math.isinf(value) and not allow_inf):
        raise ValueError(
            f"`{name}` must be a finite number, not NaN or infinity. Received: {name}={value!r}"
        )
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    too_high = high is not None and (value > high if high_inclusive else value >= high)
    if too_low or too_high:
        lo = "" if low is None else ("[" if low_inclusive else "(") + str(low)
        hi = "" if high is None else str(high) + ("]" if high_inclusive else ")")
        raise ValueError(
            f"`{name}` must be in {lo or '(-inf'}, {hi or 'inf)'}. Received: {name}={value!r}"
        )
    return value


def check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be True or False. Received: {name}={value!r}")
    return bool(value)


def check_texts(name: str, texts: Any, *, allow_empty: bool = False) -> list[str]:
    """Return `texts` as a list of `str`, or raise a clear error."""
    if isinstance(texts, (str, bytes)):
        raise TypeError(
            f"`{name}` must be a list of strings, not a single string. "
            f"Wrap it in a list: [{texts!r:.40}]"
        )
    if isinstance(texts, np.ndarray):
        texts = texts.tolist()
    try:
        texts = list(texts)
    except TypeError as e:
        raise TypeError(
            f"`{name}` must be a list of strings. Received an object of type {type(texts).__name__}"
        ) from e
    if not texts and not allow_empty:
        raise ValueError(f"`{name}` is empty: at least one example is needed.")
    out = []
    for i, t in enumerate(texts):
        if isinstance(t, bytes):
            t = t.decode("utf-8")
        if not isinstance(t, str):
            raise TypeError(
                f"`{name}` must contain only strings. Received {type(t).__name__} at index {i}: {t!r:.60}"
            )
        out.append(t)
    return out


def check_token_lists(name: str, seqs: Any, *, allow_empty: bool = False) -> list[list[str]]:
    """Return `seqs` as a list of lists of `str` tokens, or raise a clear error."""
    if isinstance(seqs, str):
        raise TypeError(f"`{name}` must be a list of token lists. Received a single string.")
    seqs = list(seqs)
    if not seqs and not allow_empty:
        raise ValueError(f"`{name}` is empty: at least one example is needed.")
    out = []
    for i, s in enumerate(seqs):
        if isinstance(s, str) or not isinstance(s, Sequence | np.ndarray):
            raise TypeError(
                f"`{name}` must be a list of token lists. Item {i} is {type(s).__name__}: {s!r:.60}"
            )
        toks = list(s)
        for t in toks:
            if not isinstance(t, str):
                raise TypeError(
                    f"`{name}` item {i} must contain only string tokens. Received {t!r}"
                )
        out.append(toks)
    return out


def check_same_length(name_a: str, a: Sequence, name_b: str, b: Sequence) -> None:
    if len(a) != len(b):
        raise ValueError(
            f"`{name_a}` and `{name_b}` must have the same length. "
            f"Received len({name_a})={len(a)} and len({name_b})={len(b)}"
        )
