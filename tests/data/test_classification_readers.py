import gzip
import json

import pytest

from nlpkit.data.classification import read_csv, read_fasttext, read_folder, read_jsonl, read_tfds
from nlpkit.data.paths import resolve_data_path
from nlpkit.errors import DataFormatError, OfflineError


def test_csv_and_tsv(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text('review,stars\n"good, really",1\nbad,0\n')
    assert read_csv(p, "review", "stars") == (["good, really", "bad"], [1, 0])
    t = tmp_path / "d.tsv"
    t.write_text("text\tlabel\nnice\tpos\nugly\tneg\n")
    assert read_csv(t) == (["nice", "ugly"], ["pos", "neg"])


def test_csv_missing_column_names_column_and_file(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("review,stars\ngood,1\n")
    with pytest.raises(ValueError, match=r"d.csv has no column 'sentiment' \(`label_column`\)"):
        read_csv(p, "review", "sentiment")


def test_csv_bad_row_names_line(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("text,label\ngood,1\nbad,0,extra\n")
    with pytest.raises(DataFormatError, match=r"d.csv, line 3: expected 2 fields, found 3"):
        read_csv(p)


def test_csv_without_header_by_column_index(tmp_path):
    p = tmp_path / "emojify.csv"
    p.write_text('"never talk to me again",3\n"food is life",4,\n')
    with pytest.raises(DataFormatError, match=r"emojify.csv, line 2: expected 2 fields, found 3"):
        read_csv(p, 0, 1, header=False)
    p.write_text('"never talk to me again",3\n"food is life",4\n')
    assert read_csv(p, 0, 1, header=False) == (["never talk to me again", "food is life"], [3, 4])
    assert read_csv(p, 1, 0, header=False, label_type="str")[1] == [
        "never talk to me again",
        "food is life",
    ]
    with pytest.raises(ValueError, match=r"`text_column` must be a 0-based column index.*'text'"):
        read_csv(p, header=False)
    with pytest.raises(DataFormatError, match=r"line 1: text_column=0 / label_column=2 out of"):
        read_csv(p, 0, 2, header=False)


def test_jsonl_gz_and_errors(tmp_path):
    p = tmp_path / "d.jsonl.gz"
    with gzip.open(p, "wt") as fh:
        fh.write(
            json.dumps({"text": "fine", "label": 1})
            + "\n\n"
            + json.dumps({"text": "poor", "label": 0})
            + "\n"
        )
    assert read_jsonl(p) == (["fine", "poor"], [1, 0])
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "label": 1}\n{"text": "b"}\n')
    with pytest.raises(DataFormatError, match=r"bad.jsonl, line 2: missing field 'label'"):
        read_jsonl(bad)
    bad.write_text('{"text": "a", "label": 1}\nnot json\n')
    with pytest.raises(DataFormatError, match=r"line 2: not valid JSON"):
        read_jsonl(bad)


def test_folder_per_class(tmp_path):
    for label, texts in {"neg": ["awful"], "pos": ["lovely", "superb"]}.items():
        (tmp_path / label).mkdir()
        for i, t in enumerate(texts):
            (tmp_path / label / f"{i}.txt").write_text(t)
    assert read_folder(tmp_path) == (["awful", "lovely", "superb"], ["neg", "pos", "pos"])
    with pytest.raises(ValueError, match="no class sub-folders"):
        read_folder(tmp_path / "neg")


def test_fasttext_format(tmp_path):
    p = tmp_path / "ft.txt"
    p.write_text("__label__pos a fine film\n__label__neg dull\n")
    assert read_fasttext(p) == (["a fine film", "dull"], ["pos", "neg"])
    p.write_text("__label__pos ok\nno label here\n")
    with pytest.raises(DataFormatError, match=r"ft.txt, line 2"):
        read_fasttext(p)


def test_gensim_shipped_file_resolves():
    path = resolve_data_path("gensim:pang_lee_polarity.cor")
    with pytest.raises(
        DataFormatError, match=r"pang_lee_polarity.cor, line \d+: not valid utf-8.*encoding="
    ):
        read_fasttext(path)
    texts, labels = read_fasttext(path, encoding="cp1252")
    assert len(texts) == 200 and set(labels) == {"pos", "neg"}
    with pytest.raises(FileNotFoundError, match="Data not found"):
        resolve_data_path("gensim:no-such-file.txt")


def test_tfds_offline_says_how_to_provide(tmp_path):
    with pytest.raises(OfflineError, match="not prepared.*download=True.*data_dir="):
        read_tfds("imdb_reviews", data_dir=tmp_path)
