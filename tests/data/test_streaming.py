"""nlpkit.data.streaming: file sources, lazy interleaved reading, per-worker sharding, bounded
shuffling, capped counts, and the lazy readers behind them (iter_csv, iter_jsonl, iter_conll)."""

import json
from pathlib import Path

import pytest
import tensorflow as tf

from nlpkit.data.classification import iter_csv, iter_jsonl, read_csv
from nlpkit.data.conll import iter_conll, read_conll
from nlpkit.data.streaming import (
    CappedCounter,
    expand_files,
    file_source,
    files_dataset,
    is_file_source,
    length_buckets,
    shuffled,
    unbatched,
)
from nlpkit.errors import DataFormatError


def lines(path):
    yield from Path(path).read_text().split()


def test_file_sources_and_globs(tmp_path):
    for name, body in (("b.txt", "3 4\n"), ("a.txt", "1 2\n"), ("c.csv", "x\n")):
        (tmp_path / name).write_text(body)
    assert is_file_source(tmp_path / "a.txt") and is_file_source(str(tmp_path))
    assert not is_file_source(["i loved it", "bad"])  # texts, unless the caller says otherwise
    assert is_file_source(["a.txt"], str_lists=True) and is_file_source([tmp_path / "a.txt"])
    assert file_source(["some text"], "x") is None
    files = expand_files(str(tmp_path / "*.txt"))
    assert [Path(f).name for f in files] == ["a.txt", "b.txt"]
    both = expand_files([tmp_path / "c.csv", str(tmp_path / "?.txt")])
    assert [Path(f).name for f in both] == ["c.csv", "a.txt", "b.txt"]
    with pytest.raises(FileNotFoundError, match=r"`train`: no file matches .*\*\.tsv"):
        expand_files(str(tmp_path / "*.tsv"), "train")
    with pytest.raises(FileNotFoundError, match="`x`: data file .*missing.csv' does not exist"):
        expand_files(tmp_path / "missing.csv")
    with pytest.raises(TypeError, match="`x` must list file paths"):
        expand_files([tmp_path / "a.txt", 3])


def test_files_dataset_reads_every_file_lazily_and_in_a_fixed_order(tmp_path):
    for i in range(3):
        (tmp_path / f"{i}.txt").write_text(" ".join(f"{i}-{j}" for j in range(3)))
    files = expand_files(str(tmp_path / "*.txt"))
    spec = tf.TensorSpec((), tf.string)
    got = [
        v.decode() for v in files_dataset(files, lines, spec, cycle_length=2).as_numpy_iterator()
    ]
    assert sorted(got) == sorted(f"{i}-{j}" for i in range(3) for j in range(3))
    assert got[:2] == ["0-0", "1-0"]  # two files read at a time, alternating
    again = [
        v.decode() for v in files_dataset(files, lines, spec, cycle_length=2).as_numpy_iterator()
    ]
    assert again == got


def test_sharding_by_file_when_enough_files_else_left_to_the_engine(tmp_path):
    for i in range(4):
        (tmp_path / f"{i}.txt").write_text(f"{i}a {i}b")
    files = expand_files(str(tmp_path / "*.txt"))
    spec = tf.TensorSpec((), tf.string)
    off = tf.data.experimental.AutoShardPolicy.OFF
    worker1 = files_dataset(files, lines, spec, shard=(2, 1))
    assert sorted(v.decode() for v in worker1.as_numpy_iterator()) == ["1a", "1b", "3a", "3b"]
    assert worker1.options().experimental_distribute.auto_shard_policy == off
    few = files_dataset(files[:1], lines, spec, shard=(2, 1))  # 1 file, 2 workers: by example
    assert [v.decode() for v in few.as_numpy_iterator()] == ["0a", "0b"]
    assert few.options().experimental_distribute.auto_shard_policy != off


def test_shuffled_is_bounded_seeded_and_per_epoch():
    ds = tf.data.Dataset.range(50)
    e0 = list(shuffled(ds, 8, seed=1, epoch=0).as_numpy_iterator())
    assert sorted(e0) == list(range(50)) and e0 != list(range(50))
    assert e0 == list(shuffled(ds, 8, seed=1, epoch=0).as_numpy_iterator())
    assert e0 != list(shuffled(ds, 8, seed=1, epoch=1).as_numpy_iterator())
    # a buffer of 8 moves no element more than 7 places earlier
    assert all(pos >= v - 7 for pos, v in enumerate(e0))


def test_unbatched_accepts_examples_or_batches():
    ds = tf.data.Dataset.from_tensor_slices((["a", "b", "c"], [1, 2, 3]))
    assert list(unbatched(ds.batch(2), 0).as_numpy_iterator()) == list(ds.as_numpy_iterator())
    assert list(unbatched(ds, 0).as_numpy_iterator()) == list(ds.as_numpy_iterator())
    with pytest.raises(ValueError, match="rank 0 .* or 1"):
        unbatched(ds.batch(1).batch(1), 0)


def test_capped_counter_keeps_the_frequent_keys():
    c = CappedCounter(capacity=10)
    c.update(["the"] * 50 + ["a"] * 30)
    c.update(f"rare{i}" for i in range(100))  # more distinct keys than the capacity
    assert len(c) <= 10 and c.pruned
    assert c.most_common(2) == [("the", 50), ("a", 30)]
    exact = CappedCounter(capacity=100)
    exact.add_counts(["x", "y", "x"], [2, 1, 3])
    assert dict(exact.items()) == {"x": 5, "y": 1} and not exact.pruned


def test_length_buckets():
    assert length_buckets(100) == [8, 16, 32, 64]
    assert length_buckets(8) == [] and length_buckets(9, start=4) == [4, 8]


def test_lazy_readers_match_the_list_readers(tmp_path):
    csv_path = tmp_path / "r.csv"
    csv_path.write_text('text,label\n"Great, really",pos\nDull,neg\n')
    assert list(iter_csv(csv_path)) == [("Great, really", "pos"), ("Dull", "neg")]
    assert read_csv(csv_path) == (["Great, really", "Dull"], ["pos", "neg"])
    jl = tmp_path / "r.jsonl"
    jl.write_text(json.dumps({"text": "fine", "label": 1}) + "\n{oops\n")
    rows = iter_jsonl(jl)
    assert next(rows) == ("fine", 1)  # read one line at a time: the bad line is not reached yet
    with pytest.raises(DataFormatError, match=r"r.jsonl.*2"):
        next(rows)
    conll = tmp_path / "t.conll"
    conll.write_text("-DOCSTART- O\n\nAnn B-PER\nsings O\n\nBob B-PER\n")
    assert list(iter_conll(conll)) == [(["Ann", "sings"], ["B-PER", "O"]), (["Bob"], ["B-PER"])]
    assert read_conll(conll) == ([["Ann", "sings"], ["Bob"]], [["B-PER", "O"], ["B-PER"]])
