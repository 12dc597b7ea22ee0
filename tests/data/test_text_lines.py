import pytest

from nlpkit.data.text_lines import iter_text_chunks, read_lines, read_text
from nlpkit.errors import DataFormatError


def test_read_lines_strips_and_skips(tmp_path):
    p = tmp_path / "names.txt"
    p.write_bytes(b"Anna\r\n  Bob \n\nCarl")
    assert read_lines(p) == ["Anna", "Bob", "Carl"]
    assert read_lines(p, strip=False, skip_empty=False) == ["Anna", "  Bob ", "", "Carl"]


def test_read_text_normalises_newlines(tmp_path):
    p = tmp_path / "t.txt"
    p.write_bytes("to be\r\nor not\rto bé\n".encode())
    assert read_text(p) == "to be\nor not\nto bé\n"


def test_undecodable_byte_names_file_and_line(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_bytes(b"ok\nfine\nbad \xff byte\n")
    with pytest.raises(
        DataFormatError, match=r"bad\.txt, line 3: not valid utf-8 text: cannot decode"
    ):
        read_lines(p)
    with pytest.raises(DataFormatError, match=r"bad\.txt, line 3"):
        read_text(p)
    with pytest.raises(DataFormatError, match=r"bad\.txt, line 3"):
        list(iter_text_chunks(p, 4))


def test_chunks_concatenate_to_whole_text(tmp_path):
    p = tmp_path / "t.txt"
    text = "".join(f"line {i}\n" for i in range(50))
    p.write_text(text, encoding="utf-8")
    chunks = list(iter_text_chunks(p, 30))
    assert len(chunks) > 5
    assert "".join(chunks) == text


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_lines(tmp_path / "nope.txt")
