"""Fast small-batch inference helpers shared by the pipelines.

`Model.predict` builds a fresh `tf.data` pipeline and a step loop on every call: tens of
milliseconds whatever the input size. The pipelines instead call a `tf.function` traced once
per fitted model (input signatures with `None` batch and length dimensions, so that varying
batch sizes and sentence lengths reuse the same trace) and feed large inputs in length-sorted
batches, so that a batch pads to the length of similar sentences.

- `cached_function(owner, name, key, build)`: the traced function, rebuilt only when one of the
  objects in `key` (the model, its vectorizer, ...) is no longer the same object, so a refit or
  a load can never serve stale weights through an old trace.
- `length_sorted_batches(lengths, batch_size)`: index batches of similar lengths.
- `with_spare_row(fn, strings)` and `after_checks(*tensors)`: graph helpers of the exported
  generation signatures (an empty batch runs the same graph; inputs wait for their checks).

Example:
    >>> length_sorted_batches([5, 1, 3, 2], 2)
    [[1, 3], [2, 0]]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["cached_function", "length_sorted_batches", "with_spare_row", "after_checks"]


def cached_function(owner: Any, name: str, key: Sequence[Any], build: Callable[[], Any]) -> Any:
    """Return `owner.<name>`'s cached function, building it with `build()` when `key` changed.

    Args:
        owner: The object holding the cache (a pipeline).
        name: Attribute under which `(key, function)` is stored on `owner`.
        key: The objects the function closes over (compared by identity, not equality).
        build: Called without arguments to build the function when the cache is stale.

    Returns:
        The cached (or newly built) function.

    Example:
        >>> class P: pass
        >>> p, model = P(), object()
        >>> f = cached_function(p, "_fn", (model,), lambda: (lambda: 1))
        >>> f is cached_function(p, "_fn", (model,), lambda: (lambda: 2))
        True
        >>> cached_function(p, "_fn", (object(),), lambda: (lambda: 2))()
        2
    """
    cached = getattr(owner, name, None)
    key = tuple(key)
    if (
        cached is not None
        and len(cached[0]) == len(key)
        and all(a is b for a, b in zip(cached[0], key, strict=True))
    ):
        return cached[1]
    fn = build()
    setattr(owner, name, (key, fn))
    return fn


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Indices grouped into batches of at most `batch_size` items of similar length.

    The sort is stable, so equal lengths keep their input order.

    Args:
        lengths: One length per item.
        batch_size: Items per batch (>= 1).

    Returns:
        A list of index lists covering `range(len(lengths))` exactly once.

    Example:
        >>> length_sorted_batches([3, 1, 2], 8)
        [[1, 2, 0]]
    """
    if batch_size < 1:
        raise ValueError(f"`batch_size` must be >= 1. Received: batch_size={batch_size!r}")
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def with_spare_row(fn: Callable[[Any], dict], strings):
    """`fn(strings)` with one spare row appended and cut off again, so that an empty batch runs
    the same graph and gives empty outputs (the decoding loops need at least one row).

    Example:
        >>> import tensorflow as tf
        >>> out = with_spare_row(lambda s: {"n": tf.strings.length(s)}, tf.constant([], tf.string))
        >>> out["n"].shape.as_list()
        [0]
    """
    import tensorflow as tf

    out = fn(tf.concat([strings, tf.constant([""])], axis=0))
    n = tf.shape(strings)[0]
    return {key: value[:n] for key, value in out.items()}


def after_checks(*tensors):
    """`tf.identity` of each input, to be called under `tf.control_dependencies(checks)`: every
    op that reads an input then waits for the checks (gating one input only lets ops on the
    others, e.g. a `Fill` of `beam_width`, fail first with an unclear message)."""
    import tensorflow as tf

    return tuple(tf.identity(t) for t in tensors)
