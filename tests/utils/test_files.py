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


_CHILD_AT_STEP = """
import os, signal, sys
from pathlib import Path
from nlpkit.utils import files
target, step, after = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "after"
real_replace, calls = os.replace, [0]

def replace(a, b):  # os.replace call number `step` ends in a real SIGKILL
    calls[0] += 1
    if calls[0] == step and after:
        real_replace(a, b)
    if calls[0] == step:
        os.kill(os.getpid(), signal.SIGKILL)
    return real_replace(a, b)

files.os.replace = replace
with files.atomic_directory(target) as d:
    (d / "a.txt").write_text("2\\n" * 50)
    if step == 0:  # killed while the body writes
        os.kill(os.getpid(), signal.SIGKILL)
    (d / "b.txt").write_text("2")
"""


@pytest.mark.parametrize(
    "step, after", [(0, False), (1, False), (1, True), (2, False), (2, True), (3, False), (3, True)]
)
def test_real_sigkill_at_each_step(tmp_path, step, after):
    """A real SIGKILL at each rename of a save (before or after it) and during the body:
    the previous or the new version loads, and the next save leaves only the target."""
    target = tmp_path / "model"
    with atomic_directory(target) as d:
        _write_version(d, 1)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    when = "after" if after else "before"
    child = subprocess.run(
        [sys.executable, "-c", _CHILD_AT_STEP, str(target), str(step), when],
        env=env,
        timeout=60,
    )
    assert child.returncode == -signal.SIGKILL
    assert len(list(tmp_path.iterdir())) > 1  # the killed save left something behind
    found = recover_directory(target)
    assert found is not None
    # (1) tmp -> new, (2) target -> old, (3) new -> target: the new version is complete from
    # the end of step 1 on, and is what loads once the old one has been moved aside
    expected = 1 if step == 0 or (step == 1 and not after) else None
    if step >= 2 and (after or step == 3):
        expected = 2
    if expected is not None:
        assert _version_of(found) == expected
    else:
        assert _version_of(found) in (1, 2)
    with atomic_directory(target) as d:
        _write_version(d, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    assert _version_of(target) == 3


def test_clean_leftovers_in_a_folder_of_versions(tmp_path):
    """Numbered exports: a killed export's leftovers sit beside versions the next export never
    targets; `clean_leftovers_in` removes them and puts a complete version back in place."""
    from nlpkit.utils.files import clean_leftovers_in

    (tmp_path / "1").mkdir()
    (tmp_path / ".2.tmp-999999999-0000beef").mkdir()  # killed while writing version 2
    new = tmp_path / ".3.new-999999999-0000cafe"  # killed between the renames of version 3
    new.mkdir()
    _write_version(new, 3)
    live = tmp_path / f".4.tmp-{os.getppid()}-00000000"  # a writer still running: kept
    live.mkdir()
    removed = clean_leftovers_in(tmp_path)
    assert sorted(p.name for p in removed) == [".2.tmp-999999999-0000beef"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["1", "3", live.name])
    assert _version_of(tmp_path / "3") == 3
    assert clean_leftovers_in(tmp_path / "absent") == []


def test_refuses_a_target_under_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError, match=r"f is a file, not a directory"):
        with atomic_directory(tmp_path / "f" / "model"):
            pass
