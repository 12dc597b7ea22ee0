"""Serving exported nlpkit models: TensorFlow Serving's REST API and a demo page.

- `ModelServer` / `serve`: the HTTP server (Starlette + uvicorn, extra `serve`);
- `ServedModel`, `resolve_savedmodel`, `discover_models`: finding and calling SavedModels;
- `Batcher`: server-side batching of concurrent requests.

See docs/serving.md.
"""

from __future__ import annotations

import importlib

__all__ = [
    "ModelServer",
    "ServerConfig",
    "serve",
    "running_server",
    "Limits",
    "ServedModel",
    "RequestError",
    "resolve_savedmodel",
    "discover_models",
    "detect_task",
    "Batcher",
]

_LAZY = {
    "ModelServer": "nlpkit.serving.app",
    "ServerConfig": "nlpkit.serving.app",
    "serve": "nlpkit.serving.app",
    "running_server": "nlpkit.serving.app",
    "Limits": "nlpkit.serving.rest",
    "ServedModel": "nlpkit.serving.models",
    "RequestError": "nlpkit.serving.models",
    "resolve_savedmodel": "nlpkit.serving.models",
    "discover_models": "nlpkit.serving.models",
    "detect_task": "nlpkit.serving.models",
    "Batcher": "nlpkit.serving.batching",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'nlpkit.serving' has no attribute {name!r}")
