import pytest

from nlpkit.utils.files import atomic_directory, next_version_dir


def test_atomic_directory_replaces_only_on_success(tmp_path):
    target = tmp_path / "out"
    with atomic_directory(target) as d:
        (d / "a").write_text("1")
    assert (target / "a").read_text() == "1"
    with pytest.raises(KeyboardInterrupt):
        with atomic_directory(target) as d:
            (d / "a").write_text("2")
            raise KeyboardInterrupt
    assert (target / "a").read_text() == "1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    with atomic_directory(target) as d:
        (d / "b").write_text("3")
    assert sorted(p.name for p in target.iterdir()) == ["b"]


def test_next_version_dir(tmp_path):
    assert next_version_dir(tmp_path / "m") == tmp_path / "m" / "1"
    (tmp_path / "m" / "1").mkdir(parents=True)
    (tmp_path / "m" / "7").mkdir()
    (tmp_path / "m" / "notes").mkdir()
    assert next_version_dir(tmp_path / "m").name == "8"
