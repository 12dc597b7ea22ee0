"""Streaming training input: data files and `tf.data.Dataset`s read lazily, never materialised.

Pipelines' `fit` accepts, besides in-memory lists, file paths (a path, a glob such as
`"data/train-*.csv"`, or a list of them) and `tf.data.Dataset`s; both are read through
`tf.data` one example at a time. The tools here are the shared pieces of that path:

- `file_source` / `expand_files`: is an argument a set of files, and which ones;
- `files_dataset`: interleave a Python reader (a generator, for formats that need Python to
  parse: CSV quoting, JSON, CoNLL blocks) over the files, sharded per worker under a
  multi-worker strategy (by file when there are at least as many files as workers, else by
  example: the engine's default);
- `shuffled`: a bounded shuffle buffer whose order depends only on the seed and the epoch (so
  that a resumed run sees the same order);
- `CappedCounter`: token counts for a vocabulary in one pass, with bounded memory;
- `length_buckets`: boundaries for `tf.data.Dataset.bucket_by_sequence_length`.

Peak memory of a streamed `fit` is then that of the shuffle buffer, the prefetch queue, the
vocabulary counts and the model, whatever the corpus size (`benchmarks/scale.py` measures it).

Example:
    >>> from pathlib import Path
    >>> _ = Path("a.txt").write_text("x\\ny\\n")
    >>> _ = Path("b.txt").write_text("z\\n")
    >>> [Path(f).name for f in expand_files("*.txt")]
    ['a.txt', 'b.txt']
    >>> def lines(path):
    ...     yield from Path(path).read_text().split()
    >>> ds = files_dataset(expand_files("*.txt"), lines, tf.TensorSpec((), tf.string))
    >>> sorted(v.decode() for v in ds.as_numpy_iterator())
    ['x', 'y', 'z']
"""

from __future__ import annotations

import glob
import heapq
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import tensorflow as tf

__all__ = [
    "DEFAULT_SHUFFLE_BUFFER",
    "is_file_source",
    "file_source",
    "expand_files",
    "named_files",
    "worker_shard",
    "files_dataset",
    "shuffled",
    "CappedCounter",
    "length_buckets",
    "unbatched",
]

#: Examples held by the shuffle buffer of a streamed `fit` (pipelines' `shuffle_buffer`).
DEFAULT_SHUFFLE_BUFFER = 10_000

_GLOB_CHARS = ("*", "?", "[")


def is_file_source(x: Any, *, str_lists: bool = False) -> bool:
    """Whether `x` names data files: a path (`str` or `os.PathLike`), or a list/tuple of paths.

    A list of `str` is ambiguous (texts, or file names): it counts as files only with
    `str_lists=True`, which pipelines pass when their in-memory input could not be a list of
    plain strings without labels (`fit(x)` with `y=None` for a classifier or tagger). A list of
    `pathlib.Path` always names files.

    Example:
        >>> is_file_source("train.csv"), is_file_source(["a", "b"]), is_file_source([Path("a")])
        (True, False, True)
    """
    if isinstance(x, (str, os.PathLike)):
        return True
    if isinstance(x, (list, tuple)) and x:
        if all(isinstance(v, os.PathLike) for v in x):
            return True
        return str_lists and all(isinstance(v, (str, os.PathLike)) for v in x)
    return False


def expand_files(source: Any, name: str = "x") -> list[str]:
    """The files a path, glob or list of them names, in sorted order within each glob.

    Raises:
        FileNotFoundError: a path does not exist or a glob matches nothing (the message names
            the argument and the pattern).
        TypeError: `source` is not a path, a glob or a list of them.

    Example:
        >>> expand_files("no-such-*.csv")
        Traceback (most recent call last):
        ...
        FileNotFoundError: `x`: no file matches 'no-such-*.csv'.
    """
    items = [source] if isinstance(source, (str, os.PathLike)) else source
    if not isinstance(items, (list, tuple)) or not items:
        raise TypeError(
            f"`{name}` must be a file path, a glob or a non-empty list of them. "
            f"Received: {type(source).__name__}"
        )
    files: list[str] = []
    for item in items:
        if not isinstance(item, (str, os.PathLike)):
            raise TypeError(
                f"`{name}` must list file paths. Received an item of type {type(item).__name__}"
            )
        text = os.fspath(Path(item).expanduser())
        if any(c in text for c in _GLOB_CHARS) and not Path(text).exists():
            matched = sorted(p for p in glob.glob(text, recursive=True) if Path(p).is_file())
            if not matched:
                raise FileNotFoundError(f"`{name}`: no file matches {text!r}.")
            files.extend(matched)
        elif Path(text).is_file():
            files.append(text)
        else:
            raise FileNotFoundError(f"`{name}`: data file {text!r} does not exist.")
    return files


def file_source(x: Any, name: str = "x", *, str_lists: bool = False) -> list[str] | None:
    """`expand_files(x)` when `is_file_source(x, str_lists=...)`, else None."""
    return expand_files(x, name) if is_file_source(x, str_lists=str_lists) else None


def named_files(
    x: Any,
    name: str = "x",
    *,
    match_globs: bool = False,
    folder_files: Callable[[Path], list] | None = None,
) -> list[str] | None:
    """The data files `x` names, or None when `x` is in-memory data (texts, token lists).

    `x` names files when it is an `os.PathLike`, a non-empty list/tuple of them, or a `str`
    that is an existing file, an existing folder (only with `folder_files`) or a glob. A `str`
    that is none of these is data (a sentence), which the caller's in-memory checks judge.

    Args:
        x: The argument a pipeline received (`fit(x)`, `evaluate(x)`, ...).
        name: Its name, for error messages.
        match_globs: A `str` glob names files only when it matches at least one file (for
            inputs whose single strings are sentences, which may contain `?` or `[`); else any
            `str` holding `*`, `?` or `[` is a glob, and one that matches nothing raises.
        folder_files: Expand a folder into its data files (`Path -> list of paths`); None
            treats folders as data (a `str`) or as missing files (a path).

    Returns:
        The files in order (each glob sorted, as `expand_files`), or None.

    Raises:
        FileNotFoundError: a named file does not exist or a glob matches nothing.

    Example:
        >>> named_files(["a sentence", "another"]) is None
        True
        >>> named_files("What is it?", match_globs=True) is None
        True
        >>> named_files("no-such-*.txt")
        Traceback (most recent call last):
        ...
        FileNotFoundError: `x`: no file matches 'no-such-*.txt'.
    """
    if isinstance(x, str):
        path = Path(x).expanduser()
        if path.is_file() or (folder_files is not None and path.is_dir()):
            pass
        elif not any(c in x for c in _GLOB_CHARS):
            return None
        elif match_globs and not any(
            Path(p).is_file() for p in glob.iglob(os.fspath(path), recursive=True)
        ):
            return None
        items = [x]
    elif isinstance(x, os.PathLike):
        items = [x]
    elif isinstance(x, (list, tuple)) and x and all(isinstance(v, os.PathLike) for v in x):
        items = list(x)
    else:
        return None
    if folder_files is None:
        return expand_files(items, name)
    files: list[str] = []
    for item in items:
        path = Path(item).expanduser()
        if path.is_dir():
            files += [str(f) for f in folder_files(path)]
        else:
            files += expand_files(item, name)
    return files


def worker_shard(strategy: tf.distribute.Strategy | None) -> tuple[int, int] | None:
    """`(number of workers, this worker's index)` under a multi-worker strategy, else None."""
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return None
    from nlpkit.training.distribute import cluster_info

    info = cluster_info()
    if info["num_workers"] < 2:
        return None
    has_chief = bool(_chief_hosts())
    index = info["index"] + (1 if has_chief and info["task_type"] == "worker" else 0)
    return info["num_workers"], index


def _chief_hosts() -> list[str]:
    import json

    try:
        return list(json.loads(os.environ.get("TF_CONFIG", "{}"))["cluster"].get("chief", []))
    except (KeyError, ValueError, AttributeError):
        return []


def files_dataset(
    files: list[str],
    reader: Callable[[str], Iterable],
    output_signature: Any,
    *,
    shard: tuple[int, int] | None = None,
    cycle_length: int = 4,
) -> tf.data.Dataset:
    """Examples read lazily from `files` by a Python generator `reader(path)`, interleaved.

    Args:
        files: Paths (see `expand_files`).
        reader: `path -> iterable of examples` (nested tuples matching `output_signature`).
        output_signature: As for `tf.data.Dataset.from_generator`.
        shard: `(workers, index)` from `worker_shard`: with at least as many files as workers,
            each worker reads its own files (auto-sharding is then switched off); otherwise
            every worker reads every file and the engine shards by example.
        cycle_length: Files read at the same time (examples alternate between them).

    Returns:
        An unbatched dataset; the order is deterministic (files in order, `cycle_length`
        interleaved).
    """

    def one_file(path):
        return tf.data.Dataset.from_generator(
            lambda p: reader(p.decode("utf-8") if isinstance(p, bytes) else str(p)),
            output_signature=output_signature,
            args=(path,),
        )

    names = tf.data.Dataset.from_tensor_slices(list(files))
    by_file = shard is not None and len(files) >= shard[0]
    if by_file:
        names = names.shard(*shard)
    ds = names.interleave(
        one_file,
        cycle_length=max(1, min(cycle_length, len(files))),
        block_length=1,
    )
    if by_file:
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
        ds = ds.with_options(options)
    return ds


def shuffled(
    ds: tf.data.Dataset, buffer_size: int, seed: int | None, epoch: int | None
) -> tf.data.Dataset:
    """Shuffle with a bounded buffer: `epoch=None` reshuffles on each pass (Keras `fit`); an
    epoch number gives that epoch's order only (the engine's resumable loop)."""
    if epoch is None:
        return ds.shuffle(buffer_size, seed=seed, reshuffle_each_iteration=True)
    epoch_seed = None if seed is None else int(seed) * 1_000_003 + int(epoch)
    return ds.shuffle(buffer_size, seed=epoch_seed, reshuffle_each_iteration=False)


def unbatched(ds: tf.data.Dataset, example_rank: int) -> tf.data.Dataset:
    """`ds` one example per element: unbatched when its first component has rank
    `example_rank + 1` (a batch), as given otherwise.

    Raises:
        ValueError: the rank is neither an example's nor a batch's.
    """
    first = tf.nest.flatten(ds.element_spec)[0]
    rank = first.shape.rank
    if rank == example_rank + 1:
        return ds.unbatch()
    if rank == example_rank or rank is None:
        return ds
    raise ValueError(
        f"Each dataset element must have rank {example_rank} (one example) or "
        f"{example_rank + 1} (a batch). Received elements with spec: {ds.element_spec}"
    )


class CappedCounter:
    """Counts for a vocabulary built in one streaming pass, in bounded memory.

    Exact while fewer than `capacity` distinct keys have been seen; past it, the keys with the
    lowest counts are dropped (down to `capacity // 2`), so a key first seen after a prune
    restarts from zero: with a corpus of more distinct keys than `capacity`, the rarest keys'
    counts are approximate (the frequent keys a capped vocabulary keeps are not affected in
    practice). Pipelines set `capacity` to a multiple of their vocabulary cap.

    Example:
        >>> c = CappedCounter(capacity=4)
        >>> c.update(["a", "b", "a", "c", "a", "b", "d", "e"])
        >>> c.most_common(2)
        [('a', 3), ('b', 2)]
    """

    def __init__(self, capacity: int = 2_000_000):
        self.capacity = max(2, int(capacity))
        self.counts: Counter = Counter()
        self.pruned = False

    def update(self, keys: Iterable) -> None:
        self.counts.update(keys)
        if len(self.counts) > self.capacity:
            keep = heapq.nlargest(self.capacity // 2, self.counts.items(), key=lambda kv: kv[1])
            self.counts = Counter(dict(keep))
            self.pruned = True

    def add_counts(self, keys: Iterable, counts: Iterable[int]) -> None:
        for k, n in zip(keys, counts, strict=True):
            self.counts[k] += int(n)
        if len(self.counts) > self.capacity:
            self.update(())

    def most_common(self, n: int | None = None) -> list[tuple[Any, int]]:
        return self.counts.most_common(n)

    def items(self) -> Iterator[tuple[Any, int]]:
        return iter(self.counts.items())

    def __len__(self) -> int:
        return len(self.counts)


def length_buckets(max_length: int, start: int = 8) -> list[int]:
    """Bucket boundaries for `bucket_by_sequence_length`: doubling from `start` below
    `max_length` (examples are at most `max_length` long).

    Example:
        >>> length_buckets(100)
        [8, 16, 32, 64]
    """
    out, b = [], max(1, int(start))
    while b < max_length:
        out.append(b)
        b *= 2
    return out
