"""Reading a `tf.data.Dataset` back into plain Python lists.

Pipelines accept either plain Python data (lists of strings, lists of token lists) or a
`tf.data.Dataset`; they turn a dataset into lists with `dataset_to_lists` before validating it,
so both kinds of input go through the same checks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

__all__ = ["dataset_to_lists", "to_python", "sentences_from_dataset"]


def to_python(value: Any) -> Any:
    """Convert a tensor (dense or ragged), NumPy value or nested list to plain Python data.

    Byte strings are decoded as UTF-8; NumPy scalars become Python scalars.

    Args:
        value: A `tf.Tensor`, `tf.RaggedTensor`, NumPy array or scalar, or a (nested) list.

    Returns:
        The same data as nested lists of `str`, `int`, `float` or `bool`.

    Example:
        >>> to_python(tf.constant(["café", "tea"]))
        ['café', 'tea']
    """
    if isinstance(value, tf.RaggedTensor):
        value = value.to_list()
    elif isinstance(value, tf.Tensor):
        value = value.numpy()
    if isinstance(value, (np.ndarray, np.generic)):
        value = value.tolist()
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, (list, tuple)):
        return [to_python(v) for v in value]
    return value


def _rank(value: Any) -> int | None:
    shape = getattr(value, "shape", None)
    return None if shape is None else len(shape)


def _component(value: Any, item_rank: int, what: str) -> list:
    """One component of one dataset element, as a list of examples (one, or a batch)."""
    rank = _rank(value)
    if rank == item_rank:
        examples = [to_python(value)]
    elif rank == item_rank + 1:
        examples = to_python(value)
        if item_rank == 1:  # a padded batch of token lists: drop the '' padding
            examples = [[t for t in ex if t != ""] for ex in examples]
    else:
        raise ValueError(
            f"Each {what} in the dataset must have rank {item_rank} (one example) or "
            f"{item_rank + 1} (a batch). Received a value of rank {rank}: {value!r:.100}"
        )
    return examples


def dataset_to_lists(
    dataset: tf.data.Dataset, *, token_lists: bool = False
) -> tuple[list, list | None]:
    """Materialise a `tf.data.Dataset` of examples or `(x, y)` pairs into Python lists.

    The dataset may be batched or not (element by element: an element of one rank higher
    than an example is a batch). Strings are decoded to `str`; numbers become Python numbers.

    Args:
        dataset: Yields single `x` values or `(x, y)` pairs.
        token_lists: Whether an example is a list of tokens (a 1-D string tensor, as for
            sequence tagging) rather than a scalar (a text, a label). Batches of token lists may
            be ragged or padded with `''`; the padding is dropped.

    Returns:
        `(xs, ys)`: one entry per example; `ys` is None when the dataset yields single values.
        With `token_lists`, every entry is a list of strings.

    Raises:
        TypeError: `dataset` is not a `tf.data.Dataset`.
        ValueError: elements are tuples of another length than 2, dictionaries, or have a rank
            that is neither an example's nor a batch's.

    Example:
        >>> ds = tf.data.Dataset.from_tensor_slices((["good", "bad", "fine"], [1, 0, 1]))
        >>> dataset_to_lists(ds.batch(2))
        (['good', 'bad', 'fine'], [1, 0, 1])
        >>> tokens = tf.ragged.constant([["Ann", "sings"], ["Bob"]])
        >>> dataset_to_lists(tf.data.Dataset.from_tensor_slices(tokens), token_lists=True)
        ([['Ann', 'sings'], ['Bob']], None)
    """
    if not isinstance(dataset, tf.data.Dataset):
        raise TypeError(f"Expected a tf.data.Dataset. Received: {type(dataset).__name__}")
    spec = dataset.element_spec
    paired = isinstance(spec, tuple)
    if (paired and len(spec) != 2) or isinstance(spec, dict):
        raise ValueError(
            "A dataset must yield single examples or (x, y) pairs. "
            f"Received elements with spec: {spec}"
        )
    item_rank = 1 if token_lists else 0
    xs: list = []
    ys: list = []
    for element in dataset:
        if paired:
            x = _component(element[0], item_rank, "x")
            y = _component(element[1], item_rank, "y")
            if len(x) != len(y):
                raise ValueError(
                    f"A dataset element pairs {len(x)} x value(s) with {len(y)} y value(s); "
                    "x and y must be batched together."
                )
            ys.extend(y)
        else:
            x = _component(element, item_rank, "element")
        xs.extend(x)
    return xs, (ys if paired else None)


def sentences_from_dataset(x: Any) -> Any:
    """The sentences of a `tf.data.Dataset` given to a tagger's `predict`, as Python lists
    (anything else is returned unchanged).

    Scalar elements are raw sentences, 1-D elements token lists, 2-D elements (batched, padded
    with `""` or ragged) batches of token lists, whose padding is dropped; of a `(tokens, tags)`
    pair the first item is used.

    Example:
        >>> import tensorflow as tf
        >>> ds = tf.data.Dataset.from_tensor_slices([["New", "York", ""], ["Oslo", "", ""]])
        >>> sentences_from_dataset(ds.batch(2))
        [['New', 'York'], ['Oslo']]
    """
    if not isinstance(x, tf.data.Dataset):
        return x
    out = []
    for el in x:
        if isinstance(el, (tuple, list)):
            el = el[0]
        rank = el.shape.rank
        val = to_python(el)
        if rank == 2:
            out.extend([t for t in v if t != ""] for v in val)
        else:
            out.append(val)
    return out
