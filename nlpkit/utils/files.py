"""Atomic directory writes and small file helpers."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["atomic_directory", "write_json", "read_json", "next_version_dir", "hash_strings"]


@contextlib.contextmanager
def atomic_directory(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a fresh temporary directory that replaces `target` only on success.

    The temporary directory is a sibling of `target` (same file system) so that the final
    `os.replace` is a rename. If the body raises (or is interrupted), `target` is untouched and the
    temporary directory is removed.
    """
    target = Path(target).absolute()
    if target.exists() and not target.is_dir():
        raise ValueError(f"Cannot write a directory to {target}: a file with that name exists.")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.rmdir(old)
        os.replace(target, old)
    try:
        os.replace(tmp, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


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
