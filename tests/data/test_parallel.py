"""Tests for nlpkit.data.parallel."""

import gzip

import pytest

from nlpkit.data.parallel import read_parallel
from nlpkit.errors import DataFormatError


def test_two_aligned_files_and_gzip(tmp_path):
    (tmp_path / "a.en").write_text("a cat\nthe dog\n\nend\n", encoding="utf-8")
    with gzip.open(tmp_path / "a.de.gz", "wt", encoding="utf-8") as fh:
        fh.write("eine Katze\nder Hund\n\nEnde\n")
    src, tgt = read_parallel(tmp_path / "a.en", tmp_path / "a.de.gz")
    assert src == ["a cat", "the dog", "", "end"]
    assert tgt == ["eine Katze", "der Hund", "", "Ende"]
    assert read_parallel(tmp_path / "a.en", tmp_path / "a.de.gz", max_examples=2) == (
        ["a cat", "the dog"],
        ["eine Katze", "der Hund"],
    )


def test_tsv(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("3 May 2001\t2001-05-03\n\nJan 1, 1999\t1999-01-01\r\n", encoding="utf-8")
    assert read_parallel(path) == (["3 May 2001", "Jan 1, 1999"], ["2001-05-03", "1999-01-01"])


def test_mismatched_line_counts_name_both_files(tmp_path):
    (tmp_path / "x.en").write_text("a\nb\nc\n", encoding="utf-8")
    (tmp_path / "x.de").write_text("a\nb\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"x\.en: has 3 lines but .*x\.de has 2"):
        read_parallel(tmp_path / "x.en", tmp_path / "x.de")


def test_malformed_tsv_line_is_named(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("a\tb\nno tab here\nc\td\n", encoding="utf-8")
    with pytest.raises(
        DataFormatError, match=r"bad\.tsv, line 2: expected 2 fields .* found 1"
    ) as info:
        read_parallel(path)
    assert info.value.line == 2
    path.write_text("a\tb\tc\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="line 1: expected 2 fields .* found 3"):
        read_parallel(path)


def test_bad_utf8_and_missing_file(tmp_path):
    path = tmp_path / "latin1.tsv"
    path.write_bytes(b"ok\tok\n" + "caf\xe9\tx\n".encode("latin-1"))
    with pytest.raises(DataFormatError, match="line 2: not valid utf-8"):
        read_parallel(path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_parallel(tmp_path / "nope.tsv")
    with pytest.raises(ValueError, match="`max_examples` must be >= 1"):
        read_parallel(path, max_examples=0)


@pytest.mark.slow
def test_multi30k_real_files_are_aligned():
    from pathlib import Path

    root = Path(__file__).resolve().parents[3] / "shared" / "data" / "translation" / "multi30k"
    if not root.exists():
        pytest.skip(f"{root} not found")
    src, tgt = read_parallel(root / "train.en.gz", root / "train.de.gz")
    assert len(src) == len(tgt) == 29000
    val_src, val_tgt = read_parallel(root / "val.en.gz", root / "val.de.gz")
    assert len(val_src) == len(val_tgt) == 1014
    assert all(s.strip() for s in src[:100]) and all(t.strip() for t in tgt[:100])
