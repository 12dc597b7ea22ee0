"""`task = "music"` recipes: read music21 scores or JSB Chorales, fit a `MusicGenerator`,
generate a MIDI file, save and export.

`[data]`: `source` = "corpus" (music21's bundled corpus: `query`, `limit`), "files" (`paths`) or
"jsb" (`path` to the JSB JSON, `train_split`, `validation_split`); `validation_fraction` for
corpus and files. `[generate]`: `MusicGenerator.generate` arguments and `midi` (output file).
"""

from __future__ import annotations

import os
from typing import Any

from nlpkit.recipes.common import resolve_path, save_and_export, timed_fit, validated
from nlpkit.utils.validation import check_choice

__all__ = ["run_recipe"]


def run_recipe(recipe: dict[str, Any], recipe_path: str | os.PathLike | None = None) -> dict:
    """Run a music recipe (see `pipelines/music-bach.toml`, `pipelines/music-jsb.toml`).

    Returns:
        A summary: pieces, validation metrics, the MIDI file written, paths written.
    """
    recipe = validated(recipe, "music", recipe_path)
    from nlpkit.data import music as readers
    from nlpkit.pipelines.music import MusicGenerator

    data = dict(recipe.get("data", {}))
    source = check_choice("data.source", data.get("source", "corpus"), ("corpus", "files", "jsb"))
    if source == "jsb":
        if "path" not in data:
            raise ValueError(f"{recipe_path}: [data] needs `path` when source='jsb'.")
        splits = readers.read_jsb_json(resolve_path(data["path"], recipe_path, "data.path"))
        train = splits[data.get("train_split", "train")]
        valid = splits.get(data.get("validation_split", "valid"))
    else:
        if source == "corpus":
            scores = readers.read_corpus(
                data.get("query", "bach/chorales"), limit=data.get("limit")
            )
        else:
            paths = [resolve_path(p, recipe_path, "data.paths") for p in data.get("paths", [])]
            scores = readers.read_music(paths)
        frac = float(data.get("validation_fraction", 0.1))
        n_val = int(round(len(scores) * frac)) if len(scores) > 1 else 0
        train, valid = scores[n_val:], (scores[:n_val] or None)
    model_cfg = dict(recipe.get("model", {}))
    model_cfg.setdefault("seed", int(recipe.get("seed", 0)))
    gen = MusicGenerator(**model_cfg)
    fit_seconds = timed_fit(gen, recipe, train, validation_data=valid)
    summary: dict[str, Any] = {
        "task": "music",
        "recipe": str(recipe_path),
        "training_pieces": len(train),
        "fit_seconds": fit_seconds,
    }
    if valid:
        summary["validation"] = gen.evaluate(valid)
    g = dict(recipe.get("generate", {}))
    midi = g.pop("midi", "saved_models/music-sample.mid")
    g.setdefault("seed", int(recipe.get("seed", 0)))
    gen.save_midi(midi, **g)
    summary["midi"] = str(midi)
    return save_and_export(gen, recipe, summary)
