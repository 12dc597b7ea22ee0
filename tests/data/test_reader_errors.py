"""Bad bytes in every reader raise DataFormatError naming the file and line; a UTF-8 BOM (Excel's
CSV export) is invisible (issue 15). The property-based versions are in test_properties.py."""

import gzip

import pytest

from nlpkit.data.classification import read_csv, read_fasttext, read_jsonl
from nlpkit.data.conll import read_conll
from nlpkit.errors import DataFormatError


@pytest.mark.parametrize(
    "reader, content",
    [
        (lambda p: read_csv(p), b"text,label\nok,a\ncaf\xe9,b\n"),
        (
            lambda p: read_jsonl(p),
            b'{"text": "ok", "label": "a"}\n{"text": "caf\xe9", "label": "b"}\n',
        ),
        (lambda p: read_fasttext(p), b"__label__a ok\n__label__b caf\xe9\n"),
        (lambda p: read_conll(p), b"ok O\n\ncaf\xe9 O\n"),
    ],
)
def test_structured_readers_name_file_and_line_of_bad_bytes(tmp_path, reader, content):
    path = tmp_path / "bad.data"
    path.write_bytes(content)
    line = content.split(b"\n").index(next(ln for ln in content.split(b"\n") if b"\xe9" in ln)) + 1
    with pytest.raises(DataFormatError, match=rf"bad.data, line {line}: not valid utf-8"):
        reader(path)
    path.write_bytes(b"\xef\xbb\xbf" + content.replace(b"\xe9", b"\xc3\xa9"))  # BOM + UTF-8
    assert reader(path)  # the BOM is invisible: the header / first line parses


def test_folder_chunk_and_jsb_readers_name_bad_bytes_and_drop_a_bom(tmp_path):
    from nlpkit.data.classification import read_folder
    from nlpkit.data.music import read_jsb_json
    from nlpkit.data.text_lines import iter_text_chunks

    (tmp_path / "pos").mkdir()
    (tmp_path / "pos" / "a.txt").write_bytes(b"\xef\xbb\xbfgood")
    assert read_folder(tmp_path) == (["good"], ["pos"])
    (tmp_path / "pos" / "b.txt").write_bytes(b"fine\nfine\ncaf\xe9")
    with pytest.raises(DataFormatError, match=r"b.txt, line 3: not valid utf-8"):
        read_folder(tmp_path)

    text = tmp_path / "t.txt"
    text.write_bytes(b"\xef\xbb\xbfone\ntwo\n")
    assert "".join(iter_text_chunks(text, chunk_chars=2)) == "one\ntwo\n"
    text.write_bytes(b"one\ntwo\n\xff\n")
    with pytest.raises(DataFormatError, match=r"t.txt, line 3: not valid utf-8"):
        list(iter_text_chunks(text, chunk_chars=2))

    jsb = tmp_path / "jsb.json"
    jsb.write_bytes(b'\xef\xbb\xbf{"train": [[[60, 64]]], "valid": [], "test": []}')
    assert read_jsb_json(jsb)["train"] == [[[60, 64]]]
    jsb.write_bytes(b'{"train": [\n[[60]]],\n "valid": "\xff"}')
    with pytest.raises(DataFormatError, match=r"jsb.json, line 3: not valid utf-8"):
        read_jsb_json(jsb)


def test_csv_field_over_the_csv_limit_names_file_and_line(tmp_path):
    """The csv module's own error (`_csv.Error`, no file, no line) becomes a DataFormatError."""
    path = tmp_path / "long.csv"
    path.write_text("text,label\nok,a\n" + '"never closed,b\n' + "x" * 140_000 + "\n")
    with pytest.raises(DataFormatError, match=r"long.csv, line \d+: not valid CSV: field larger"):
        read_csv(path)
    with pytest.raises(DataFormatError, match=r"raise the limit with csv.field_size_limit"):
        read_csv(path)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".txt"])
def test_a_truncated_gzip_names_the_file(tmp_path, suffix):
    from nlpkit.data import parallel

    content = {
        ".csv": "text,label\nGreat,pos\n",
        ".jsonl": '{"text": "Great", "label": "pos"}\n',
        ".txt": "__label__pos Great\n",
    }[suffix]
    data = gzip.compress(content.encode() * 200)
    path = tmp_path / f"train{suffix}.gz"
    path.write_bytes(data[: len(data) // 2])
    read = {".csv": read_csv, ".jsonl": read_jsonl, ".txt": read_fasttext}[suffix]
    with pytest.raises(DataFormatError, match=rf"train{suffix}.gz: the gzip data is truncated"):
        read(path)
    with pytest.raises(DataFormatError, match=rf"train{suffix}.gz: the gzip data is truncated"):
        parallel.read_lines(path)


def test_read_music_names_paths_when_none_or_empty():
    pytest.importorskip("music21")
    from nlpkit.data.music import read_music

    with pytest.raises(TypeError, match=r"`paths` must be a file, a folder or a list"):
        read_music(None)
    with pytest.raises(ValueError, match=r"`paths` is empty"):
        read_music([])
