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


#: Folders whose test files share session-scoped fixtures (tests/serving/conftest.py fits and
#: exports the tiny models once): under pytest-xdist's `--dist loadfile` each runs on one worker.
SHARED_SESSION_FOLDERS = ("tests/serving/",)


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: ignored when xdist is not installed
def pytest_xdist_make_scheduler(config, log):
    """`make test` runs `-n 2 --dist loadfile`: every test file runs on one worker, so each
    module-scoped fitted pipeline is fitted once; here the files of a folder in
    `SHARED_SESSION_FOLDERS` also count as one, so its session fixtures are built once.
    (`--dist loadgroup` would need `xdist_group` marks, which pytest-xdist 3.8 cannot apply
    under pytest 9.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class _FolderAwareLoadFile(LoadFileScheduling):
        def _split_scope(self, nodeid):
            scope = super()._split_scope(nodeid)
            return next((f for f in SHARED_SESSION_FOLDERS if scope.startswith(f)), scope)

    return _FolderAwareLoadFile(config, log)


@pytest.fixture(autouse=True)
def _doctest_in_tmp_path(request, tmp_path, monkeypatch):
    """Docstring examples that write files (exports, MIDI) write them in a temporary folder."""
    if isinstance(request.node, pytest.DoctestItem):
        monkeypatch.chdir(tmp_path)
