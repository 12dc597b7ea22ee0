from pathlib import Path

import numpy as np
import pytest

from nlpkit.embeddings.recipe import run_recipe


def test_recipe_with_vectors_file(tmp_path):
    glove = tmp_path / "tiny.txt"
    glove.write_text(
        "man 1 0 0\nwoman 1 1 0\nking 1 0 1\nqueen 1 1 1\nhe 0.9 -0.2 0\nshe 0.9 0.8 0\nnurse 0.2 0.5 0.3\n"
    )
    recipe = {
        "task": "embeddings",
        "vectors": {"source": str(glove)},
        "analysis": {
            "neighbours": ["king", "zebra"],
            "analogies": [["man", "king", "woman"], ["man", "kong", "woman"]],
            "vocabulary": ["King", "zebra"],
            "debias_words": ["nurse"],
        },
    }
    out = run_recipe(recipe, tmp_path / "r.toml")
    assert out["vectors"]["words"] == 7 and out["vectors"]["dim"] == 3
    assert out["analogies"]["man : king :: woman : ?"] == "queen"
    assert "not in the vocabulary" in out["analogies"]["man : kong :: woman : ?"]
    assert out["neighbours"]["zebra"] == "not in the vocabulary"
    assert out["oov_report"].startswith("OOV 1/2 words (50.0%)")
    before, after = out["debias_projection"]["nurse"]
    assert abs(before) > 0.1 and abs(after) < 1e-3


def test_recipe_trains_and_saves(tmp_path):
    corpus = tmp_path / "corpus.txt"
    rng = np.random.default_rng(0)
    corpus.write_text("\n".join(" ".join(rng.choice(list("abcdef"), 8)) + "." for _ in range(50)))
    save = tmp_path / "out" / "vectors.kv"
    recipe = {
        "task": "embeddings",
        "train": {"method": "word2vec", "corpus": "corpus.txt", "save": str(save),
                  "options": {"vector_size": 6, "min_count": 1, "epochs": 1}},
        "analysis": {"neighbours": ["a"]},
    }  # fmt: skip
    out = run_recipe(recipe, tmp_path / "recipe.toml")  # corpus path relative to the recipe
    assert out["vectors"]["words"] == 6 and Path(out["vectors"]["saved"]).exists()
    assert len(out["neighbours"]["a"]) == 5
    with pytest.raises(
        ValueError, match=r"`train.method` must be one of .*Received: train.method='bert'"
    ):
        run_recipe({"train": {"method": "bert"}}, tmp_path / "r.toml")
