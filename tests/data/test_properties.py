"""Property-based tests (hypothesis) of the readers: what is written is read back; bad bytes
raise DataFormatError naming the file and line; a UTF-8 BOM is invisible."""

import csv
import json

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from nlpkit.data.classification import read_csv, read_jsonl  # noqa: E402
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
