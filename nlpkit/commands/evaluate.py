"""`nlpkit evaluate MODEL DATA`: the task's metrics as JSON (see `nlpkit evaluate --help`).

A saved pipeline is scored by its own `evaluate`; a SavedModel by its signatures' outputs with the
same metric functions (`nlpkit.metrics`): accuracy and macro-F1 (classification), conlleval entity
P/R/F1 (NER, through the `tag_tokens`-style signature that takes token lists), BLEU/chrF/exact
match/token accuracy (translation), nats and bits per character (chargen, `score` signature),
and for music `MusicGenerator.evaluate`'s metrics (NLL per step and per event, bits, perplexity,
next-event accuracy for tokens; NLL and bits per step for piano rolls) from the export's `score`
signature through `nlpkit.metrics.music.music_metrics`. Music DATA is read with the music
recipe's readers: MIDI/MusicXML/ABC files or a folder of them (`read_music`), or the JSB Chorales
JSON (`read_jsb_json`, one split).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from nlpkit.commands.predictors import PipelinePredictor, SavedModelPredictor, open_model

__all__ = ["main", "read_data"]


def read_data(task: str, args) -> tuple[Any, Any]:
    """Read DATA for `task` with nlpkit's readers; return `(x, y)` (`y` None for chargen)."""
    path = Path(args.data)
    if not path.exists():
        raise FileNotFoundError(f"DATA {path} does not exist.")
    if task == "classification":
        from nlpkit.data import classification as readers

        fmt = args.format
        if fmt is None:
            name = path.name.lower().removesuffix(".gz")
            fmt = (
                "folder"
                if path.is_dir()
                else "jsonl"
                if name.endswith((".jsonl", ".json"))
                else "tsv"
                if name.endswith(".tsv")
                else "fasttext"
                if name.endswith(".txt")
                else "csv"
            )
        if fmt in ("csv", "tsv"):
            return readers.read_csv(path, args.text_column, args.label_column)
        if fmt == "jsonl":
            return readers.read_jsonl(path, args.text_column, args.label_column)
        if fmt == "folder":
            return readers.read_folder(path)
        return readers.read_fasttext(path)
    if task == "ner":
        from nlpkit.data.conll import read_conll

        return read_conll(path, tag_column=args.tag_column)
    if task == "translation":
        from nlpkit.data.parallel import read_parallel

        return read_parallel(path, args.target)
    if task == "chargen":
        from nlpkit.data.text_lines import read_lines

        return read_lines(path), None
    if task == "music":
        return _read_music(path, args.split), None
    raise ValueError(
        f"`nlpkit evaluate` supports classification, NER, translation, chargen and music models; "
        f"{args.model} is a {task} model (use the pipeline's `evaluate` in Python)."
    )


def _read_music(path: Path, split: str | None) -> list:
    """Pieces as the music recipe reads them: the JSB Chorales JSON (`.json`, one split: `split`,
    else 'test', else 'valid') or MIDI/MusicXML/ABC files (a file or a folder)."""
    from nlpkit.data import music as readers

    if path.is_file() and path.name.lower().endswith(".json"):
        splits = readers.read_jsb_json(path)
        name = split or next((s for s in ("test", "valid") if s in splits), None)
        if name not in splits:
            raise ValueError(
                f"--split must name a split of {path}: one of {sorted(splits)}. "
                f"Received: --split {split}"
            )
        return splits[name]
    if split is not None:
        raise ValueError(
            f"--split is for the JSB Chorales JSON; {path} is read as music files. "
            f"Received: --split {split}"
        )
    return readers.read_music(path)


def _music_metrics(model: SavedModelPredictor, x) -> dict[str, float]:
    """`MusicGenerator.evaluate`'s metrics from the export's `score` signature: the pieces are
    converted with the exported configuration (`assets.extra/config.json`), as the pipeline
    converts them, then scored 64 at a time."""
    from nlpkit.data.music_events import NUM_KEYS
    from nlpkit.metrics.music import music_metrics
    from nlpkit.pipelines.music import MusicGenerator
    from nlpkit.utils.files import read_json

    served = model.model
    sig = served.signatures.get("score")
    if sig is None or "log_likelihood" not in sig.outputs:
        raise ValueError(
            f"The music SavedModel {served.path} has no `score` signature (it was exported before "
            "nlpkit could evaluate music exports). Export the saved pipeline again with "
            "`nlpkit export`, or evaluate the saved pipeline folder."
        )
    tokens = "events" in sig.inputs
    meta = served.path / "assets.extra" / "config.json"
    config = dict(read_json(meta).get("config", {})) if meta.is_file() else {}
    config["representation"] = "tokens" if tokens else "piano_roll"
    pieces = MusicGenerator.from_config(config)._as_pieces(x, "DATA")
    total, steps, correct = 0.0, 0, 0
    for start in range(0, len(pieces), 64):
        chunk = pieces[start : start + 64]
        width = max(len(p) for p in chunk)
        if tokens:
            inputs = {"events": [list(p) + [""] * (width - len(p)) for p in chunk]}
        else:
            roll = np.zeros((len(chunk), width, NUM_KEYS), np.float32)
            for i, p in enumerate(chunk):
                roll[i, : len(p)] = p
            inputs = {"piano_roll": roll, "lengths": [len(p) for p in chunk]}
        out = served.run(sig.name, served.to_arrays(sig, inputs))
        total -= float(out["log_likelihood"].astype(np.float64).sum())
        steps += int(out["num_steps"].sum())
        if tokens:
            correct += int(out["num_correct"].sum())
    representation = config["representation"]
    return music_metrics(representation, total, steps, len(pieces), correct if tokens else None)


def _savedmodel_metrics(model: SavedModelPredictor, x, y) -> dict[str, float]:
    served = model.model
    task = model.task
    if task == "classification":
        from nlpkit.metrics.classification import classification_report

        out = model._call(list(x))
        labels = served.labels or [str(i) for i in range(out["scores"].shape[1])]
        index = {c: i for i, c in enumerate(labels)}
        unknown = sorted({str(v) for v in y} - set(index))
        if unknown:
            raise ValueError(
                f"DATA has labels the model does not know: {unknown[:10]}. Model labels: {labels}"
            )
        true = [index[str(v)] for v in y]
        report = classification_report(true, out["scores"].argmax(-1), labels)
        p_true = np.clip(out["scores"][np.arange(len(true)), true], 1e-12, 1.0)
        report["loss"] = float(-np.mean(np.log(p_true)))
        return report
    if task == "ner":
        from nlpkit.metrics.entities import entity_scores

        sig = next(
            (s for s in served.signatures.values() if "tokens" in s.inputs and "tags" in s.outputs),
            None,
        )
        if sig is None:
            raise ValueError("This NER SavedModel has no signature that tags token lists.")
        preds = []
        for start in range(0, len(x), 64):
            chunk = x[start : start + 64]
            width = max((len(s) for s in chunk), default=0)
            padded = [list(s) + [""] * (width - len(s)) for s in chunk]
            tags = served.run(sig.name, served.to_arrays(sig, {"tokens": padded}))["tags"]
            preds += [
                [t.decode("utf-8") for t in row[: len(s)]]
                for row, s in zip(tags, chunk, strict=True)
            ]
        return entity_scores(y, preds)
    if task == "translation":
        from nlpkit.metrics.translation import translation_metrics

        hyps = []
        for start in range(0, len(x), 64):
            hyps += [r["translation"] for r in model.records(list(x[start : start + 64]))]
        return translation_metrics(hyps, list(y))
    if task == "chargen":
        from nlpkit.metrics.language_model import lm_metrics

        sig = next((s for s in served.signatures.values() if "log_likelihood" in s.outputs), None)
        if sig is None:
            raise ValueError("This chargen SavedModel has no `score` signature.")
        (name,) = list(sig.inputs)
        total, count = 0.0, 0
        for start in range(0, len(x), 64):
            out = served.run(sig.name, served.to_arrays(sig, {name: list(x[start : start + 64])}))
            total -= float(out["log_likelihood"].sum())
            count += int(out["num_chars"].sum())
        return lm_metrics(total, count)
    if task == "music":
        return _music_metrics(model, x)
    raise ValueError(f"`nlpkit evaluate` cannot score a {task} SavedModel.")


def main(args) -> int:
    model = open_model(args.model)
    x, y = read_data(model.task, args)
    if isinstance(model, PipelinePredictor):
        metrics = model.pipeline.evaluate(x, y)
    else:
        metrics = _savedmodel_metrics(model, x, y)
    print(
        json.dumps(
            {
                "model": str(model.path),
                "kind": model.kind,
                "task": model.task,
                "data": str(args.data),
                "examples": len(x),
                "metrics": {k: float(v) for k, v in metrics.items()},
            },
            indent=2,
        )
    )
    return 0
