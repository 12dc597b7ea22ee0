"""Bundled recipes: listed, found by name, installed with the package."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from nlpkit.cli import main
from nlpkit.recipes import bundled_dir, find_recipe, list_recipes

ROOT = Path(__file__).resolve().parents[2]


def test_bundled_recipes_are_the_pipelines_folder():
    assert bundled_dir() == ROOT / "pipelines"
    assert set(list_recipes()) == {p.stem for p in (ROOT / "pipelines").glob("*.toml")}


def test_find_recipe_by_name_or_path(tmp_path, monkeypatch):
    assert find_recipe("sentiment") == ROOT / "pipelines" / "sentiment.toml"
    assert find_recipe("sentiment.toml") == ROOT / "pipelines" / "sentiment.toml"
    own = tmp_path / "sentiment.toml"
    own.write_text('task = "classification"\n')
    monkeypatch.chdir(tmp_path)
    assert find_recipe("sentiment.toml") == Path("sentiment.toml")  # a file here wins
    with pytest.raises(
        FileNotFoundError,
        match=r"'sentimnet' does not exist.*Did you mean 'sentiment'\?.*Bundled recipes: .*ner-sample",
    ):
        find_recipe("sentimnet")


def test_cli_lists_recipes_and_reports_unknown_names(capsys):
    assert main(["recipes"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(list_recipes())
    sentiment = next(line for line in lines if line.startswith("sentiment "))
    assert sentiment.split()[1] == "classification" and "no network" in sentiment
    assert main(["run", "sentimnet"]) == 2
    assert "Did you mean 'sentiment'?" in capsys.readouterr().err
    # `nlpkit run NAME` reads the bundled file (the bad override is refused before training)
    assert main(["run", "sentiment", "--set", "fit.epochs=abc"]) == 2
    err = capsys.readouterr().err
    assert (
        f"{ROOT / 'pipelines' / 'sentiment.toml'}: `fit.epochs` in [fit] must be an integer" in err
    )


@pytest.mark.slow
def test_wheel_installs_the_recipes(tmp_path):
    """`pip wheel .` puts pipelines/*.toml into nlpkit/recipes/bundled/ (needs setuptools>=68
    from the package index for the build, hence slow/opt-in)."""
    if shutil.which("git") is None:
        pytest.skip("git not found")
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    if out.returncode != 0:
        pytest.skip(f"could not build a wheel here: {out.stderr[-300:]}")
    (wheel,) = tmp_path.glob("nlpkit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"nlpkit/recipes/bundled/{p.name}" for p in (ROOT / "pipelines").glob("*.toml")}
    assert expected <= names
    assert "nlpkit/recipes/schema.py" in names
