"""Load word vectors from files in every common format, or from a preset name."""

from __future__ import annotations

import bz2
import io
import os
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nlpkit.data._decoding import open_gzip
from nlpkit.errors import DataFormatError
from nlpkit.utils.validation import check_choice, check_int

if TYPE_CHECKING:  # pragma: no cover
    from gensim.models import KeyedVectors

__all__ = ["load", "FORMATS", "detect_format"]

FORMATS = ("glove", "word2vec", "word2vec-binary", "fasttext", "fasttext-bin", "kv")
_FASTTEXT_MAGIC = 793712314  # first int32 of a Facebook fastText .bin model


def load(
    source: Any,
    *,
    format: str | None = None,
    limit: int | None = None,
    allow_download: bool = False,
    binary: bool | None = None,
    trusted: bool = False,
) -> KeyedVectors:
    """Load word vectors as a gensim `KeyedVectors`.

    Args:
        source: A `gensim.models.KeyedVectors` (returned as is), a gensim model with a ``.wv``
            attribute (its ``wv`` is returned), a file path, or a preset name such as
            ``"glove-6B-50d"`` (see `list_presets`; gensim downloader names are accepted too).
        format: The file format, detected from the extension and the header when None:
            ``'glove'`` (text, no header), ``'word2vec'`` (text with a ``count dim`` header),
            ``'word2vec-binary'``, ``'fasttext'`` (``.vec``: word2vec text), ``'fasttext-bin'``
            (Facebook ``.bin`` with subword vectors for unseen words) or ``'kv'`` (gensim native,
            loaded memory-mapped). ``.gz`` and ``.bz2`` text files are read transparently.
        limit: Load only the first `limit` vectors (files are usually sorted by frequency).
        allow_download: For preset names: let gensim's downloader fetch vectors that are neither
            cached nor installed (also enabled by ``NLPKIT_ALLOW_DOWNLOAD=1``).
        binary: Shorthand for word2vec files: True means ``'word2vec-binary'``, False a text
            format. Ignored when `format` is given.
        trusted: Required (True) for gensim's native ``'kv'`` format. That format is a Python
            pickle, and unpickling a file can run any code its author put in it, so nlpkit
            opens one only when you say you trust where it came from. The text and binary
            word2vec/GloVe/fastText formats hold only numbers and are always safe.

    Returns:
        A `gensim.models.KeyedVectors` (a `FastTextKeyedVectors` for fastText ``.bin`` files).

    Raises:
        DataFormatError: A malformed line or a mixed dimension (names the file and line).
        FileNotFoundError: `source` looks like a path but no such file exists.
        ValueError: Unknown `format` or preset name.
        OfflineError: A preset is not available offline and downloads are not allowed.
        MissingDependencyError: The preset's package needs an extra that is not installed.

    Example:
        >>> import nlpkit.embeddings as emb
        >>> kv = emb.load("glove-6B-50d", limit=1000)  # doctest: +SKIP
        >>> kv.most_similar("king", topn=1)  # doctest: +SKIP
    """
    from gensim.models import KeyedVectors

    if format is not None:
        check_choice("format", format, FORMATS)
    limit = check_int("limit", limit, minimum=1, allow_none=True)
    if binary is not None and not isinstance(binary, bool):
        raise TypeError(f"`binary` must be True, False or None. Received: binary={binary!r}")
    if isinstance(source, KeyedVectors):
        return source
    if hasattr(source, "wv") and isinstance(source.wv, KeyedVectors):
        return source.wv
    if not isinstance(source, str | os.PathLike):
        raise TypeError(
            "`source` must be a KeyedVectors, a file path or a preset name. "
            f"Received an object of type {type(source).__name__}"
        )
    path = Path(source).expanduser()
    if not path.exists():
        from nlpkit.embeddings.presets import get_preset, load_preset

        if isinstance(source, str) and get_preset(source) is not None:
            return load_preset(source, limit=limit, allow_download=allow_download)
        if isinstance(source, str) and os.sep not in source and not path.suffix:
            return load_preset(source, limit=limit, allow_download=allow_download)  # ValueError
        raise FileNotFoundError(
            f"No embeddings file at {path} (and {str(source)!r} is not a preset name)."
        )
    if path.is_dir():
        raise ValueError(f"`source` must be a file, not a directory. Received: {path}")
    if format is None:
        format = detect_format(path, binary=binary)
    if format == "kv":
        if trusted is not True:
            raise ValueError(
                f"{path} is in gensim's native format, a Python pickle: loading it can run code "
                "written by whoever made the file. If you trust it, pass trusted=True; otherwise "
                "convert it where it was made with `kv.save_word2vec_format(path, binary=True)`."
            )
        try:
            kv = KeyedVectors.load(str(path), mmap="r")
        except Exception as e:  # gensim/pickle raise many kinds
            raise DataFormatError(path, None, f"not a gensim KeyedVectors file ({e})") from e
        kv = getattr(kv, "wv", kv)
        if not isinstance(kv, KeyedVectors):
            raise DataFormatError(path, None, f"expected a KeyedVectors, found {type(kv).__name__}")
        from nlpkit.embeddings.presets import _limit

        return _limit(kv, limit)
    if format == "fasttext-bin":
        from gensim.models.fasttext import load_facebook_vectors

        try:
            return load_facebook_vectors(str(path))
        except Exception as e:
            raise DataFormatError(path, None, f"not a Facebook fastText .bin model ({e})") from e
    if format == "word2vec-binary":
        return _read_word2vec_binary(path, limit)
    return _read_text(path, header=format in ("word2vec", "fasttext"), limit=limit)


def detect_format(path: str | os.PathLike, *, binary: bool | None = None) -> str:
    """Guess the format of an embeddings file from its extension and first bytes.

    Args:
        path: The file.
        binary: True forces ``'word2vec-binary'`` (unless the file is a fastText ``.bin``).

    Returns:
        One of `FORMATS`.
    """
    path = Path(path)
    suffixes = [s.lower() for s in path.suffixes]
    last = suffixes[-1] if suffixes else ""
    if last in (".kv", ".model", ".wv"):
        return "kv"
    with open(path, "rb") as fh:
        head = fh.read(4)
    if len(head) == 4 and struct.unpack("<i", head)[0] == _FASTTEXT_MAGIC:
        return "fasttext-bin"
    if binary is True or (binary is None and last == ".bin"):
        return "word2vec-binary"
    if head[:2] == b"\x80\x04" or head[:1] == b"\x80":  # a pickle: gensim native without .kv
        return "kv"
    first = _open_text(path).readline().split()
    has_header = len(first) == 2 and all(t.isdigit() for t in first)
    if last == ".vec" or ".vec" in suffixes:
        return "fasttext" if has_header else "glove"
    return "word2vec" if has_header else "glove"


def _open_text(path: Path) -> io.TextIOBase:
    name = path.name.lower()
    if name.endswith(".gz"):
        return io.TextIOWrapper(open_gzip(path), encoding="utf-8-sig", errors="strict")
    if name.endswith(".bz2"):
        return io.TextIOWrapper(bz2.open(path, "rb"), encoding="utf-8", errors="strict")
    return open(path, encoding="utf-8-sig")


def _read_text(path: Path, *, header: bool, limit: int | None) -> KeyedVectors:
    """Read GloVe (no header) or word2vec/fastText text (``count dim`` header) vectors."""
    from gensim.models import KeyedVectors

    words: list[str] = []
    rows: list[np.ndarray] = []
    dim = None
    expected = None
    seen: set[str] = set()
    with _open_text(path) as fh:
        lineno = 0
        try:
            for lineno, line in enumerate(fh, start=1):  # noqa: B007
                if header and lineno == 1:
                    parts = line.split()
                    if len(parts) != 2 or not all(p.isdigit() for p in parts):
                        raise DataFormatError(
                            path,
                            1,
                            f"expected a 'count dim' header line; found {line.strip()[:60]!r}",
                        )
                    expected, dim = int(parts[0]), int(parts[1])
                    continue
                line = line.rstrip("\n").rstrip("\r")
                if not line.strip():
                    continue
                parts = line.rstrip(" ").split(" ")
                if len(parts) < 2:
                    raise DataFormatError(
                        path, lineno, f"expected a word followed by numbers; found {line[:60]!r}"
                    )
                if dim is None:
                    dim = len(parts) - 1
                if len(parts) - 1 != dim:
                    raise DataFormatError(
                        path,
                        lineno,
                        f"expected {dim} numbers after the word (as on the first line); "
                        f"found {len(parts) - 1}",
                    )
                try:
                    vec = np.asarray(parts[1:], dtype=np.float32)
                except ValueError as e:
                    raise DataFormatError(
                        path, lineno, f"not a number in the vector of {parts[0]!r}: {e}"
                    ) from e
                word = parts[0]
                if word in seen:  # keep the first (most frequent) occurrence, like gensim
                    continue
                seen.add(word)
                words.append(word)
                rows.append(vec)
                if limit is not None and len(words) >= limit:
                    break
        except UnicodeDecodeError as e:
            raise DataFormatError(path, lineno + 1, f"not UTF-8 text ({e.reason})") from e
    if not words:
        raise DataFormatError(path, None, "no vectors found (empty file?)")
    if expected is not None:
        wanted = expected if limit is None else min(limit, expected)
        if len(words) != wanted:
            raise DataFormatError(
                path,
                1,
                f"the header says {expected} vectors but the file has {len(words)}"
                + ("" if limit is None else f" (limit={limit})"),
            )
    kv = KeyedVectors(dim, count=0, dtype=np.float32)
    kv.add_vectors(words, np.vstack(rows))
    return kv


def _read_word2vec_binary(path: Path, limit: int | None) -> KeyedVectors:
    """Read the original word2vec binary format (``count dim\\n`` then word, space, float32s)."""
    from gensim.models import KeyedVectors

    opener = open_gzip if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as fh:
        header = fh.readline()
        try:
            count, dim = (int(x) for x in header.split())
        except ValueError as e:
            raise DataFormatError(
                path, 1, f"expected a 'count dim' header; found {header[:60]!r}"
            ) from e
        n = count if limit is None else min(count, limit)
        words: list[str] = []
        vectors = np.empty((n, dim), dtype=np.float32)
        nbytes = 4 * dim
        for i in range(n):
            chars = bytearray()
            while True:
                ch = fh.read(1)
                if not ch:
                    raise DataFormatError(
                        path,
                        None,
                        f"file ends inside entry {i + 1} of {count} (header promises {count})",
                    )
                if ch == b" ":
                    break
                if ch != b"\n":
                    chars += ch
            data = fh.read(nbytes)
            if len(data) != nbytes:
                raise DataFormatError(
                    path,
                    None,
                    f"entry {i + 1} ({bytes(chars[:40]).decode('utf-8', 'replace')!r}) has {len(data)} bytes of vector; "
                    f"expected {nbytes} (dim {dim})",
                )
            if i == 0 and nbytes >= 8 and not data.strip(b"0123456789.-+eE \t\r\n"):
                raise DataFormatError(
                    path,
                    2,
                    f"the first vector is text ({data[:40]!r}), not float32 bytes: this is a "
                    "text file; pass format='word2vec' (or 'glove' without a header).",
                )
            try:
                words.append(chars.decode("utf-8"))
            except UnicodeDecodeError:
                words.append(chars.decode("utf-8", errors="replace"))
            vectors[i] = np.frombuffer(data, dtype="<f4")
    kv = KeyedVectors(dim, count=0, dtype=np.float32)
    kv.add_vectors(words, vectors)
    return kv
