"""Readers for music: MIDI / MusicXML / ABC files and folders, the music21 corpus, JSB Chorales.

`read_music` and `read_corpus` return music21 scores with drum tracks and empty parts removed;
files that fail to parse (or hold no pitched notes) are skipped and reported by name in one
`SkippedMusicWarning`; a call where nothing at all can be read raises `ValueError`.
`read_jsb_json` reads the JSB Chorales JSON (Boulanger-Lewandowski et al. 2012 split: each piece
a list of quarter-note steps, each step a list of MIDI pitches).

music21 is optional (`pip install "nlpkit[music]"`) and imported only when a reader needs it.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nlpkit.data._decoding import decode
from nlpkit.data.music_events import (
    PIANO_HIGH,
    PIANO_LOW,
    is_drum_part,
    pitched_parts,
    require_music21,
)
from nlpkit.errors import DataFormatError

__all__ = [
    "MUSIC_SUFFIXES",
    "SkippedMusicWarning",
    "read_music",
    "read_corpus",
    "clean_score",
    "read_jsb_json",
    "music_files",
]

#: File name endings read from folders (files named explicitly are tried whatever their ending).
MUSIC_SUFFIXES = (".mid", ".midi", ".xml", ".musicxml", ".mxl", ".abc")


class SkippedMusicWarning(UserWarning):
    """Some files or corpus entries could not be parsed or held no notes, and were skipped."""


def clean_score(score):
    """Return `score` without drum tracks and parts that hold no pitched notes, or None if
    nothing is left. A `Score` is modified in place; other streams are returned as they are."""
    m21 = require_music21()
    keep = pitched_parts(score)
    if not keep:
        return None
    if isinstance(score, m21.stream.Score):
        for part in list(score.parts):
            if part not in keep or is_drum_part(part):
                score.remove(part)
    return score


def _expand(parsed) -> list:
    """A parsed file may be an Opus (several ABC tunes in one file): return its scores."""
    m21 = require_music21()
    if isinstance(parsed, m21.stream.Opus):
        return list(parsed.scores)
    return [parsed]


def _list_files(paths, recursive: bool) -> list[Path]:
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    if not isinstance(paths, (list, tuple)) and not hasattr(paths, "__iter__"):
        raise TypeError(
            "`paths` must be a file, a folder or a list of them. "
            f"Received: paths={paths!r} of type {type(paths).__name__}"
        )
    paths = list(paths)
    if not paths:
        raise ValueError("`paths` is empty: pass a music file, a folder or a list of them.")
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            pattern = "**/*" if recursive else "*"
            found = sorted(
                f for f in p.glob(pattern) if f.is_file() and f.suffix.lower() in MUSIC_SUFFIXES
            )
            if not found:
                raise FileNotFoundError(
                    f"No music files ({', '.join(MUSIC_SUFFIXES)}) found in folder {p}."
                )
            files.extend(found)
        elif p.is_file():
            files.append(p)
        else:
            raise FileNotFoundError(f"Music file or folder {p} does not exist.")
    return files


def _report(skipped: list[tuple[str, str]], what: str) -> None:
    if skipped:
        listed = "; ".join(f"{name} ({why})" for name, why in skipped[:20])
        more = f"; and {len(skipped) - 20} more" if len(skipped) > 20 else ""
        warnings.warn(
            f"Skipped {len(skipped)} {what} that could not be used: {listed}{more}",
            SkippedMusicWarning,
            stacklevel=3,
        )


def _nothing_read(source: str, skipped: list[tuple[str, str]]) -> ValueError:
    listed = "; ".join(f"{name} ({why})" for name, why in skipped[:10])
    return ValueError(
        f"No music could be read from {source}: all {len(skipped)} item(s) failed to parse or "
        f"held no pitched notes: {listed}"
    )


def read_music(
    paths: str | os.PathLike | Iterable[str | os.PathLike], *, recursive: bool = True
) -> list:
    """Parse MIDI, MusicXML and ABC files (or folders of them) into music21 scores.

    Drum tracks and parts without pitched notes are removed. A file that fails to parse, or that
    holds no pitched notes, is skipped; all skipped files are named in one `SkippedMusicWarning`.

    Args:
        paths: A file, a folder (files ending in `MUSIC_SUFFIXES`), or a list of them.
        recursive: Look in sub-folders too.

    Returns:
        A list of music21 scores (an ABC file with several tunes gives one score per tune); each
        score's `nlpkit_source` attribute holds the path it was read from.

    Raises:
        FileNotFoundError: a path does not exist, or a folder holds no music files.
        ValueError: nothing could be read.
        MissingDependencyError: music21 is not installed.

    Example:
        >>> import pathlib, tempfile
        >>> abc = pathlib.Path(tempfile.mkdtemp()) / "tune.abc"
        >>> _ = abc.write_text("X:1\\nT:Scale\\nM:4/4\\nL:1/4\\nK:C\\nCDEF|GABc|\\n")
        >>> scores = read_music(abc)
        >>> len(scores), len(scores[0].flatten().notes)
        (1, 8)
    """
    m21 = require_music21("Reading music files")
    files = _list_files(paths, recursive)
    scores, skipped = [], []
    for f in files:
        try:
            parsed = m21.converter.parse(str(f))
        except Exception as e:  # noqa: BLE001 - music21 raises many unrelated types
            skipped.append((str(f), f"{type(e).__name__}: {str(e)[:80]}"))
            continue
        kept = 0
        for s in _expand(parsed):
            s = clean_score(s)
            if s is not None:
                s.nlpkit_source = str(f)
                scores.append(s)
                kept += 1
        if not kept:
            skipped.append((str(f), "no pitched notes"))
    _report(skipped, "file(s)")
    if not scores:
        raise _nothing_read(
            ", ".join(str(f) for f in files[:5]) + ("..." if len(files) > 5 else ""), skipped
        )
    return scores


def read_corpus(query: str = "bach/chorales", *, limit: int | None = None) -> list:
    """Scores from music21's bundled corpus (offline).

    Args:
        query: `"bach/chorales"` for the 371 Bach chorales (`music21.corpus.chorales.Iterator`),
            otherwise a `music21.corpus.search` query (a composer such as `"bach"`, a title
            word...).
        limit: Read at most this many scores (in corpus order).

    Returns:
        A list of music21 scores with drum and empty parts removed.

    Raises:
        ValueError: the query matches nothing, or nothing matched could be read.
        MissingDependencyError: music21 is not installed.

    Example:
        >>> chorales = read_corpus("bach/chorales", limit=20)
    """
    m21 = require_music21("Reading the music21 corpus")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError(f"`limit` must be a positive integer or None. Received: limit={limit!r}")
    scores, skipped = [], []
    if query in ("bach/chorales", "chorales"):
        source = m21.corpus.chorales.Iterator(returnType="stream")
        entries = ((f"chorale {i + 1}", (lambda s=s: s)) for i, s in enumerate(source))
    else:
        results = m21.corpus.search(query)
        if not len(results):
            raise ValueError(f"The music21 corpus has no entries matching query={query!r}.")
        entries = ((str(r.sourcePath), r.parse) for r in results)
    for name, parse in entries:
        if limit is not None and len(scores) >= limit:
            break
        try:
            parsed = parse()
        except Exception as e:  # noqa: BLE001 - music21 raises many unrelated types
            skipped.append((name, f"{type(e).__name__}: {str(e)[:80]}"))
            continue
        for s in _expand(parsed):
            s = clean_score(s)
            if s is None:
                skipped.append((name, "no pitched notes"))
            elif limit is None or len(scores) < limit:
                s.nlpkit_source = name
                scores.append(s)
    _report(skipped, "corpus entries")
    if not scores:
        raise _nothing_read(f"the music21 corpus (query={query!r})", skipped)
    return scores


def read_jsb_json(path: str | os.PathLike) -> dict[str, list[list[list[int]]]]:
    """Read JSB Chorales in the common JSON layout: `{"train": [piece, ...], "valid": [...], ...}`,
    each piece a list of steps, each step a list of MIDI pitches (quarter-note steps).

    Args:
        path: e.g. `../shared/data/music/jsb_chorales/jsb-chorales-quarter.train-valid.json`.

    Returns:
        The splits as found in the file (lists of pieces of steps of pitches).

    Raises:
        FileNotFoundError: `path` does not exist.
        DataFormatError: the file is not valid JSON or not in this layout (names file and line
            for JSON errors, and the split/piece/step for layout errors).

    Example:
        >>> import json, pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "jsb.json"
        >>> _ = path.write_text(json.dumps({"train": [[[60, 72, 79, 88], [72, 79, 88]]]}))
        >>> read_jsb_json(path)["train"][0][:2]
        [[60, 72, 79, 88], [72, 79, 88]]
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"JSB Chorales file {path} does not exist.")
    try:
        data = json.loads(decode(path, path.read_bytes(), "utf-8", first=True))
    except json.JSONDecodeError as e:
        raise DataFormatError(path, e.lineno, f"not valid JSON: {e.msg}") from e
    if not isinstance(data, dict) or not data:
        raise DataFormatError(
            path, None, 'expected an object of splits like {"train": [...], "valid": [...]}'
        )
    for split, pieces in data.items():
        if not isinstance(pieces, list):
            raise DataFormatError(path, None, f"split {split!r} must be a list of pieces")
        for i, piece in enumerate(pieces):
            if not isinstance(piece, list) or not piece:
                raise DataFormatError(
                    path, None, f"split {split!r}, piece {i}: must be a non-empty list of steps"
                )
            for t, step in enumerate(piece):
                if not isinstance(step, list) or not all(
                    isinstance(p, int) and not isinstance(p, bool) and PIANO_LOW <= p <= PIANO_HIGH
                    for p in step
                ):
                    raise DataFormatError(
                        path,
                        None,
                        f"split {split!r}, piece {i}, step {t}: expected a list of MIDI pitches in "
                        f"{PIANO_LOW}..{PIANO_HIGH}, got {step!r:.60}",
                    )
    return data


def music_files(x: Any, name: str = "x") -> list[str] | None:
    """The music files `x` names (a path, a glob, a folder searched recursively for
    `MUSIC_SUFFIXES`, or a list of `pathlib.Path`s), else None (in-memory pieces). A `str`
    counts only when it names an existing file or folder, or is a glob.

    Raises:
        FileNotFoundError: a named file does not exist, a glob matches nothing or a folder
            holds no music files.

    Example:
        >>> music_files([["n60:1", "r:0.5"]]) is None
        True
    """
    from nlpkit.data.streaming import named_files

    return named_files(x, name, folder_files=lambda folder: _list_files([folder], recursive=True))
