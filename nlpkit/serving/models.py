"""Finding, loading and calling exported SavedModels, independent of any web framework.

A model folder follows TensorFlow Serving's layout: `<name>/<version>/saved_model.pb` with integer
versions; the newest version is served. `resolve_savedmodel` also accepts a version folder itself.
`ServedModel` wraps one loaded SavedModel: its signatures described as TF Serving's metadata, and
`run(signature, inputs)` that turns JSON-like Python values into tensors of each input's dtype and
the outputs back into NumPy arrays.

This module only imports TensorFlow when a model is loaded.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nlpkit.errors import MissingDependencyError

__all__ = [
    "ServedModel",
    "SignatureInfo",
    "TensorInfo",
    "RequestError",
    "resolve_savedmodel",
    "list_versions",
    "is_savedmodel",
    "is_saved_pipeline",
    "discover_models",
    "detect_task",
    "MODEL_NAME_PATTERN",
]

#: Model names the server accepts in URLs; anything else is "not found", never a path.
MODEL_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
DEFAULT_SIGNATURE = "serving_default"


class RequestError(ValueError):
    """A request the model cannot serve (bad input shape, dtype, unknown signature...).

    `status` is the HTTP status the server answers with.
    """

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def is_savedmodel(path: str | os.PathLike) -> bool:
    """True when `path` is a SavedModel folder (holds `saved_model.pb`)."""
    return (Path(path) / "saved_model.pb").is_file()


def is_saved_pipeline(path: str | os.PathLike) -> bool:
    """True when `path` was written by `Pipeline.save` (holds `config.json`, no `saved_model.pb`)."""
    p = Path(path)
    return (p / "config.json").is_file() and not is_savedmodel(p)


def list_versions(base: str | os.PathLike) -> list[int]:
    """Integer-named subfolders of `base` that hold a SavedModel, ascending."""
    base = Path(base)
    if not base.is_dir():
        return []
    return sorted(int(p.name) for p in base.iterdir() if p.name.isdigit() and is_savedmodel(p))


def resolve_savedmodel(path: str | os.PathLike) -> tuple[Path, int | None]:
    """Return `(savedmodel_dir, version)` for a SavedModel folder or its versioned parent.

    Args:
        path: A SavedModel folder (`saved_models/sentiment/3`) or a folder of numbered versions
            (`saved_models/sentiment`: the highest number is taken).

    Returns:
        The SavedModel folder and its version (None when the folder name is not a number).

    Raises:
        FileNotFoundError: `path` does not exist.
        ValueError: `path` is neither a SavedModel nor a folder of numbered SavedModels.

    Example:
        >>> resolve_savedmodel("saved_models/sentiment")  # doctest: +SKIP
        (PosixPath('saved_models/sentiment/2'), 2)
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"Model path {p} does not exist.")
    if is_savedmodel(p):
        return p, int(p.name) if p.name.isdigit() else None
    versions = list_versions(p)
    if not versions:
        raise ValueError(
            f"{p} is not a SavedModel (no saved_model.pb) and holds no numbered version folders "
            "(<n>/saved_model.pb). Pass an export from `pipeline.export()` or `nlpkit export`."
        )
    return p / str(versions[-1]), versions[-1]


def discover_models(root: str | os.PathLike) -> dict[str, Path]:
    """Models to serve under `root`: `{name: base_dir}`.

    Every direct subfolder that is a SavedModel or holds numbered SavedModel versions is a model
    named after the subfolder. When `root` itself holds numbered versions (or is a SavedModel) it
    is served under its own folder name. Subfolder names that are not valid model names
    (`MODEL_NAME_PATTERN`) are skipped.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"Model folder {root} does not exist.")
    if is_savedmodel(root) or list_versions(root):
        name = root.resolve().name
        return {name: root}
    found = {}
    for child in sorted(root.iterdir()):
        if not child.is_dir() or not MODEL_NAME_PATTERN.match(child.name):
            continue
        if is_savedmodel(child) or list_versions(child):
            found[child.name] = child
    return found


# ---------------------------------------------------------------------------- signatures
_DTYPE_NAMES = {
    "string": "DT_STRING",
    "float32": "DT_FLOAT",
    "float64": "DT_DOUBLE",
    "int32": "DT_INT32",
    "int64": "DT_INT64",
    "bool": "DT_BOOL",
}


def _read_labels(folder: Path) -> list[str] | None:
    """Class labels an export lists beside its graph: `assets.extra/labels.txt` (one line per
    label in `nlpkit.utils.files.write_vocabulary`'s format), or `assets/labels.txt` (plain
    lines) in exports written before nlpkit 0.2."""
    from nlpkit.utils.files import read_vocabulary

    extra = folder / "assets.extra" / "labels.txt"
    if extra.is_file():
        return read_vocabulary(extra)
    old = folder / "assets" / "labels.txt"
    if old.is_file():
        return [s for s in old.read_text(encoding="utf-8").split("\n") if s != ""]
    return None


def _read_music_timing(folder: Path) -> dict[str, Any] | None:
    """How long a music export's events last: `assets.extra/music.json` (see
    `nlpkit.data.music_events.timing_metadata`), or, for exports written before it, the same
    figures from the configuration in `assets.extra/config.json`. None when neither is there
    (the demo page then assumes one quarter note per piano-roll step and says so)."""
    import json

    from nlpkit.data.music_events import timing_metadata

    extra = folder / "assets.extra"
    try:
        if (extra / "music.json").is_file():
            timing = json.loads((extra / "music.json").read_text(encoding="utf-8"))
            if isinstance(timing, dict):
                return timing
        if (extra / "config.json").is_file():
            meta = json.loads((extra / "config.json").read_text(encoding="utf-8"))
            config = meta.get("config") if isinstance(meta, dict) else None
            if isinstance(config, dict) and "representation" in config:
                return timing_metadata(config)
    except (OSError, ValueError, TypeError):  # unreadable metadata: served without timing
        return None
    return None


@dataclass(frozen=True)
class TensorInfo:
    """One input or output of a signature: name, dtype name ('string', 'int32'...) and shape."""

    name: str
    dtype: str
    shape: tuple[int | None, ...] | None

    @property
    def batched(self) -> bool:
        """The first dimension is the (unknown) batch dimension."""
        return bool(self.shape) and self.shape[0] is None

    def as_tf_serving(self) -> dict[str, Any]:
        """The TensorInfo message of TF Serving's metadata response."""
        if self.shape is None:
            shape: dict[str, Any] = {"dim": [], "unknown_rank": True}
        else:
            shape = {
                "dim": [{"size": str(-1 if d is None else d), "name": ""} for d in self.shape],
                "unknown_rank": False,
            }
        return {
            "dtype": _DTYPE_NAMES.get(self.dtype, "DT_" + self.dtype.upper()),
            "tensor_shape": shape,
            "name": self.name,
        }


@dataclass(frozen=True)
class SignatureInfo:
    name: str
    inputs: dict[str, TensorInfo]
    outputs: dict[str, TensorInfo]

    @property
    def batchable(self) -> bool:
        """Rows of several requests can be stacked: every input is a 1-D batch of values."""
        return all(
            t.shape is not None and len(t.shape) == 1 and t.batched for t in self.inputs.values()
        )

    def as_tf_serving(self) -> dict[str, Any]:
        return {
            "inputs": {k: v.as_tf_serving() for k, v in sorted(self.inputs.items())},
            "outputs": {k: v.as_tf_serving() for k, v in sorted(self.outputs.items())},
            "method_name": "tensorflow/serving/predict",
        }


def _tensor_info(name: str, spec) -> TensorInfo:
    shape = None if spec.shape.rank is None else tuple(spec.shape.as_list())
    return TensorInfo(name=name, dtype=spec.dtype.name, shape=shape)


def detect_task(signatures: dict[str, SignatureInfo]) -> tuple[str, str | None]:
    """Guess the nlpkit task of a SavedModel from what its signatures take and return.

    Looks at inputs and outputs, not at signature names, so renamed signatures still work.

    Returns:
        `(task, signature_name)`: task is one of 'classification', 'ner', 'translation',
        'chargen', 'music' or 'unknown'; the signature is the one the demo page calls.
    """
    order = sorted(signatures, key=lambda n: (n != DEFAULT_SIGNATURE, n))
    checks = [
        ("ner", lambda s: "entity_starts" in s.outputs),
        ("classification", lambda s: {"label", "scores"} <= set(s.outputs)),
        ("translation", lambda s: "translation" in s.outputs),
        (  # sampling without top-k/top-p first (chargen also exports beam_search)
            "chargen",
            lambda s: (
                {"prompts", "temperature", "seed"} <= set(s.inputs)
                and "text" in s.outputs
                and "top_k" not in s.inputs
            ),
        ),
        ("chargen", lambda s: {"prompts", "temperature"} <= set(s.inputs) and "text" in s.outputs),
        ("chargen", lambda s: "prompts" in s.inputs and "text" in s.outputs),
        ("music", lambda s: "primer" in s.inputs),
    ]
    for task, test in checks:
        for name in order:
            if test(signatures[name]):
                return task, name
    return "unknown", (order[0] if order else None)


# ---------------------------------------------------------------------------- the model
def _to_python(array: np.ndarray) -> Any:
    """A NumPy output (or one element of it) as JSON-safe values (strings decoded as UTF-8)."""
    if isinstance(array, bytes):
        return array.decode("utf-8", errors="replace")
    array = np.asarray(array)
    if array.dtype == object or array.dtype.kind == "S":
        flat = [
            v.decode("utf-8", errors="replace") if isinstance(v, bytes) else str(v)
            for v in array.reshape(-1)
        ]
        return np.array(flat, dtype=object).reshape(array.shape).tolist()
    if array.dtype.kind == "f":
        # JSON has no NaN/inf: TF Serving writes them as strings too.
        if not np.all(np.isfinite(array)):
            out = array.astype(object)
            out[np.isnan(array)] = "NaN"
            out[np.isposinf(array)] = "Infinity"
            out[np.isneginf(array)] = "-Infinity"
            return out.tolist()
    return array.tolist()


to_json_value = _to_python


@dataclass
class ServedModel:
    """A loaded SavedModel with its signatures described.

    Args:
        name: The name it is served under.
        path: The SavedModel folder.
        version: Its version number (None if the folder is not numbered).

    Example:
        >>> m = ServedModel.load("sentiment", "saved_models/sentiment")  # doctest: +SKIP
        >>> m.run("serving_default", {"text": ["a great film"]})["label"]  # doctest: +SKIP
        array([b'pos'], dtype=object)
    """

    name: str
    path: Path
    version: int | None
    signatures: dict[str, SignatureInfo] = field(default_factory=dict)
    task: str = "unknown"
    task_signature: str | None = None
    labels: list[str] | None = None
    music: dict[str, Any] | None = None
    _loaded: Any = None

    @classmethod
    def load(cls, name: str, path: str | os.PathLike) -> ServedModel:
        """Load the SavedModel at `path` (a version folder or its parent: newest version)."""
        import tensorflow as tf

        from nlpkit.text.subword import register_text_ops

        folder, version = resolve_savedmodel(path)
        # Translators with subword vocabularies hold tensorflow-text ops (SentencePiece).
        has_text_ops = register_text_ops()
        try:
            loaded = tf.saved_model.load(os.fspath(folder))
        except (RuntimeError, tf.errors.NotFoundError) as e:  # "Op type not registered ..."
            if has_text_ops or "Sentencepiece" not in str(e):
                raise
            raise MissingDependencyError(
                "tensorflow-text", "translation", f"Loading {folder} (a subword translator)"
            ) from e
        sigs = {}
        for sig_name, fn in loaded.signatures.items():
            _, kwargs = fn.structured_input_signature
            outputs = fn.structured_outputs
            sigs[sig_name] = SignatureInfo(
                name=sig_name,
                inputs={k: _tensor_info(k, v) for k, v in kwargs.items()},
                outputs={k: _tensor_info(k, v) for k, v in outputs.items()},
            )
        task, task_sig = detect_task(sigs)
        return cls(
            name=name,
            path=folder,
            version=version,
            signatures=sigs,
            task=task,
            task_signature=task_sig,
            labels=_read_labels(folder),
            music=_read_music_timing(folder) if task == "music" else None,
            _loaded=loaded,
        )

    # ------------------------------------------------------------------ description
    def signature(self, name: str | None) -> SignatureInfo:
        """The signature called `name`; None or '' means `serving_default` (or the only one)."""
        if not name:
            if DEFAULT_SIGNATURE in self.signatures:
                return self.signatures[DEFAULT_SIGNATURE]
            if len(self.signatures) == 1:
                return next(iter(self.signatures.values()))
            raise RequestError(
                f"Model {self.name!r} has no '{DEFAULT_SIGNATURE}' signature; pass "
                f'"signature_name", one of {sorted(self.signatures)}.'
            )
        if name not in self.signatures:
            raise RequestError(
                f"Serving signature name: {name!r} not found in signature def. Model "
                f"{self.name!r} has {sorted(self.signatures)}."
            )
        return self.signatures[name]

    def metadata(self) -> dict[str, Any]:
        """TF Serving's `GET /v1/models/{name}/metadata` body."""
        return {
            "model_spec": {
                "name": self.name,
                "signature_name": "",
                "version": str(self.version if self.version is not None else ""),
            },
            "metadata": {
                "signature_def": {
                    "signature_def": {
                        k: v.as_tf_serving() for k, v in sorted(self.signatures.items())
                    }
                }
            },
        }

    def describe(self) -> dict[str, Any]:
        """A short JSON description for the demo page and `nlpkit info`."""
        return {
            "name": self.name,
            "version": self.version,
            "task": self.task,
            "task_signature": self.task_signature,
            "labels": self.labels,
            "music": self.music,
            "signatures": {
                k: {
                    "inputs": {
                        n: {"dtype": t.dtype, "shape": t.shape} for n, t in s.inputs.items()
                    },
                    "outputs": {
                        n: {"dtype": t.dtype, "shape": t.shape} for n, t in s.outputs.items()
                    },
                }
                for k, s in sorted(self.signatures.items())
            },
        }

    # ------------------------------------------------------------------ inference
    def to_arrays(self, sig: SignatureInfo, inputs: dict[str, Any]) -> dict[str, np.ndarray]:
        """Check and convert JSON values to arrays of each input's dtype and rank.

        Raises:
            RequestError: a missing or unexpected input, or a value of the wrong type or rank.
        """
        missing = sorted(set(sig.inputs) - set(inputs))
        extra = sorted(set(inputs) - set(sig.inputs))
        if missing or extra:
            raise RequestError(
                f"Signature {sig.name!r} takes inputs {sorted(sig.inputs)}. "
                f"Missing: {missing}; unexpected: {extra}."
            )
        arrays = {}
        for key, info in sig.inputs.items():
            value = inputs[key]
            try:
                if info.dtype == "string":
                    arr = np.asarray(value, dtype=object)
                    flat = arr.reshape(-1)
                    for v in flat:
                        if not isinstance(v, str):
                            raise TypeError(f"expected strings, got {type(v).__name__} {v!r:.40}")
                    arr = np.array([v.encode("utf-8") for v in flat], dtype=object).reshape(
                        arr.shape
                    )
                else:
                    arr = np.asarray(value, dtype=np.dtype(info.dtype))
            except (TypeError, ValueError, OverflowError) as e:
                raise RequestError(
                    f"Input {key!r} of signature {sig.name!r} must be {info.dtype} values of "
                    f"shape {_shape_text(info.shape)}: {e}"
                ) from e
            if info.shape is not None:
                if arr.size == 0 and arr.ndim < len(info.shape):  # e.g. an empty primer [[]]
                    arr = arr.reshape(arr.shape + tuple(d or 0 for d in info.shape[arr.ndim :]))
                if arr.ndim != len(info.shape) or any(
                    d is not None and d != a for d, a in zip(info.shape, arr.shape, strict=True)
                ):
                    raise RequestError(
                        f"Input {key!r} of signature {sig.name!r} must have shape "
                        f"{_shape_text(info.shape)}. Received shape {list(arr.shape)}."
                    )
            arrays[key] = arr
        return arrays

    def run(self, signature: str | None, arrays: dict[str, Any]) -> dict[str, np.ndarray]:
        """Call a signature on converted inputs (see `to_arrays`); return NumPy outputs."""
        import tensorflow as tf

        sig = self.signature(signature)
        fn = self._loaded.signatures[sig.name]
        tensors = {
            k: tf.constant(v, dtype=tf.dtypes.as_dtype(sig.inputs[k].dtype))
            for k, v in arrays.items()
        }
        try:
            out = fn(**tensors)
        except (tf.errors.InvalidArgumentError, ValueError, TypeError) as e:
            raise RequestError(f"Model {self.name!r} rejected the input: {e}".split("\n")[0]) from e
        return {k: v.numpy() for k, v in out.items()}


def _shape_text(shape) -> str:
    if shape is None:
        return "(any)"
    return (
        "["
        + ", ".join(
            "batch" if i == 0 and d is None else ("n" if d is None else str(d))
            for i, d in enumerate(shape)
        )
        + "]"
    )
