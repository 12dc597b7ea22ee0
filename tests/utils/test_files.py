import json
import os
import signal
import subprocess
import sys
import time

import pytest

from nlpkit.utils import files
from nlpkit.utils.files import (
    atomic_directory,
    clean_leftovers,
    next_version_dir,
    recover_directory,
)


def test_atomic_directory_replaces_only_on_success(tmp_path):
    target = tmp_path / "out"
    with atomic_directory(target) as d:
        (d / "a").write_text("1")
    assert (target / "a").read_text() == "1"
    with pytest.raises(KeyboardInterrupt):
        with atomic_directory(target) as d:
            (d / "a").write_text("2")
            raise KeyboardInterrupt
    assert (target / "a").read_text() == "1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    with atomic_directory(target) as d:
        (d / "b").write_text("3")
    assert sorted(p.name for p in target.iterdir()) == ["b"]


def test_next_version_dir(tmp_path):
    assert next_version_dir(tmp_path / "m") == tmp_path / "m" / "1"
    (tmp_path / "m" / "1").mkdir(parents=True)
    (tmp_path / "m" / "7").mkdir()
    (tmp_path / "m" / "notes").mkdir()
    assert next_version_dir(tmp_path / "m").name == "8"


# ----------------------------------------------------------------------------- atomic saves


class _Killed(BaseException):
    """Stands for SIGKILL: after it, the patched file operations do nothing."""


def _write_version(d, version):
    (d / "a.txt").write_text(f"{version}\n" * 50)
    (d / "b.txt").write_text(str(version))


def _version_of(d):
    a = (d / "a.txt").read_text().split()
    b = (d / "b.txt").read_text()
    assert len(a) == 50 and set(a) == {b}, f"{d} is a mix of versions"
    return int(b)


def _freeze_after(monkeypatch, kill_at, *, after):
    """Patch os.replace / shutil.rmtree so that call number `kill_at` of os.replace 'kills' the
    process (performing the rename first when `after`); every later call does nothing."""
    state = {"calls": 0, "dead": False}
    real_replace, real_rmtree = os.replace, files.shutil.rmtree

    def replace(a, b):
        if state["dead"]:
            return None
        state["calls"] += 1
        if state["calls"] == kill_at:
            if after:
                real_replace(a, b)
            state["dead"] = True
            raise _Killed
        return real_replace(a, b)

    def rmtree(*args, **kwargs):
        if not state["dead"]:
            real_rmtree(*args, **kwargs)

    monkeypatch.setattr(files.os, "replace", replace)
    monkeypatch.setattr(files.shutil, "rmtree", rmtree)
    return state


@pytest.mark.parametrize("kill_at", [1, 2, 3, 4])
@pytest.mark.parametrize("after", [False, True])
def test_kill_at_every_step_leaves_a_loadable_version(tmp_path, monkeypatch, kill_at, after):
    target = tmp_path / "model"
    with atomic_directory(target) as d:
        _write_version(d, 1)
    state = _freeze_after(monkeypatch, kill_at, after=after)
    with pytest.raises(_Killed):
        with atomic_directory(target) as d:
            _write_version(d, 2)
    assert state["dead"]
    monkeypatch.undo()
    found = recover_directory(target)
    assert found is not None
    # before the new version is complete (renamed `new`), the old one must be what loads
    expected = {1} if (kill_at == 1 and not after) else {1, 2}
    assert _version_of(found) in expected
    if kill_at >= 3 or (kill_at == 2 and after):
        assert _version_of(found) == 2  # the complete new version wins once the old is moved
    # the next save finishes the switch, cleans every leftover and writes its own version
    with atomic_directory(target) as d:
        _write_version(d, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    assert _version_of(target) == 3


def test_body_failure_and_kill_during_body_leave_previous(tmp_path, monkeypatch):
    target = tmp_path / "model"
    with atomic_directory(target) as d:
        _write_version(d, 1)
    # a kill while the body writes: the temporary folder stays behind (no cleanup runs) ...
    leftover = tmp_path / ".model.tmp-999999999-deadbeef"
    leftover.mkdir()
    (leftover / "a.txt").write_text("partial")
    assert _version_of(recover_directory(target)) == 1
    # ... and the next save removes it (its writer, pid 999999999, is not running)
    with atomic_directory(target) as d:
        _write_version(d, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_leftovers_of_a_live_writer_are_kept(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    live = tmp_path / f".model.tmp-{os.getppid()}-00000000"  # our parent process is alive
    live.mkdir()
    assert clean_leftovers(target) == []
    assert live.is_dir()


def test_folders_respect_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_directory(tmp_path / "m") as d:
            (d / "f").write_text("x")
    finally:
        os.umask(old)
    assert (tmp_path / "m").stat().st_mode & 0o777 == 0o755


def test_refuses_to_replace_a_file_or_link(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError, match="a file or link with that name exists"):
        with atomic_directory(tmp_path / "f"):
            pass


_CHILD = """
import sys, time
from pathlib import Path
from nlpkit.utils.files import atomic_directory
target = Path(sys.argv[1])
version = int(sys.argv[2])
while True:
    version += 1
    with atomic_directory(target) as d:
        (d / "a.txt").write_text(f"{version}\\n" * 50)
        (d / "b.txt").write_text(str(version))
    print(version, flush=True)
"""


def test_real_sigkill_at_random_instants_leaves_a_loadable_version(tmp_path):
    target = tmp_path / "model"
    with atomic_directory(target) as d:
        _write_version(d, 0)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    latest = 0
    for i in range(8):
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(target), str(latest * 1000 + 1000)],
            stdout=subprocess.PIPE,
            env=env,
        )
        try:
            assert child.stdout.readline()  # at least one full save happened
            time.sleep(0.003 * i)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
            child.stdout.close()
        found = recover_directory(target)
        assert found is not None, f"kill {i}: no loadable version"
        latest = _version_of(found) // 1000 + 1
    with atomic_directory(target) as d:
        _write_version(d, 7)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    assert json.dumps(_version_of(target)) == "7"
