"""The README's Python example must run as written."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_classification_example_runs(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README has no python example"
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    assert namespace["clf"].predict(["what a wonderful story"]) == ["pos"]
    assert (tmp_path / "saved_models" / "classifier" / "1" / "saved_model.pb").is_file()
    assert (tmp_path / "my_classifier" / "config.json").is_file()
    assert [s.decode() for s in namespace["out"]["label"].numpy()][0] == "pos"
