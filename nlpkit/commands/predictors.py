"""One interface over a saved pipeline folder and an exported SavedModel, for the commands.

`open_model(path)` returns a `Predictor` whose `records(texts, **options)` yields one JSON-safe
dict per input: the label and probabilities (classification), entity spans with character offsets
(NER), the translation, or generated samples. The same records come from a saved pipeline (through
its public `predict` / `generate`) and from its export (through the SavedModel's signatures).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from nlpkit.serving.models import ServedModel, is_saved_pipeline, resolve_savedmodel, to_json_value

__all__ = ["Predictor", "PipelinePredictor", "SavedModelPredictor", "open_model", "GENERATORS"]

GENERATORS = ("chargen", "music")

_CLASS_TASKS = {
    "TextClassifier": "classification",
    "SentimentClassifier": "classification",
    "EntityTagger": "ner",
    "Translator": "translation",
    "CharGenerator": "chargen",
    "MusicGenerator": "music",
}


class Predictor:
    """What the commands need from a model: its task and `records(...)`."""

    task: str = "unknown"
    kind: str = ""
    path: Path

    def records(self, texts: list[str], **options) -> list[dict[str, Any]]:  # pragma: no cover
        raise NotImplementedError

    def samples(self, n: int, **options) -> list[dict[str, Any]]:  # pragma: no cover
        raise NotImplementedError


def open_model(path: str | os.PathLike) -> Predictor:
    """Open a saved pipeline folder or a SavedModel (a version folder or its parent).

    Raises:
        FileNotFoundError: `path` does not exist.
        ValueError: `path` is neither a saved pipeline nor a SavedModel.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"MODEL {p} does not exist.")
    if is_saved_pipeline(p):
        return PipelinePredictor(p)
    try:
        resolve_savedmodel(p)
    except ValueError as e:
        raise ValueError(
            f"MODEL {p} is neither a saved pipeline (a folder with config.json, written by "
            "`pipeline.save`) nor an exported SavedModel (saved_model.pb, or numbered versions "
            "of one)."
        ) from e
    return SavedModelPredictor(p)


def _entity(start: int, end: int, label: str, text: str) -> dict[str, Any]:
    return {"start": int(start), "end": int(end), "label": str(label), "text": str(text)}


# ---------------------------------------------------------------------------- saved pipelines
class PipelinePredictor(Predictor):
    kind = "saved_pipeline"

    def __init__(self, path: Path):
        import nlpkit

        self.path = path
        self.pipeline = nlpkit.load(path)
        self.task = _CLASS_TASKS.get(type(self.pipeline).__name__, "unknown")

    def records(self, texts, **options):
        pipe = self.pipeline
        if self.task == "classification":
            probs = pipe.predict_proba(texts)
            classes = [str(c) for c in pipe.classes_]
            out = []
            for t, row in zip(texts, probs, strict=True):
                i = int(np.argmax(row))
                out.append(
                    {
                        "text": t,
                        "label": classes[i],
                        "probabilities": {c: float(p) for c, p in zip(classes, row, strict=True)},
                    }
                )
            return out
        if self.task == "ner":
            return [
                {
                    "text": t,
                    "entities": [_entity(e.start_char, e.end_char, e.label, e.text) for e in ents],
                }
                for t, ents in zip(texts, pipe.predict(texts), strict=True)
            ]
        if self.task == "translation":
            return [
                {"text": t, "translation": tr}
                for t, tr in zip(texts, pipe.predict(texts), strict=True)
            ]
        if self.task == "chargen":
            return [
                {
                    "prompt": t,
                    "text": pipe.generate(
                        prompt=t,
                        n=1,
                        max_length=options.get("max_length"),
                        temperature=options.get("temperature", 1.0),
                        seed=options.get("seed"),
                    )[0],
                }
                for t in texts
            ]
        raise ValueError(
            f"`nlpkit predict` reads text inputs for classification, NER, translation and chargen "
            f"models; {type(pipe).__name__} takes none: use --samples N to generate."
        )

    def samples(self, n, **options):
        pipe = self.pipeline
        seed = options.get("seed")
        if self.task == "chargen":
            texts = pipe.generate(
                prompt="",
                n=n,
                max_length=options.get("max_length"),
                temperature=options.get("temperature", 1.0),
                seed=seed,
            )
            return [{"prompt": "", "text": t} for t in texts]
        if self.task == "music":
            out = []
            for i in range(n):
                events = pipe.generate_events(
                    None,
                    max_length=options.get("max_length") or 64,
                    temperature=options.get("temperature", 1.0),
                    seed=None if seed is None else seed + i,
                )
                roll = pipe.representation == "piano_roll"
                out.append(_music_record(events, pipe.step_length if roll else None))
            return out
        raise ValueError(
            f"--samples is for generators (chargen, music); this is a {self.task} model."
        )


def _music_record(events, step_length: float | None = None) -> dict[str, Any]:
    """Tokens, or the piano roll as the keys on at each step (0 = A0, MIDI pitch 21) with the
    step's length in quarter notes (`step_length`, None when the export does not record it)."""
    if isinstance(events, np.ndarray):
        return {
            "piano_roll": [[int(k) for k in np.flatnonzero(step)] for step in events],
            "step_length": step_length,
        }
    return {"tokens": [str(t) for t in events]}


# ---------------------------------------------------------------------------- SavedModels
class SavedModelPredictor(Predictor):
    kind = "savedmodel"

    def __init__(self, path: Path):
        self.model = ServedModel.load(Path(path).name, path)
        self.path = self.model.path
        self.task = self.model.task

    def _call(self, texts: list[str]) -> dict[str, np.ndarray]:
        sig = self.model.signatures[self.model.task_signature]
        (name,) = [k for k, t in sig.inputs.items() if t.dtype == "string"]
        return self.model.run(sig.name, self.model.to_arrays(sig, {name: texts}))

    def records(self, texts, **options):
        task = self.task
        if task == "classification":
            out = self._call(texts)
            labels = self.model.labels or [str(i) for i in range(out["scores"].shape[1])]
            return [
                {
                    "text": t,
                    "label": to_json_value(lab),
                    "probabilities": {c: float(p) for c, p in zip(labels, row, strict=True)},
                }
                for t, lab, row in zip(texts, out["label"], out["scores"], strict=True)
            ]
        if task == "ner":
            out = self._call(texts)
            recs = []
            for i, t in enumerate(texts):
                n = int(out["entity_counts"][i])
                recs.append(
                    {
                        "text": t,
                        "entities": [
                            _entity(
                                out["entity_starts"][i][j],
                                out["entity_ends"][i][j],
                                to_json_value(out["entity_labels"][i][j]),
                                to_json_value(out["entity_texts"][i][j]),
                            )
                            for j in range(n)
                        ],
                    }
                )
            return recs
        if task == "translation":
            out = self._call(texts)
            return [
                {"text": t, "translation": to_json_value(tr)}
                for t, tr in zip(texts, out["translation"], strict=True)
            ]
        if task == "chargen":
            return self._generate_text(texts, **options)
        raise ValueError(
            f"`nlpkit predict` reads text inputs for classification, NER, translation and chargen "
            f"models; this SavedModel is a {task} model: use --samples N to generate."
        )

    def _generate_text(self, prompts, **options):
        sig = self.model.signatures[self.model.task_signature]
        seed = options.get("seed")
        inputs = {
            "prompts": prompts,
            "max_length": options.get("max_length") or 100,
            "temperature": options.get("temperature", 1.0),
            "seed": 0 if seed is None else seed,
        }
        out = self.model.run(sig.name, self.model.to_arrays(sig, inputs))
        return [
            {"prompt": p, "text": to_json_value(t)}
            for p, t in zip(prompts, out["text"], strict=True)
        ]

    def samples(self, n, **options):
        if self.task == "chargen":
            return self._generate_text([""] * n, **options)
        if self.task == "music":
            sig = self.model.signatures[self.model.task_signature]
            primer = sig.inputs["primer"]
            shape = (n, 0) if len(primer.shape) == 2 else (n, 0, primer.shape[2])
            seed = options.get("seed")
            inputs = {
                "primer": np.zeros(shape, np.dtype(primer.dtype)),
                # `max_length`; exports written before nlpkit 0.2 call it `steps`
                ("max_length" if "max_length" in sig.inputs else "steps"): (
                    options.get("max_length") or 64
                ),
                "temperature": options.get("temperature", 1.0),
                "seed": 0 if seed is None else seed,
            }
            out = self.model.run(sig.name, self.model.to_arrays(sig, inputs))
            if "tokens" in out:
                return [_music_record([to_json_value(t) for t in row]) for row in out["tokens"]]
            step = (self.model.music or {}).get("step_length")
            return [_music_record(np.asarray(r), step) for r in out["piano_roll"]]
        raise ValueError(
            f"--samples is for generators (chargen, music); this is a {self.task} model."
        )
