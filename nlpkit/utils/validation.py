"""Argument checks with messages that say what was expected and what was received."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "check_choice",
    "check_int",
    "check_seed",
    "check_float",
    "check_bool",
    "check_texts",
    "check_ordered",
    "check_same_length",
    "check_token_lists",
    "generation_checks",
    "valid_token",
    "check_token",
    "check_labels",
]


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    choices = list(choices)
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"`{name}` must be one of {listed}. Received: {name}={value!r}")
    return value


def check_int(
    name: str,
    value: Any,
    minimum: int | None = None,
    allow_none: bool = False,
    *,
    maximum: int | None = None,
) -> Any:
    if value is None and allow_none:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"`{name}` must be an integer. Received: {name}={value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}. Received: {name}={value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"`{name}` must be <= {maximum}. Received: {name}={value!r}")
    return int(value)


#: Largest seed the training seeding accepts (NumPy's and Keras's `set_random_seed`).
MAX_SEED = 2**32 - 1
#: Largest generation seed (an int64 in the exported signatures).
MAX_GENERATION_SEED = 2**63 - 1
#: Widest beam search accepted in Python and in exported signatures: wider beams only allocate
#: (a beam of 2**31 - 1 ran out of memory after a minute instead of failing at once).
MAX_BEAM_WIDTH = 1024


def check_seed(name: str, value: Any, *, maximum: int = MAX_SEED) -> int | None:
    """A seed: None, or an integer in `[0, maximum]` (2**32 - 1 for training seeds, as NumPy
    requires; generation seeds go up to 2**63 - 1).

    Example:
        >>> check_seed("seed", 7)
        7
        >>> check_seed("seed", -1)
        Traceback (most recent call last):
        ...
        ValueError: `seed` must be >= 0. Received: seed=-1
    """
    return check_int(name, value, 0, allow_none=True, maximum=maximum)


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
    _check_ordered(name, texts, "a list of strings")
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
            try:
                t = t.decode("utf-8")
            except UnicodeDecodeError as e:
                raise ValueError(
                    f"`{name}` item {i} is bytes that are not valid UTF-8 (byte {e.start}): "
                    f"{t!r:.60}. Decode it with its own encoding first."
                ) from e
        if not isinstance(t, str):
            raise TypeError(
                f"`{name}` must contain only strings. Received {type(t).__name__} at index {i}: {t!r:.60}"
            )
        out.append(t)
    _check_encodable(name, out)
    return out


def check_ordered(name: str, value: Any) -> list:
    """`value` as a list, refusing what has no order (a dict, a set): their items would be
    read in an arbitrary order, or a dict's keys taken for inputs.

    Example:
        >>> check_ordered("x", ("a", "b"))
        ['a', 'b']
    """
    _check_ordered(name, value, "a list")
    return list(value)


def _check_ordered(name: str, value: Any, what: str) -> None:
    if value is None or not hasattr(value, "__iter__"):
        raise TypeError(
            f"`{name}` must be {what}. Received: {name}={value!r:.60} of type {type(value).__name__}"
        )
    if isinstance(value, Mapping | set | frozenset):
        raise TypeError(
            f"`{name}` must be {what} (in order). Received a {type(value).__name__}; pass a "
            "list, e.g. list(d.values())."
        )


def _check_encodable(name: str, texts: list[str], item: int | None = None) -> None:
    """Raise a ValueError naming the item if a string holds a lone surrogate, which cannot
    become a `tf.string` tensor (one pass in C for the common case)."""
    try:
        "".join(texts).encode("utf-8")
    except UnicodeEncodeError:
        for i, t in enumerate(texts):
            try:
                t.encode("utf-8")
            except UnicodeEncodeError as e:
                where = f"item {i}" if item is None else f"item {item}, token {i},"
                raise ValueError(
                    f"`{name}` {where} holds a lone surrogate ({t[e.start]!r} at character "
                    f"{e.start}), which is not text: {t!r:.60}. It usually comes from decoding "
                    "bytes with errors='surrogateescape'; decode them with the right encoding."
                ) from e


def check_token_lists(name: str, seqs: Any, *, allow_empty: bool = False) -> list[list[str]]:
    """Return `seqs` as a list of lists of `str` tokens, or raise a clear error."""
    if isinstance(seqs, str):
        raise TypeError(f"`{name}` must be a list of token lists. Received a single string.")
    if seqs is None or not hasattr(seqs, "__iter__"):
        raise TypeError(
            f"`{name}` must be a list of token lists. Received: {name}={seqs!r:.60} "
            f"of type {type(seqs).__name__}"
        )
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
        _check_encodable(name, toks, item=i)
        out.append(toks)
    return out


def check_same_length(name_a: str, a: Sequence, name_b: str, b: Sequence) -> None:
    if len(a) != len(b):
        raise ValueError(
            f"`{name_a}` and `{name_b}` must have the same length. "
            f"Received len({name_a})={len(a)} and len({name_b})={len(b)}"
        )


def valid_token(token: str) -> bool:
    """Whether `token` can be one token of a tagged sentence: non-empty, without line breaks
    (a CoNLL file holds one token a line).

    Example:
        >>> valid_token("Paris"), valid_token(""), valid_token("a\\nb")
        (True, False, False)
    """
    return bool(token) and "\n" not in token and "\r" not in token


def check_token(token: str, i: int) -> None:
    """Raise `ValueError` naming sentence `i` unless `valid_token(token)`."""
    if not valid_token(token):
        raise ValueError(
            f"Sentence {i}: tokens must be non-empty strings without line breaks. "
            f"Received {token!r}"
        )


def check_labels(name: str, labels: Any) -> list:
    """Class labels as a list of `str` or of `int` (bytes decoded, NumPy values converted).

    Raises:
        TypeError: `labels` is one string, holds something else than strings and integers,
            or mixes the two.

    Example:
        >>> check_labels("y", [b"pos", "neg"])
        ['pos', 'neg']
    """
    if isinstance(labels, (str, bytes)):
        raise TypeError(f"`{name}` must be a list of labels, not a single string.")
    if isinstance(labels, np.ndarray):
        labels = labels.tolist()
    labels = list(labels)
    out = []
    for i, v in enumerate(labels):
        if isinstance(v, bytes):
            v = v.decode("utf-8")
        if isinstance(v, np.integer):
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, (str, int)):
            raise TypeError(
                f"`{name}` must contain strings or integers. Received {type(v).__name__} at index {i}: {v!r:.60}"
            )
        out.append(v)
    kinds = {type(v) for v in out}
    if len(kinds) > 1:
        raise TypeError(f"`{name}` mixes strings and integers; use one type for all labels.")
    return out


def generation_checks(max_length, temperature, seed, top_k=None, top_p=None) -> list:
    """In-graph twins of the generators' argument checks (`CharGenerator.generate`): each
    fails with `InvalidArgumentError` naming the argument.

    Args:
        max_length: Scalar int tensor, >= 1.
        temperature: Scalar float tensor, finite and >= 0.
        seed: Scalar int tensor, >= 0.
        top_k: Scalar int tensor, >= 0 (None: not checked).
        top_p: Scalar float tensor in (0, 1] (None: not checked).

    Returns:
        The check ops; run the generation under `tf.control_dependencies` on them (and read its
        inputs through `nlpkit.utils.inference.after_checks`), so a bad value is reported
        before it can reach the sampler.
    """
    import tensorflow as tf

    checks = [
        tf.debugging.assert_greater_equal(
            max_length, 1, message="`max_length` must be >= 1 (Received a smaller value)"
        ),
        tf.debugging.assert_all_finite(temperature, "`temperature` must be finite, not NaN or inf"),
        tf.debugging.assert_greater_equal(
            temperature, 0.0, message="`temperature` must be >= 0 (0 means greedy)"
        ),
        tf.debugging.assert_greater_equal(seed, 0, message="`seed` must be >= 0"),
    ]
    if top_k is not None:
        checks.append(
            tf.debugging.assert_greater_equal(top_k, 0, message="`top_k` must be >= 0 (0 = off)")
        )
    if top_p is not None:
        checks += [
            tf.debugging.assert_all_finite(top_p, "`top_p` must be finite, not NaN or inf"),
            tf.debugging.assert_greater(top_p, 0.0, message="`top_p` must be in (0, 1]"),
            tf.debugging.assert_less_equal(top_p, 1.0, message="`top_p` must be in (0, 1]"),
        ]
    return checks
