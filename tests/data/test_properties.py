"""Property-based tests (hypothesis) of the readers: what is written is read back; bad bytes
raise DataFormatError naming the file and line; a UTF-8 BOM is invisible."""

import csv
import json

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from nlpkit.data.classification import read_csv, read_fasttext, read_jsonl  # noqa: E402
from nlpkit.data.conll import read_conll, write_conll  # noqa: E402
from nlpkit.data.parallel import read_lines as read_parallel_lines  # noqa: E402
from nlpkit.data.text_lines import read_lines, read_text  # noqa: E402
from nlpkit.errors import DataFormatError  # noqa: E402

FAST = settings(max_examples=40, deadline=None)
CHARS = st.characters(blacklist_categories=("Cs",))
TEXT = st.text(CHARS, max_size=30)
LABEL = st.text(st.characters(whitelist_categories=("Ll", "Lu", "Nd")), min_size=1, max_size=5)
LINE = st.text(st.characters(blacklist_categories=("Cs", "Zl", "Zp", "Cc")), max_size=20)
TOKEN = st.text(st.characters(whitelist_categories=("L", "N", "P", "S")), min_size=1, max_size=8)


@FAST
@given(st.lists(st.tuples(TEXT, LABEL), min_size=1, max_size=6), st.booleans())
def test_csv_round_trip_with_or_without_bom(tmp_path_factory, rows, bom):
    path = tmp_path_factory.mktemp("csv") / "data.csv"
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "label"])
        w.writerows(rows)
    texts, labels = read_csv(path, label_type="str")
    assert texts == [t for t, _ in rows]  # quoted line breaks and commas survive
    assert labels == [lab for _, lab in rows]


@FAST
@given(st.lists(st.tuples(TEXT, LABEL), min_size=1, max_size=6))
def test_jsonl_round_trip(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("jsonl") / "data.jsonl"
    path.write_text(
        "\ufeff" + "".join(json.dumps({"text": t, "label": lab}) + "\n" for t, lab in rows),
        encoding="utf-8",
    )
    texts, labels = read_jsonl(path)
    assert texts == [t for t, _ in rows] and labels == [lab for _, lab in rows]


@FAST
@given(
    st.lists(
        st.lists(st.tuples(TOKEN, st.sampled_from(["O", "B-PER", "I-PER", "B-LOC"])), min_size=1),
        min_size=1,
        max_size=4,
    )
)
def test_conll_round_trip(tmp_path_factory, sentences):
    tokens = [[w for w, _ in s] for s in sentences]
    tags = [[t for _, t in s] for s in sentences]
    path = tmp_path_factory.mktemp("conll") / "data.txt"
    write_conll(path, tokens, tags, separator="\t")
    assert read_conll(path) == (tokens, tags)


@FAST
@given(st.lists(LINE, min_size=1, max_size=6), st.integers(0, 5), st.booleans())
def test_every_line_reader_names_the_line_of_a_bad_byte(tmp_path_factory, lines, where, gz):
    where = where % len(lines)
    data = [ln.encode("utf-8") for ln in lines]
    data[where] += b"\xff"
    path = tmp_path_factory.mktemp("bad") / "data.txt"
    path.write_bytes(b"\n".join(data) + b"\n")
    for reader in (read_lines, read_text, read_parallel_lines):
        with pytest.raises(DataFormatError, match=rf"data.txt, line {where + 1}: not valid utf-8"):
            reader(path)


@FAST
@given(st.lists(LINE, min_size=1, max_size=6))
def test_text_readers_drop_a_bom(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("bom") / "data.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    assert read_text(path) == "\n".join(lines) + "\n"
    assert read_parallel_lines(path) == lines
    assert read_lines(path, strip=False, skip_empty=False) == lines


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
