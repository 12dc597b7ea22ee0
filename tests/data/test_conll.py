"""CoNLL reader/writer: 4-column CoNLL-2003, 2-column files, errors naming file and line."""

import pytest

from nlpkit.data.conll import read_conll, write_conll
from nlpkit.errors import DataFormatError

CONLL2003 = """-DOCSTART- -X- -X- O

EU NNP B-NP I-ORG
rejects VBZ B-VP O
German JJ B-NP I-MISC
call NN I-NP O

Peter NNP B-NP I-PER
Blackburn NNP I-NP I-PER
-DOCSTART- -X- -X- O
BRUSSELS NNP B-NP I-LOC
"""


def test_read_conll2003(tmp_path):
    p = tmp_path / "train.txt"
    p.write_text(CONLL2003)
    x, y = read_conll(p)
    assert x == [["EU", "rejects", "German", "call"], ["Peter", "Blackburn"], ["BRUSSELS"]]
    assert y == [["I-ORG", "O", "I-MISC", "O"], ["I-PER", "I-PER"], ["I-LOC"]]
    _, chunks = read_conll(p, tag_column=2)
    assert chunks[0] == ["B-NP", "B-VP", "B-NP", "I-NP"]


@pytest.mark.parametrize("sep", ["\t", " "])
def test_two_columns_and_round_trip(tmp_path, sep):
    sents = [["John", "lives", "in", "New", "York"], ["Hi"]]
    tags = [["B-PER", "O", "O", "B-LOC", "I-LOC"], ["O"]]
    p = write_conll(tmp_path / "a.txt", sents, tags, separator=sep)
    assert sep in p.read_text().splitlines()[0]
    assert read_conll(p) == (sents, tags)
    p3 = write_conll(tmp_path / "b.txt", sents, tags, predictions=tags)
    assert p3.read_text().splitlines()[0] == "John B-PER B-PER"
    assert read_conll(p3, tag_column=1) == (sents, tags)


def test_wrong_column_count_names_file_and_line(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_text("a NN O\nb NN O\n\nc O\n")
    with pytest.raises(DataFormatError, match=r"bad\.txt, line 4: expected 3 columns"):
        read_conll(p)


def test_bad_tag_names_file_and_line(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_text("a O\nb X-PER\n")
    with pytest.raises(DataFormatError, match=r"bad\.txt, line 2: Tag 'X-PER' is not a valid tag"):
        read_conll(p)


def test_other_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_conll(tmp_path / "missing.txt")
    p = tmp_path / "one.txt"
    p.write_text("word\n")
    with pytest.raises(DataFormatError, match="line 1: expected at least 2 columns"):
        read_conll(p)
    with pytest.raises(ValueError, match="same length"):
        write_conll(tmp_path / "w.txt", [["a", "b"]], [["O"]])
    with pytest.raises(ValueError, match="cannot be empty or contain whitespace"):
        write_conll(tmp_path / "w.txt", [["a b"]], [["O"]])


@pytest.mark.slow
def test_real_conll2003_counts():
    import os
    from pathlib import Path

    from nlpkit.text.tags import get_spans

    root = Path(
        os.environ.get("NLPKIT_DATA", Path(__file__).resolve().parents[3] / "shared" / "data")
    )
    path = root / "ner" / "conll2003" / "train.txt"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    x, y = read_conll(path)
    assert len(x) == 14041 and sum(map(len, x)) == 203621
    assert sum(len(get_spans(t)) for t in y) == 23499
