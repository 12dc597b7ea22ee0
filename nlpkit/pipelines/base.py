"""The pipeline contract shared by every task.

Every task pipeline (`TextClassifier`, `EntityTagger`, `CharGenerator`, `MusicGenerator`,
`Translator`) subclasses `Pipeline` and so has the same verbs and on-disk shape:

- the constructor stores configuration only (no I/O, no model building);
- `fit(...) -> self` sets the learned state in trailing-underscore attributes (`model_`, ...);
- `evaluate(...) -> dict[str, float]`, `predict(...)`;
- `save(dir)` writes `config.json`, the subclass's state and a model card, atomically;
- `Pipeline.load(dir)` (a classmethod) restores it;
- `export(dir=None) -> Path` writes a TensorFlow SavedModel that serves raw inputs.

Subclasses implement `_save_state(dir)`, `_load_state(dir)` and `_export(dir)`, and may add
`_check_structure(dir)` (vocabulary sizes against embedding rows, labels against output units).

Loading never runs code from the saved folder: the class named in `config.json` is looked up
by name among nlpkit's pipelines (and subclasses of `Pipeline` already imported by the user),
never imported; Keras models load in safe mode; nothing is unpickled. Every saved file's size
and SHA-256 are recorded in the model card and checked at load (`load(dir, verify=False)`
skips the digest comparison for files edited on purpose).
"""

from __future__ import annotations

import datetime as _dt
import importlib
import inspect
import json
import logging
import os
from pathlib import Path
from typing import Any, ClassVar

from nlpkit._version import __version__
from nlpkit.errors import IntegrityError, NotFittedError
from nlpkit.utils.files import (
    atomic_directory,
    clean_leftovers_in,
    file_digests,
    next_version_dir,
    read_json,
    recover_directory,
    verify_digests,
    write_json,
)

__all__ = [
    "Pipeline",
    "DEFAULT_EXPORT_ROOT",
    "PIPELINES",
    "load",
    "resolve_pipeline_class",
    "check_rows",
]

logger = logging.getLogger("nlpkit")

DEFAULT_EXPORT_ROOT = Path(os.environ.get("NLPKIT_EXPORT_ROOT", "saved_models"))
CONFIG_FILE = "config.json"
CARD_FILE = "model_card.json"
CARD_MD = "MODEL_CARD.md"
#: Model-card key holding `{relative path: {"size", "sha256"}}` of every saved file.
FILES_KEY = "files"
#: Version of the saved-folder layout. 1: each task's own files (nlpkit 0.1); 2: one
#: convention for every task (`model.keras`, vocabularies as `write_vocabulary` text, digests).
LAYOUT = 2

#: nlpkit's own pipelines: the only classes `load` resolves by name (plus already-imported
#: subclasses of `Pipeline`, see `resolve_pipeline_class`). The modules are nlpkit's own.
PIPELINES: dict[str, str] = {
    "TextClassifier": "nlpkit.pipelines.classifier",
    "SentimentClassifier": "nlpkit.pipelines.classifier",
    "EntityTagger": "nlpkit.pipelines.tagger",
    "CharGenerator": "nlpkit.pipelines.chargen",
    "MusicGenerator": "nlpkit.pipelines.music",
    "Translator": "nlpkit.pipelines.translator",
}
#: Subclasses of `Pipeline` defined so far (by the library or by user code already imported),
#: keyed by `module.qualname`; filled by `Pipeline.__init_subclass__`.
_DEFINED: dict[str, type] = {}


def resolve_pipeline_class(name: str, source: str | os.PathLike = "config.json") -> type:
    """The pipeline class saved under `name` (`"TextClassifier"` or an old dotted path).

    Nothing is imported on the saved folder's say: a dotted name such as
    `"nlpkit.pipelines.classifier.TextClassifier"` (written by earlier releases) resolves to a
    subclass of `Pipeline` that is already defined under exactly that path, else to the nlpkit
    pipeline of the same class name (`PIPELINES`). Anything else is an error.

    Raises:
        ValueError: `name` is not a string or names no known pipeline (lists the known ones).

    Example:
        >>> resolve_pipeline_class("nlpkit.pipelines.tagger.EntityTagger").__name__
        'EntityTagger'
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"{source}: `class` must be a pipeline class name. Received: {name!r}")
    if name in _DEFINED:
        return _DEFINED[name]
    short = name.rpartition(".")[2]
    if short in PIPELINES:
        return getattr(importlib.import_module(PIPELINES[short]), short)
    user = [k for k in _DEFINED.values() if k.__qualname__ == short]
    if len(user) == 1:
        return user[0]
    raise ValueError(
        f"{source} names class {name!r}, which is not an nlpkit pipeline. Known pipelines: "
        f"{sorted(PIPELINES)}. nlpkit never imports code named by a saved model; for your own "
        "subclass of Pipeline, import it before loading."
    )


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

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _DEFINED[f"{cls.__module__}.{cls.__qualname__}"] = cls

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
        model, vocabularies and label maps as plain-text assets) and a model card that records
        every file's size and SHA-256. The directory is written beside its final place and
        renamed into place (`nlpkit.utils.files.atomic_directory`), so a process killed at any
        instant leaves the previous or the new model loadable, and the next save removes what
        an interrupted one left behind. Folders get the permissions the umask allows.

        Returns:
            The directory written.
        """
        self._check_fitted("save")
        if not isinstance(directory, (str, os.PathLike)):
            raise TypeError(
                "`directory` must be a path (a string or a pathlib.Path). "
                f"Received: directory={directory!r:.60} of type {type(directory).__name__}"
            )
        directory = Path(directory)
        with atomic_directory(directory) as tmp:
            write_json(
                tmp / CONFIG_FILE,
                {
                    "class": f"{type(self).__module__}.{type(self).__qualname__}",
                    "config": self.get_config(),
                    "nlpkit_version": __version__,
                    "layout": LAYOUT,
                    "saved_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
                },
            )
            self._save_state(tmp)
            card = self._card()
            card[FILES_KEY] = file_digests(tmp)
            write_json(tmp / CARD_FILE, card)
            (tmp / CARD_MD).write_text(_card_markdown(card), encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory: str | os.PathLike, *, verify: bool = True) -> Pipeline:
        """Load a pipeline written by `save`, checking that its files are intact.

        Nothing in the folder is executed: the class is looked up by name among nlpkit's
        pipelines (`resolve_pipeline_class`), Keras models load in safe mode and no file is
        unpickled. The sizes and SHA-256 digests recorded in the model card are compared with
        the files, and the parts are checked against each other (vocabulary size against
        embedding rows, labels against output units). If a save was killed while switching
        versions, the complete version it left beside `directory` is loaded (with a warning).

        Args:
            directory: A folder written by `save`.
            verify: Compare each file's size and SHA-256 with the model card. Pass False
                after editing a saved file on purpose; the structure checks and the check for
                a corrupt or truncated model file still apply.

        Raises:
            FileNotFoundError: `directory` does not exist.
            ValueError: `directory` is not a saved nlpkit pipeline, or holds another class.
            IntegrityError: a file is missing, truncated, corrupt or changed, or does not fit
                the rest of the model (a `ValueError`; the message names the file).

        Example:
            >>> import tempfile
            >>> from nlpkit import TextClassifier
            >>> clf = TextClassifier(hidden_size=4, seed=0, verbose=0).fit(
            ...     ["good", "bad"], ["pos", "neg"], epochs=1)
            >>> path = clf.save(tempfile.mkdtemp() + "/clf")
            >>> TextClassifier.load(path).classes_
            ['neg', 'pos']
        """
        requested = Path(directory)
        directory = recover_directory(requested)
        if directory is not None and directory.exists() and not directory.is_dir():
            raise ValueError(
                f"{requested} is a file, not a saved pipeline: pass the folder written by "
                "`pipeline.save(path)`."
            )
        if directory is None or not directory.is_dir():
            raise FileNotFoundError(
                f"No saved pipeline at {requested}: the directory does not exist."
            )
        if directory != requested.absolute():
            logger.warning(
                "%s is missing: a save was interrupted while switching versions. Loading the "
                "complete version it left at %s; the next save to %s puts it back in place.",
                requested,
                directory,
                requested,
            )
        cfg_path = directory / CONFIG_FILE
        if not cfg_path.is_file():
            raise ValueError(
                f"{requested} is not a saved nlpkit pipeline: it has no {CONFIG_FILE}. "
                "Pass a directory written by `pipeline.save(path)` (SavedModel exports are loaded "
                "with `tf.saved_model.load`)."
            )
        try:
            meta = read_json(cfg_path)
            name = meta["class"]
            config = meta["config"]
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as e:
            raise ValueError(f"{cfg_path} is not a valid nlpkit config file: {e!r}") from e
        if not isinstance(config, dict):
            raise ValueError(
                f"{cfg_path}: `config` must be a JSON object. Received: {config!r:.80}"
            )
        klass = resolve_pipeline_class(name, cfg_path)
        if not issubclass(klass, cls):
            raise ValueError(
                f"{requested} holds a saved {klass.__name__}, not a {cls.__name__}. "
                f"Load it with `{klass.__name__}.load(...)` or `nlpkit.load(...)`."
            )
        layout = meta.get("layout", 1)
        if isinstance(layout, bool) or not isinstance(layout, int) or layout < 1:
            raise ValueError(
                f"{cfg_path}: `layout` must be a positive integer. Received: {layout!r:.80}"
            )
        if layout > LAYOUT:
            raise ValueError(
                f"{cfg_path}: the folder was saved by a newer nlpkit ({meta.get('nlpkit_version')}"
                f", layout {layout}); this nlpkit ({__version__}) reads layouts 1 to {LAYOUT}. "
                "Upgrade nlpkit to load it."
            )
        card_path = directory / CARD_FILE
        card = {}
        if card_path.is_file():
            try:
                card = read_json(card_path)
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                raise IntegrityError(f"{card_path} is not valid JSON: {e}") from e
            if not isinstance(card, dict):
                raise IntegrityError(
                    f"{card_path} must hold a JSON object. Received: {card!r:.80}. The model card "
                    "is damaged; save the model again."
                )
        digests = card.pop(FILES_KEY, None)
        if verify:
            if digests is None:
                logger.info(
                    "%s records no file digests (saved by nlpkit < 0.2?); integrity not checked.",
                    card_path,
                )
            else:
                verify_digests(directory, digests)
        obj = klass.from_config(config)
        obj._layout = layout
        try:
            obj._load_state(directory)
            obj._check_structure(directory)
        except IntegrityError:
            raise
        except FileNotFoundError as e:
            raise IntegrityError(
                f"{e.filename or directory} is missing or not a file: the saved "
                f"{klass.__name__} in {requested} is incomplete. Save the model again."
            ) from e
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as e:
            # a file that parses but does not hold what this pipeline saved (edited, from
            # another model or another task); with verify=True the digests catch most of these
            raise IntegrityError(
                f"{requested} does not hold a loadable {klass.__name__}: {type(e).__name__}: "
                f"{e}. A saved file is damaged or belongs to another model; save the model "
                "again."
            ) from e
        for key in ("class", "nlpkit_version"):
            card.pop(key, None)
        if card:
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
            # what killed exports left here first (they may hold a version number to reuse)
            clean_leftovers_in(DEFAULT_EXPORT_ROOT / self.export_name)
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

    def _check_structure(self, directory: Path) -> None:
        """Check the loaded parts against each other; raise `IntegrityError` naming the file.

        The default does nothing; pipelines compare vocabulary sizes with embedding rows and
        label counts with output units (see `check_rows`).
        """

    def _fit_model(self, model, train_data, validation, epochs, callbacks, trainer):
        """Train `model` through the engine with this pipeline's early-stopping and verbosity
        settings, then keep it: `model_`, `history_` (lists per metric) and `training_` (the
        engine's TrainingResult: steps, stop_reason, ...). Returns the TrainingResult."""
        from nlpkit.training.utils import fit_keras_model, history_to_dict

        history = fit_keras_model(
            model,
            train_data,
            validation=validation,
            epochs=epochs,
            callbacks=callbacks,
            early_stopping=self.early_stopping,
            verbose=self.verbose,
            trainer=trainer,
        )
        self.model_ = model
        self.history_ = history_to_dict(history)
        self.training_ = history
        return history


def check_rows(directory: Path, filename: str, count: int, rows: int, what: str) -> None:
    """Raise `IntegrityError` unless a file's `count` entries match the model's `rows`.

    Example:
        >>> check_rows(Path("m"), "labels.json", 2, 2, "output units")
    """
    if int(count) != int(rows):
        raise IntegrityError(
            f"{directory / filename} holds {count} entries, but the model has {rows} {what}. "
            "The file does not belong to this model (edited, truncated or mixed up); save the "
            "model again."
        )


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


def load(directory: str | os.PathLike, *, verify: bool = True) -> Pipeline:
    """Load any saved nlpkit pipeline (the class is read from its `config.json` by name; see
    `Pipeline.load` for the integrity checks and `verify`)."""
    return Pipeline.load(directory, verify=verify)
