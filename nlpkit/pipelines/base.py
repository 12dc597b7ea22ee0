"""The pipeline contract shared by every task.

Every task pipeline (`TextClassifier`, `EntityTagger`, `CharGenerator`, `MusicGenerator`,
`Translator`) subclasses `Pipeline` and so has the same verbs and on-disk shape:

- the constructor stores configuration only (no I/O, no model building);
- `fit(...) -> self` sets the learned state in trailing-underscore attributes (`model_`, ...);
- `evaluate(...) -> dict[str, float]`, `predict(...)`;
- `save(dir)` writes `config.json`, the subclass's state and a model card, atomically;
- `Pipeline.load(dir)` (a classmethod) restores it;
- `export(dir=None) -> Path` writes a TensorFlow SavedModel that serves raw inputs.

Subclasses implement `_save_state(dir)`, `_load_state(dir)` and `_export(dir)`.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import inspect
import json
import os
from pathlib import Path
from typing import Any, ClassVar

from nlpkit._version import __version__
from nlpkit.errors import NotFittedError
from nlpkit.utils.files import atomic_directory, next_version_dir, read_json, write_json

__all__ = ["Pipeline", "DEFAULT_EXPORT_ROOT"]

DEFAULT_EXPORT_ROOT = Path(os.environ.get("NLPKIT_EXPORT_ROOT", "saved_models"))
CONFIG_FILE = "config.json"
CARD_FILE = "model_card.json"
CARD_MD = "MODEL_CARD.md"


def _jsonable(value: Any) -> Any:
    """Return `value` as JSON-safe data, or raise TypeError naming the problem."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    try:  # numpy scalars
        return value.item()
    except AttributeError:
        pass
    raise TypeError(f"Value of type {type(value).__name__} is not JSON-serialisable: {value!r:.80}")


class Pipeline:
    """Base class of nlpkit task pipelines (see the module docstring for the contract)."""

    #: Short task name; used for the default export folder `saved_models/<export_name>/<n>/`.
    export_name: ClassVar[str] = "model"
    #: Attributes that exist only once the pipeline is fitted (checked by `_check_fitted`).
    _fitted_attr: ClassVar[str] = "model_"

    # ----------------------------------------------------------------- configuration
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            n
            for n, p in sig.parameters.items()
            if n != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        ]

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments as JSON-safe values (`cls(**config)` rebuilds it).

        Configuration values that are not JSON-safe (for example an in-memory gensim
        `KeyedVectors` passed as `embeddings=`) are stored as `None`: their effect lives in the
        fitted weights, which `save` keeps.
        """
        config = {}
        for name in self._param_names():
            value = getattr(self, name)
            try:
                config[name] = _jsonable(value)
            except TypeError:
                config[name] = None
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Pipeline:
        """Create an unfitted pipeline from `get_config()` output."""
        unknown = sorted(set(config) - set(cls._param_names()))
        if unknown:
            raise ValueError(
                f"Unknown configuration keys for {cls.__name__}: {unknown}. "
                f"Expected a subset of {cls._param_names()}"
            )
        return cls(**config)

    def __repr__(self) -> str:
        params = inspect.signature(type(self).__init__).parameters
        shown = []
        for name in self._param_names():
            value = getattr(self, name, None)
            if (
                params[name].default is not inspect.Parameter.empty
                and params[name].default == value
            ):
                continue
            shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    # ----------------------------------------------------------------- state checks
    @property
    def is_fitted(self) -> bool:
        return getattr(self, self._fitted_attr, None) is not None

    def _check_fitted(self, method: str) -> None:
        if not self.is_fitted:
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet: call `fit(...)` before "
                f"`{method}()`, or load a saved one with `{type(self).__name__}.load(path)`."
            )

    # ----------------------------------------------------------------- model card
    def _card(self) -> dict[str, Any]:
        """Facts stored with a saved model: metrics, data hash, seed. Subclasses add to `card_`."""
        card = dict(getattr(self, "card_", {}) or {})
        card.setdefault("seed", getattr(self, "seed", None))
        card["class"] = type(self).__name__
        card["nlpkit_version"] = __version__
        return card

    # ----------------------------------------------------------------- persistence
    def save(self, directory: str | os.PathLike) -> Path:
        """Save the fitted pipeline to `directory` atomically.

        Writes `config.json` (class, configuration, nlpkit version), the subclass state (Keras
        model, vocabularies and label maps as plain-text assets) and a model card. The directory
        is written beside its final place and renamed into place, so an interruption never
        leaves a half-written model and an earlier save at the same path survives a failure.

        Returns:
            The directory written.
        """
        self._check_fitted("save")
        directory = Path(directory)
        with atomic_directory(directory) as tmp:
            write_json(
                tmp / CONFIG_FILE,
                {
                    "class": f"{type(self).__module__}.{type(self).__qualname__}",
                    "config": self.get_config(),
                    "nlpkit_version": __version__,
                    "saved_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
                },
            )
            self._save_state(tmp)
            card = self._card()
            write_json(tmp / CARD_FILE, card)
            (tmp / CARD_MD).write_text(_card_markdown(card), encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory: str | os.PathLike) -> Pipeline:
        """Load a pipeline written by `save`.

        Raises:
            FileNotFoundError: `directory` does not exist.
            ValueError: `directory` is not a saved nlpkit pipeline, or holds another class.
        """
        directory = Path(directory)
        if not directory.is_dir():
            raise FileNotFoundError(
                f"No saved pipeline at {directory}: the directory does not exist."
            )
        cfg_path = directory / CONFIG_FILE
        if not cfg_path.is_file():
            raise ValueError(
                f"{directory} is not a saved nlpkit pipeline: it has no {CONFIG_FILE}. "
                "Pass a directory written by `pipeline.save(path)` (SavedModel exports are loaded "
                "with `tf.saved_model.load`)."
            )
        try:
            meta = read_json(cfg_path)
            qualname = meta["class"]
            config = meta["config"]
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise ValueError(f"{cfg_path} is not a valid nlpkit config file: {e}") from e
        module_name, _, class_name = qualname.rpartition(".")
        try:
            klass = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError) as e:
            raise ValueError(
                f"{cfg_path} names class {qualname!r}, which cannot be imported."
            ) from e
        if not (isinstance(klass, type) and issubclass(klass, cls)):
            raise ValueError(
                f"{directory} holds a saved {class_name}, not a {cls.__name__}. "
                f"Load it with `{class_name}.load(...)` or `nlpkit.load(...)`."
            )
        obj = klass.from_config(config)
        obj._load_state(directory)
        card_path = directory / CARD_FILE
        if card_path.is_file():
            card = read_json(card_path)
            for key in ("class", "nlpkit_version"):
                card.pop(key, None)
            obj.card_ = card
        return obj

    def export(self, directory: str | os.PathLike | None = None) -> Path:
        """Export a TensorFlow SavedModel that serves raw inputs.

        Args:
            directory: Where to write. Defaults to the next numeric version under
                `saved_models/<export_name>/` (TensorFlow Serving's layout).

        Returns:
            The SavedModel directory.
        """
        self._check_fitted("export")
        if directory is None:
            directory = next_version_dir(DEFAULT_EXPORT_ROOT / self.export_name)
        directory = Path(directory)
        with atomic_directory(directory) as tmp:
            self._export(tmp)
        return directory

    # ----------------------------------------------------------------- subclass hooks
    def _save_state(self, directory: Path) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _load_state(self, directory: Path) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _export(self, directory: Path) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


def _card_markdown(card: dict[str, Any]) -> str:
    lines = [f"# Model card: {card.get('class', 'nlpkit model')}", ""]
    for key in sorted(card):
        value = card[key]
        if isinstance(value, dict):
            lines.append(f"- **{key}**:")
            for k2 in sorted(value):
                lines.append(f"  - {k2}: {value[k2]}")
        else:
            lines.append(f"- **{key}**: {value}")
    return "\n".join(lines) + "\n"


def load(directory: str | os.PathLike) -> Pipeline:
    """Load any saved nlpkit pipeline (the class is read from its `config.json`)."""
    return Pipeline.load(directory)
