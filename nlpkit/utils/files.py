"""Atomic directory writes and small file helpers."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nlpkit.errors import IntegrityError

__all__ = [
    "atomic_directory",
    "recover_directory",
    "clean_leftovers",
    "clean_leftovers_in",
    "file_digests",
    "verify_digests",
    "IntegrityError",
    "load_keras_model",
    "load_keras_weights",
    "write_vocabulary",
    "read_vocabulary",
    "write_json",
    "read_json",
    "next_version_dir",
    "hash_strings",
]


# Sibling names used while a directory is replaced.  Each embeds the writer's process id so that
# a later save removes only what a *dead* writer left behind, never a concurrent writer's work.
_TMP, _NEW, _OLD, _TRASH = "tmp", "new", "old", "trash"
_KINDS = (_TMP, _NEW, _OLD, _TRASH)


def _sibling(target: Path, kind: str) -> Path:
    """Create (with `mkdir`, so the umask applies) a fresh hidden sibling `.NAME.<kind>-<pid>-<hex>`."""
    while True:
        path = target.parent / f".{target.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            path.mkdir()
            return path
        except FileExistsError:  # pragma: no cover - 32 random bits collided
            continue


def _sibling_name(target: Path, kind: str) -> Path:
    path = _sibling(target, kind)
    path.rmdir()
    return path


def _leftovers(target: Path, kind: str) -> list[tuple[Path, int]]:
    """Siblings of `target` of one kind, as (path, writer pid), newest first."""
    out = []
    prefix = f".{target.name}.{kind}-"
    if not target.parent.is_dir():
        return out
    for p in target.parent.iterdir():
        if not p.name.startswith(prefix):
            continue
        pid_text = p.name[len(prefix) :].split("-", 1)[0]
        if not pid_text.isdigit():
            continue
        try:
            mtime = p.lstat().st_mtime
        except FileNotFoundError:  # removed meanwhile
            continue
        out.append((mtime, p, int(pid_text)))
    out.sort(key=lambda t: t[0], reverse=True)
    return [(p, pid) for _, p, pid in out]


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process has no save in progress when it starts a new one
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _fsync_tree(root: Path) -> None:
    """Flush every file and folder under `root` to disk (best effort; some systems refuse)."""
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            try:
                fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            except OSError:
                continue
            try:
                os.fsync(fd)
            except OSError:
                pass
            finally:
                os.close(fd)
        _fsync_dir(Path(dirpath))


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _remove(path: Path, target: Path) -> None:
    """Delete a finished-with sibling: first renamed to a `trash` name (one atomic step, so a
    half-deleted folder never carries an `old`/`new` name that recovery would trust)."""
    trash = _sibling_name(target, _TRASH)
    try:
        os.replace(path, trash)
    except FileNotFoundError:
        return
    shutil.rmtree(trash, ignore_errors=True)


def recover_directory(target: str | os.PathLike) -> Path | None:
    """Return the folder that holds the latest complete version of `target`, or None.

    `target` itself when it exists. When a save was killed between its two renames (the
    previous version moved aside, the new one not yet moved in), `target` is missing and the
    result is the newest complete version left beside it: the new one (`.NAME.new-*`, complete
    by construction) or else the previous one (`.NAME.old-*`). Nothing is written, so this is
    safe on a read-only file system; `atomic_directory` puts the version back at the next save.

    Example:
        >>> import tempfile, pathlib
        >>> recover_directory(pathlib.Path(tempfile.mkdtemp()) / "absent") is None
        True
    """
    target = Path(target).absolute()
    if target.exists():
        return target
    for kind in (_NEW, _OLD):
        for path, _ in _leftovers(target, kind):
            if path.is_dir():
                return path
    return None


def clean_leftovers(target: str | os.PathLike) -> list[Path]:
    """Finish or remove what interrupted saves of `target` left beside it; return what was removed.

    If `target` is missing but an interrupted save left a complete version (see
    `recover_directory`), that version is renamed back to `target` first. Temporary and
    backup folders of writers that are no longer running are then deleted; those of a writer
    still running (a concurrent save) are left alone.
    """
    target = Path(target).absolute()
    if not target.exists():
        found = recover_directory(target)
        if found is not None and found != target:
            os.replace(found, target)
    removed = []
    for kind in _KINDS:
        for path, pid in _leftovers(target, kind):
            if kind != _TRASH and _pid_alive(pid):
                continue
            _remove(path, target) if kind != _TRASH else shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?:tmp|new|old|trash)-\d+-[0-9a-f]+$")


def clean_leftovers_in(folder: str | os.PathLike) -> list[Path]:
    """`clean_leftovers` for every target whose interrupted saves left siblings in `folder`.

    Used before picking the next numbered export version (`saved_models/<task>/<n>`): a killed
    export to version 3 leaves `.3.tmp-*`, which the next export (to a new version number)
    would otherwise never see.

    Example:
        >>> import tempfile, pathlib
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> (root / ".1.tmp-999999999-00ff00ff").mkdir()
        >>> [p.name for p in clean_leftovers_in(root)]
        ['.1.tmp-999999999-00ff00ff']
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    names = sorted({m["name"] for p in folder.iterdir() if (m := _LEFTOVER.match(p.name))})
    removed = []
    for name in names:
        removed += clean_leftovers(folder / name)
    return removed


@contextlib.contextmanager
def atomic_directory(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a fresh folder that replaces `target` only once the body has finished.

    Steps: (1) the body writes into a hidden sibling `.NAME.tmp-<pid>-*` (same file system, so
    the later steps are renames); (2) the finished folder is flushed to disk and renamed
    `.NAME.new-*`, which marks it complete; (3) an existing `target` is renamed `.NAME.old-*`;
    (4) the new folder is renamed to `target`; (5) the old one is deleted. A process killed at
    any instant leaves `target` holding the previous or the new version, except between (3)
    and (4), where `target` is missing but both complete versions sit beside it:
    `recover_directory` (used by `Pipeline.load`) finds the new one, and the next save puts it
    back in place. Each save first removes what earlier interrupted saves left behind.

    Folders are created with `mkdir`, so they get the usual permissions allowed by the umask.
    If the body raises, `target` is untouched and the temporary folder is removed. Saves to one
    folder from several processes may overlap (the last to finish wins); two at once from
    threads of one process are not supported (each treats the other's leftovers as stale).

    Example:
        >>> import tempfile, pathlib
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "model"
        >>> with atomic_directory(target) as tmp:
        ...     _ = (tmp / "weights.txt").write_text("1 2 3")
        >>> (target / "weights.txt").read_text()
        '1 2 3'
    """
    target = Path(target).absolute()
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise ValueError(
            f"Cannot write a directory to {target}: a file or link with that name exists."
        )
    blocked = next((p for p in target.parents if p.exists() and not p.is_dir()), None)
    if blocked is not None:
        raise ValueError(
            f"Cannot write a directory to {target}: {blocked} is a file, not a directory."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(target)
    tmp = _sibling(target, _TMP)
    try:
        yield tmp
        _fsync_tree(tmp)
        new = _sibling_name(target, _NEW)
        os.replace(tmp, new)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    try:
        if target.exists():
            old = _sibling_name(target, _OLD)
            os.replace(target, old)
        os.replace(new, target)
    except BaseException:
        if old is not None and not target.exists():
            os.replace(old, target)
            old = None
        shutil.rmtree(new, ignore_errors=True)
        raise
    _fsync_dir(target.parent)
    if old is not None:
        _remove(old, target)


def write_json(path: str | os.PathLike, obj: Any) -> None:
    Path(path).write_text(
        json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def read_json(path: str | os.PathLike) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def next_version_dir(base: str | os.PathLike) -> Path:
    """Return `base/<n>` where n is one more than the largest numeric version already there."""
    base = Path(base)
    versions = (
        [int(p.name) for p in base.glob("*") if p.is_dir() and p.name.isdigit()]
        if base.exists()
        else []
    )
    return base / str(max(versions, default=0) + 1)


def hash_strings(items) -> str:
    """A short, order-sensitive SHA-256 of a sequence of strings (for model cards)."""
    h = hashlib.sha256()
    for s in items:
        h.update(str(s).encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:16]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_digests(root: str | os.PathLike, *, exclude: tuple[str, ...] = ()) -> dict[str, dict]:
    """Size and SHA-256 of every file under `root`, keyed by its `/`-separated relative path.

    Example:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "a.txt").write_text("hi")
        >>> file_digests(d)["a.txt"]["size"]
        2
    """
    root = Path(root)
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and rel not in exclude:
            out[rel] = {"size": path.stat().st_size, "sha256": _sha256(path)}
    return out


def verify_digests(
    root: str | os.PathLike, digests: dict[str, dict], *, hashes: bool = True
) -> None:
    """Check that every file listed in `digests` (from `file_digests`) is present and unchanged.

    Args:
        root: The saved folder.
        digests: `{relative path: {"size": int, "sha256": str}}`.
        hashes: Also compare SHA-256 digests (False checks presence and size only).

    Raises:
        IntegrityError: a file is missing, has another size or another digest; the message names it.
    """
    root = Path(root)
    card = root / "model_card.json"
    if not isinstance(digests, dict) or not all(
        isinstance(k, str) and isinstance(v, dict) for k, v in digests.items()
    ):
        raise IntegrityError(
            f"{card}: `files` must map each saved file to its size and sha256. The model card is "
            "damaged; save the model again, or load with verify=False."
        )
    for rel, want in sorted(digests.items()):
        rel_path = Path(rel)
        if rel_path.is_absolute() or ".." in rel_path.parts:
            raise IntegrityError(
                f"{card} lists {rel!r}, which is outside the saved folder. The model card is "
                "damaged or was tampered with; save the model again."
            )
        path = root / rel
        if not path.is_file():
            raise IntegrityError(
                f"{path} is missing: the model card lists it as part of the saved model. "
                "Restore the file or save the model again."
            )
        size = path.stat().st_size
        if size != want.get("size"):
            what = "truncated" if size < want.get("size", 0) else "changed"
            raise IntegrityError(
                f"{path} is {what}: {size} bytes, but {want.get('size')} were saved. "
                "The file is damaged or was edited; save the model again, or load with "
                "verify=False if you changed it on purpose."
            )
        if hashes and _sha256(path) != want.get("sha256"):
            raise IntegrityError(
                f"{path} has changed since it was saved (SHA-256 differs from the model card). "
                "If you edited it on purpose, load with verify=False; otherwise save the model again."
            )


def _missing(path: Path) -> FileNotFoundError:
    """FileNotFoundError for a part of a saved model, with `filename` set (callers name it)."""
    err = FileNotFoundError(f"{path} is missing or not a file: the saved model is incomplete.")
    err.filename = str(path)
    return err


def load_keras_model(path: str | os.PathLike, **kwargs):
    """`keras.saving.load_model` in safe mode, with a clear error for a damaged `.keras` file.

    A missing file says so; a file that is not a complete zip archive (truncated, overwritten)
    says it is corrupt or truncated instead of Keras's misleading "File not found".
    """
    import zipfile

    import keras

    path = Path(path)
    if not path.is_file():
        raise _missing(path)
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise IntegrityError(
            f"{path} is corrupt or truncated ({path.stat().st_size} bytes; not a complete "
            f".keras archive: {e}). Save the model again."
        ) from e
    if bad is not None:
        raise IntegrityError(f"{path} is corrupt: member {bad!r} fails its CRC check.")
    kwargs.setdefault("safe_mode", True)
    if not kwargs["safe_mode"]:
        raise ValueError("nlpkit loads Keras models in safe mode only (no Python lambdas).")
    return keras.saving.load_model(path, **kwargs)


def load_keras_weights(model, path: str | os.PathLike) -> None:
    """`model.load_weights(path)` for a `.keras` archive or `.weights.h5` file, with the same
    clear errors as `load_keras_model` for a missing or damaged file."""
    import zipfile

    path = Path(path)
    if not path.is_file():
        raise _missing(path)
    if path.suffix == ".keras":
        try:
            with zipfile.ZipFile(path) as zf:
                bad = zf.testzip()
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            raise IntegrityError(
                f"{path} is corrupt or truncated ({path.stat().st_size} bytes; not a complete "
                f".keras archive: {e}). Save the model again."
            ) from e
        if bad is not None:
            raise IntegrityError(f"{path} is corrupt: member {bad!r} fails its CRC check.")
    try:
        model.load_weights(path)
    except (OSError, ValueError) as e:
        raise IntegrityError(f"{path} could not be read as model weights: {e}") from e


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r"}
_UNESCAPES = {"\\": "\\", "n": "\n", "r": "\r"}


def write_vocabulary(path: str | os.PathLike, tokens) -> None:
    """Write tokens in id order as UTF-8 text, one token a line (each line ends with a newline).

    This is the one vocabulary format of every nlpkit pipeline. A backslash, newline or carriage
    return inside a token is written as `\\\\`, `\\n` or `\\r`, so every token (even `""` or
    `"\\n"`) keeps its own line.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "vocabulary.txt"
        >>> write_vocabulary(p, ["", "a", "\\n"])
        >>> read_vocabulary(p)
        ['', 'a', '\\n']
    """
    text = "".join("".join(_ESCAPES.get(c, c) for c in str(t)) + "\n" for t in tokens)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)


def read_vocabulary(path: str | os.PathLike) -> list[str]:
    """Read a file written by `write_vocabulary`.

    Raises:
        IntegrityError: the file is missing, not UTF-8, lacks its final newline (truncated) or
            holds an unknown escape; the message names the file and line.
    """
    path = Path(path)
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            text = fh.read()
    except FileNotFoundError as e:
        raise _missing(path) from e
    except UnicodeDecodeError as e:
        raise IntegrityError(
            f"{path} is not valid UTF-8 (byte {e.start}): the file is damaged."
        ) from e
    if text and not text.endswith("\n"):
        raise IntegrityError(f"{path} does not end with a newline: the file is truncated.")
    out = []
    for lineno, line in enumerate(text.split("\n")[:-1], 1):
        if "\\" not in line:
            out.append(line)
            continue
        chars, i = [], 0
        while i < len(line):
            c = line[i]
            if c == "\\":
                nxt = line[i + 1 : i + 2]
                if nxt not in _UNESCAPES:
                    raise IntegrityError(
                        f"{path}, line {lineno}: unknown escape {line[i : i + 2]!r} "
                        "(expected \\\\, \\n or \\r)."
                    )
                chars.append(_UNESCAPES[nxt])
                i += 2
            else:
                chars.append(c)
                i += 1
        out.append("".join(chars))
    return out
