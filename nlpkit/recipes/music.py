"""`task = "music"` recipes: read music21 scores or JSB Chorales, fit a `MusicGenerator`,
generate a MIDI file, save and export.

`[data]`: `source` = "corpus" (music21's bundled corpus: `query`, `limit`), "files" (`paths`) or
"jsb" (`path` to the JSB JSON, `train_split`, `validation_split`); `validation_fraction` for
corpus and files. `stream = true` (files and jsb) streams the training files through `fit`
instead of reading them into memory: `paths` (files, folders or globs; no validation split), or
the JSB file's `train` split (its `validation_split` is read into memory). `[generate]`: `MusicGenerator.generate` arguments and `midi` (output file).
"""

from __future__ import annotations

import os
from typing import Any

from nlpkit.recipes.common import (
    resolve_path,
    save_and_export,
    stream_source,
    timed_fit,
    validated,
)
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
    stream = bool(data.get("stream", False))
    if stream:
        train, valid = _stream_data(data, source, recipe_path)
    elif source == "jsb":
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
        "training_pieces": gen.card_["pieces"] if stream else len(train),
        "fit_seconds": fit_seconds,
    }
    if stream:
        summary["train_data"] = "streamed"
    if valid:
        summary["validation"] = gen.evaluate(valid)
    g = dict(recipe.get("generate", {}))
    midi = g.pop("midi", "saved_models/music-sample.mid")
    g.setdefault("seed", int(recipe.get("seed", 0)))
    gen.save_midi(midi, **g)
    summary["midi"] = str(midi)
    return save_and_export(gen, recipe, summary)


def _stream_data(data: dict[str, Any], source: str, recipe_path):
    """`[data] stream = true`: what `fit` streams, and the validation pieces (in memory)."""
    from pathlib import Path

    from nlpkit.data import music as readers

    if source == "corpus":
        raise ValueError(
            f"{recipe_path}: [data] stream = true reads files: source = 'files' (`paths`) or "
            "'jsb' (`path`), not the music21 corpus."
        )
    if "validation_fraction" in data:
        raise ValueError(
            f"{recipe_path}: [data] stream = true does not split off validation pieces: leave "
            "out `validation_fraction`."
        )
    if source == "files":
        if not data.get("paths"):
            raise ValueError(f"{recipe_path}: [data] needs `paths` when source='files'.")
        return [Path(stream_source(p, recipe_path, "data.paths")) for p in data["paths"]], None
    if "path" not in data:
        raise ValueError(f"{recipe_path}: [data] needs `path` when source='jsb'.")
    if data.get("train_split", "train") != "train":
        raise ValueError(
            f"{recipe_path}: [data] stream = true trains on the JSB file's 'train' split. "
            f"Received: train_split={data['train_split']!r}"
        )
    path = resolve_path(data["path"], recipe_path, "data.path")
    valid = readers.read_jsb_json(path).get(data.get("validation_split", "valid"))
    return path, valid
