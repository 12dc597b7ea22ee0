"""Tests for nlpkit.data.streaming.named_files and the helpers built on it (parallel and music
file arguments): which arguments name data files and which are in-memory data."""

from pathlib import Path

import pytest

from nlpkit.data.music import music_files
from nlpkit.data.parallel import parallel_files
from nlpkit.data.streaming import named_files


@pytest.fixture
def folder(tmp_path):
    for name in ("a.txt", "b.txt", "sub/c.mid"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x\n")
    return tmp_path


def test_files_globs_and_paths(folder):
    a, b = str(folder / "a.txt"), str(folder / "b.txt")
    assert named_files(a) == [a]
    assert named_files(str(folder / "*.txt")) == [a, b]
    assert named_files([folder / "b.txt", Path(a)]) == [b, a]
    assert named_files(folder / "a.txt") == [a]


def test_in_memory_data_is_not_files(folder):
    assert named_files("a sentence") is None
    assert named_files(["a.txt"]) is None  # a list of str is texts
    assert named_files(str(folder)) is None  # a folder only with folder_files
    assert named_files(123) is None


def test_a_glob_that_matches_nothing(folder):
    with pytest.raises(FileNotFoundError, match="no file matches"):
        named_files(str(folder / "*.csv"))
    # for sentence inputs a '?' is punctuation: no match means text, not an error
    assert named_files("Where is it?", match_globs=True) is None
    assert named_files(str(folder / "?.txt"), match_globs=True) == [
        str(folder / "a.txt"),
        str(folder / "b.txt"),
    ]


def test_folders_expand_through_folder_files(folder):
    got = named_files(str(folder), folder_files=lambda p: sorted(p.rglob("*.mid")))
    assert got == [str(folder / "sub" / "c.mid")]
    assert music_files(str(folder)) == [str(folder / "sub" / "c.mid")]
    assert music_files([["n60:1"]]) is None


def test_parallel_files_pairs_in_order(folder):
    a, b = str(folder / "a.txt"), str(folder / "b.txt")
    assert parallel_files(a, b) == [(a, b)]
    assert parallel_files([(a, b)], None) == [(a, b)]
    assert parallel_files(a, None) == [(a, None)]
    assert parallel_files(["Hallo?"], ["Hello?"]) is None
    with pytest.raises(ValueError, match="paired in order"):
        parallel_files(str(folder / "*.txt"), a)
