"""pytest settings for the docstring examples in nlpkit/ (collected with --doctest-modules, see
pyproject.toml): each runs in its own temporary folder, and the few that train a model or parse
music21's corpus are marked `slow` (run them with `pytest -m slow`)."""

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

#: Scripts, not test modules: --doctest-modules would import them, and they run their job at
#: import time (the worker trains; make_layout1.py rewrote the layout-1 fixtures in place).
collect_ignore = ["tests/training/_worker.py", "tests/pipelines/data/make_layout1.py"]

#: Doctests that train a Keras model or read music21's corpus: 5-20 s each on a 2-core CPU.
SLOW_DOCTESTS = {
    "nlpkit.pipelines.classifier.TextClassifier",
    "nlpkit.pipelines.classifier.SentimentClassifier",
    "nlpkit.pipelines.chargen.CharGenerator",
    "nlpkit.pipelines.music.MusicGenerator",
    "nlpkit.pipelines.tagger",
    "nlpkit.pipelines.tagger.EntityTagger",
    "nlpkit.pipelines.translator.Translator",
    "nlpkit.data.music.read_corpus",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if isinstance(item, pytest.DoctestItem) and item.name in SLOW_DOCTESTS:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _doctest_in_tmp_path(request, tmp_path, monkeypatch):
    """Docstring examples that write files (exports, MIDI) write them in a temporary folder."""
    if isinstance(request.node, pytest.DoctestItem):
        monkeypatch.chdir(tmp_path)
