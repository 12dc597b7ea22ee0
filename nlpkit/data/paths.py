"""Resolve data locations named in recipes, including files shipped inside installed packages."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

__all__ = ["resolve_data_path", "candidate_paths"]

#: `scheme:relative/path` -> (package, folder inside it)
PACKAGE_DATA = {
    "gensim": ("gensim", "test/test_data"),
}


def candidate_paths(source: str | os.PathLike, base: str | os.PathLike | None = None) -> list[Path]:
    """Where a relative `source` is looked for, in order: `base` (a recipe's folder), then the
    current folder. An absolute path (or `~/...`) is only looked for where it says.

    Example:
        >>> [str(p) for p in candidate_paths("data/x.csv", base="/recipes")]  # doctest: +ELLIPSIS
        ['/recipes/data/x.csv', '.../data/x.csv']
        >>> candidate_paths("/abs/x.csv", base="/recipes")
        [PosixPath('/abs/x.csv')]
    """
    path = Path(os.fspath(source)).expanduser()
    if path.is_absolute():
        return [path]
    out = [Path(base) / path] if base is not None else []
    cwd = Path.cwd() / path
    if cwd not in out:
        out.append(cwd)
    return out


def resolve_data_path(source: str | os.PathLike, base: str | os.PathLike | None = None) -> Path:
    """Return a local path for `source`.

    `source` is a plain path, or `gensim:NAME` for a file gensim ships in its wheel
    (e.g. `gensim:pang_lee_polarity.cor`, `gensim:questions-words.txt`). A relative path is
    looked for beside `base` first (recipes pass their own folder), then in the current folder.

    Args:
        source: The path or `gensim:NAME`.
        base: Folder tried first for a relative path (a recipe's folder); None for the
            current folder only.

    Returns:
        The first existing candidate.

    Raises:
        FileNotFoundError: the file does not exist; the message lists every place looked at.

    Example:
        >>> resolve_data_path("gensim:questions-words.txt").name
        'questions-words.txt'
    """
    text = os.fspath(source)
    scheme, sep, rest = text.partition(":")
    if sep and scheme in PACKAGE_DATA and len(scheme) > 1:
        package, folder = PACKAGE_DATA[scheme]
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise FileNotFoundError(
                f"{text!r} needs the package `{package}`, which is not installed."
            )
        candidates = [Path(next(iter(spec.submodule_search_locations))) / folder / rest]
    else:
        candidates = candidate_paths(text, base)
    for path in candidates:
        if path.exists():
            return path
    looked = ", ".join(str(p) for p in candidates)
    raise FileNotFoundError(f"Data not found: {text!r} (looked at {looked}).")
