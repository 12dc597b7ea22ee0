"""Relative data paths: beside the recipe first, then the current folder, the same for every task;
a missing path names every place looked at."""

import os

import pytest

from nlpkit.data.paths import candidate_paths, resolve_data_path
from nlpkit.recipes import run_recipe
from nlpkit.recipes.common import resolve_path


def test_recipe_folder_wins_over_the_current_folder(tmp_path, monkeypatch):
    recipes, cwd = tmp_path / "recipes", tmp_path / "work"
    (recipes / "data").mkdir(parents=True)
    (cwd / "data").mkdir(parents=True)
    (recipes / "data" / "x.txt").write_text("beside the recipe")
    (cwd / "data" / "x.txt").write_text("in the current folder")
    (cwd / "data" / "only-here.txt").write_text("cwd only")
    monkeypatch.chdir(cwd)
    recipe = recipes / "r.toml"
    assert resolve_path("data/x.txt", recipe).read_text() == "beside the recipe"
    assert resolve_path("data/only-here.txt", recipe).read_text() == "cwd only"
    assert resolve_path(cwd / "data" / "x.txt", recipe).read_text() == "in the current folder"
    assert candidate_paths("data/x.txt", recipes) == [recipes / "data/x.txt", cwd / "data/x.txt"]
    assert resolve_data_path("data/x.txt").read_text() == "in the current folder"


def test_not_found_names_the_key_and_every_place(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    recipe = tmp_path / "sub" / "r.toml"
    with pytest.raises(FileNotFoundError) as e:
        resolve_path("nope.csv", recipe, "data.train")
    msg = str(e.value)
    assert msg.startswith(f"{recipe}: `data.train`: Data not found: 'nope.csv'")
    assert f"looked at {tmp_path / 'sub' / 'nope.csv'}, {tmp_path / 'nope.csv'}" in msg


TASK_RECIPES = {
    "classification": ({"data": {"format": "csv", "train": "missing/d.csv"}}, "data.train"),
    "ner": ({"data": {"dir": "missing/conll"}}, "data.dir"),
    "chargen": ({"data": {"source": "file", "path": "missing/names.txt"}}, "data.path"),
    "music": ({"data": {"source": "jsb", "path": "missing/jsb.json"}}, "data.path"),
    "translation": ({"data": {"kind": "parallel", "path": "missing/corpus"}}, "data.path"),
    "embeddings": ({"train": {"method": "word2vec", "corpus": "missing/c.txt"}}, "train.corpus"),
}


@pytest.mark.parametrize("task", sorted(TASK_RECIPES))
def test_every_task_resolves_the_same_way(tmp_path, monkeypatch, task):
    if task == "music":
        pytest.importorskip("music21")
    recipe, key = TASK_RECIPES[task]
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "recipes" / "r.toml"
    value = next(iter(v for v in recipe[key.split(".")[0]].values() if "missing" in str(v)))
    with pytest.raises(FileNotFoundError) as e:
        run_recipe({"task": task, **recipe}, path)
    msg = str(e.value)
    assert f"`{key}`" in msg and str(path) in msg
    assert os.fspath(tmp_path / "recipes" / value) in msg and os.fspath(tmp_path / value) in msg
