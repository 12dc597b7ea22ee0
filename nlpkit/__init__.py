"""nlpkit: applied NLP on TensorFlow and Keras 3.

Task pipelines share one contract (`fit` / `evaluate` / `predict` / `save` / `load` / `export`):

- `TextClassifier` (and its binary preset `SentimentClassifier`)
- `EntityTagger` (BiLSTM-CRF named-entity recognition)
- `CharGenerator` (character-level language models)
- `MusicGenerator` (language models over musical events)
- `Translator` (encoder-decoder with attention)

Pipelines are imported lazily so that `import nlpkit` stays cheap.
"""

from __future__ import annotations

import importlib

from nlpkit._version import __version__
from nlpkit.errors import (
    DataFormatError,
    IntegrityError,
    MissingDependencyError,
    NotFittedError,
    OfflineError,
)

_LAZY = {
    "TextClassifier": "nlpkit.pipelines.classifier",
    "SentimentClassifier": "nlpkit.pipelines.classifier",
    "EntityTagger": "nlpkit.pipelines.tagger",
    "CharGenerator": "nlpkit.pipelines.chargen",
    "MusicGenerator": "nlpkit.pipelines.music",
    "Translator": "nlpkit.pipelines.translator",
    "Pipeline": "nlpkit.pipelines.base",
    "load": "nlpkit.pipelines.base",
}

__all__ = [
    "__version__",
    "DataFormatError",
    "IntegrityError",
    "MissingDependencyError",
    "NotFittedError",
    "OfflineError",
    *_LAZY,
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'nlpkit' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
