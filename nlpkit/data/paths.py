"""Resolve data locations named in recipes, including files shipped inside installed packages."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

__all__ = ["resolve_data_path"]

#: `scheme:relative/path` -> (package, folder inside it)
PACKAGE_DATA = {
    "gensim": ("gensim", "test/test_data"),
}


def resolve_data_path(source: str | os.PathLike) -> Path:
    """Return a local path for `source`.

    `source` is a plain path, or `gensim:NAME` for a file gensim ships in its wheel
    (e.g. `gensim:pang_lee_polarity.cor`, `gensim:questions-words.txt`).

    Raises:
        FileNotFoundError: the file does not exist (the message says where it was looked for).
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
        path = Path(next(iter(spec.submodule_search_locations))) / folder / rest
    else:
        path = Path(text).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"Data not found: {text!r} (looked at {path}).")
    return path
