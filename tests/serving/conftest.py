"""Fixtures for the serving and command tests: tiny exported models and a running server."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "nlpkit_tests_tiny_models", Path(__file__).with_name("tiny_models.py")
)
tiny_models = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = tiny_models
_spec.loader.exec_module(tiny_models)


@pytest.fixture(scope="session")
def model_root(tmp_path_factory) -> Path:
    """Sentiment and NER models, saved (`saved/<name>`) and exported (`models/<name>/1`)."""
    return tiny_models.build_models(tmp_path_factory.mktemp("serving"), ("sentiment", "ner"))


@pytest.fixture(scope="session")
def generator_root(tmp_path_factory) -> Path:
    """Character and music generators (tokens, and a piano roll of half-quarter-note steps),
    saved and exported (a few seconds each)."""
    return tiny_models.build_models(
        tmp_path_factory.mktemp("generators"), ("chargen", "music", "music_roll")
    )


@pytest.fixture(scope="session")
def server(model_root):
    """One server for the session over the sentiment and NER exports, with small limits.

    Yields `(client, ModelServer)`; the client is an `httpx.Client` on the server's URL.
    """
    httpx = pytest.importorskip("httpx")
    pytest.importorskip("starlette")
    pytest.importorskip("uvicorn")
    from nlpkit.serving.app import ServerConfig, running_server
    from nlpkit.serving.rest import Limits

    limits = Limits(
        max_body_bytes=4_000, max_instances=8, max_input_length=200, max_generate_steps=50
    )
    config = ServerConfig(port=0, batch_window_ms=30.0, max_batch_size=16, limits=limits)
    with running_server(model_root / "models", config) as (url, srv):
        with httpx.Client(base_url=url, timeout=60) as client:
            yield client, srv
