"""`nlpkit info MODEL` and `nlpkit export SAVED_PIPELINE [DIR]`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nlpkit.serving.models import (
    ServedModel,
    is_saved_pipeline,
    list_versions,
    resolve_savedmodel,
)
from nlpkit.utils.files import read_json

__all__ = ["main", "export_main", "describe"]


def describe(path: str | Path) -> dict[str, Any]:
    """What `nlpkit info` prints: kind, versions, signatures, task, model card / configuration."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"MODEL {p} does not exist.")
    if is_saved_pipeline(p):
        meta = read_json(p / "config.json")
        card = read_json(p / "model_card.json") if (p / "model_card.json").is_file() else None
        return {
            "path": str(p),
            "kind": "saved_pipeline",
            "class": meta.get("class"),
            "nlpkit_version": meta.get("nlpkit_version"),
            "saved_at": meta.get("saved_at"),
            "config": meta.get("config"),
            "model_card": card,
            "files": sorted(f.name for f in p.iterdir()),
        }
    folder, version = resolve_savedmodel(p)
    model = ServedModel.load(p.name, p)
    base = folder.parent if version is not None else folder
    extra: dict[str, Any] = {}
    for sub in ("assets.extra", "assets"):
        for f in sorted((folder / sub).glob("*.json")) if (folder / sub).is_dir() else []:
            try:
                extra[f"{sub}/{f.name}"] = read_json(f)
            except (json.JSONDecodeError, UnicodeDecodeError):
                extra[f"{sub}/{f.name}"] = "(not valid JSON)"
    desc = model.describe()
    return {
        "path": str(folder),
        "kind": "savedmodel",
        "version": version,
        "versions": list_versions(base) if version is not None else [],
        "task": desc["task"],
        "labels": desc["labels"],
        "signatures": desc["signatures"],
        "metadata_files": extra,
    }


def main(args) -> int:
    print(json.dumps(describe(args.model), indent=2, default=str))
    return 0


def export_main(args) -> int:
    import nlpkit

    src = Path(args.saved_pipeline)
    if not is_saved_pipeline(src):
        raise ValueError(
            f"SAVED_PIPELINE {src} is not a saved pipeline folder (it needs config.json, as "
            "`pipeline.save(dir)` writes)."
        )
    pipeline = nlpkit.load(src)
    out = pipeline.export(args.dir)
    print(json.dumps({"saved_pipeline": str(src), "export": str(out)}))
    return 0
