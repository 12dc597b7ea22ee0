"""The recipe schema: which sections and keys each task reads, their types, and the old spellings
still accepted for one release. `docs/recipes.md` documents the same schema for people.

Every recipe has the same frame:

- top level: `task` (required), `name` (folder name of exports and saves), `seed` (default seed
  of data splits and of the model);
- `[data]`: where the examples come from (task-specific keys; `validation_fraction`,
  `test_fraction` wherever a split is drawn);
- `[model]`: the pipeline class's constructor arguments, read from the class itself;
- `[fit]`: the pipeline's `fit` keyword arguments (`epochs`, ...), read from the class;
- `[output]`: `save` (a folder for `nlpkit.load`, or true for `saved_models/<name>-pipeline`) and
  `export` (true for `saved_models/<name>/<n>/`, a folder, or false);
- task tables: `[generate]` (chargen, music), `[evaluate]`, `[examples]`, `[plot]` (translation);
  `[vectors]`, `[train]`, `[analysis]` (embeddings).

Example:
    >>> recipe = validate_recipe({"task": "ner", "fit": {"epochs": 2}}, "r.toml")
    >>> recipe["fit"]["epochs"]
    2
    >>> validate_recipe({"task": "ner", "fti": {"epochs": 2}}, "r.toml")
    Traceback (most recent call last):
    ...
    nlpkit.recipes.schema.RecipeError: r.toml: unknown section [fti]. Did you mean [fit]? ...
"""

from __future__ import annotations

import copy
import difflib
import importlib
import inspect
import os
import tomllib
import warnings
from collections.abc import Iterable
from typing import Any

__all__ = [
    "RecipeError",
    "RecipeDeprecationWarning",
    "TASKS",
    "SCHEMAS",
    "validate_recipe",
    "apply_overrides",
    "parse_override",
    "model_class",
    "section_keys",
]


class RecipeError(ValueError):
    """A recipe (or a `--set` override) that does not match the schema; the message names the
    recipe file, the section and key, and the nearest valid name."""


class RecipeDeprecationWarning(DeprecationWarning):
    """An old recipe spelling that still works for one release (`nlpkit run` prints these)."""


#: task -> the module with its `run_recipe(recipe, recipe_path)`.
TASKS = {
    "classification": "nlpkit.recipes.classification",
    "ner": "nlpkit.recipes.ner",
    "chargen": "nlpkit.recipes.chargen",
    "music": "nlpkit.recipes.music",
    "translation": "nlpkit.recipes.translation",
    "embeddings": "nlpkit.recipes.embeddings",
}

#: Marks a section whose keys are a callable's parameters: (module, class, method).
_FROM_CLASS = "from_class"
_FREE = "free"  # a table whose keys are not checked (e.g. trainer options)

_TOP = {"task": "str", "name": "str", "seed": "int"}
_OUTPUT = {"save": "str|bool", "export": "str|bool"}
#: `fit` arguments a recipe cannot give (the data comes from [data]; callbacks are Python objects)
_FIT_DATA = ("x", "y", "validation_data", "callbacks")


def _fit(module: str, cls: str) -> tuple:
    """[fit] = the pipeline's `fit` keyword arguments (`epochs`, and whatever `fit` grows)."""
    return (_FROM_CLASS, module, cls, "fit", {"epochs": "int"})


SCHEMAS: dict[str, dict[str, Any]] = {
    "classification": {
        "": {**_TOP, "preset": "str"},
        "data": {
            "format": "str",
            "train": "str",
            "test": "str",
            "train_split": "str",
            "test_split": "str",
            "data_dir": "str",
            "encoding": "str",
            "header": "bool",
            "text_column": "str|int",
            "label_column": "str|int",
            "test_fraction": "float",
            "validation_fraction": "float",
            "stream": "bool",
            "validation": "str",
        },
        "model": (_FROM_CLASS, "nlpkit.pipelines.classifier", "TextClassifier", "__init__"),
        "fit": _fit("nlpkit.pipelines.classifier", "TextClassifier"),
        "output": _OUTPUT,
    },
    "ner": {
        "": _TOP,
        "data": {
            "dir": "str",
            "train": "str",
            "dev": "str",
            "tag_column": "int",
            "max_sentences": "int",
            "sample": "bool",
            "sample_dir": "str",
            "sample_train": "int",
            "sample_dev": "int",
            "seed": "int",
            "stream": "bool",
        },
        "model": (_FROM_CLASS, "nlpkit.pipelines.tagger", "EntityTagger", "__init__"),
        "fit": _fit("nlpkit.pipelines.tagger", "EntityTagger"),
        "output": _OUTPUT,
    },
    "chargen": {
        "": _TOP,
        "data": {
            "source": "str",
            "lists": "list",
            "path": "str",
            "case": "str",
            "max_items": "int",
            "max_chars": "int",
            "validation_fraction": "float",
            "stream": "bool",
            "validation": "str",
        },
        "model": (_FROM_CLASS, "nlpkit.pipelines.chargen", "CharGenerator", "__init__"),
        "fit": _fit("nlpkit.pipelines.chargen", "CharGenerator"),
        "generate": (_FROM_CLASS, "nlpkit.pipelines.chargen", "CharGenerator", "generate"),
        "output": _OUTPUT,
    },
    "music": {
        "": _TOP,
        "data": {
            "source": "str",
            "query": "str",
            "limit": "int",
            "paths": "list",
            "path": "str",
            "train_split": "str",
            "validation_split": "str",
            "validation_fraction": "float",
            "stream": "bool",
        },
        "model": (_FROM_CLASS, "nlpkit.pipelines.music", "MusicGenerator", "__init__"),
        "fit": _fit("nlpkit.pipelines.music", "MusicGenerator"),
        "generate": (
            _FROM_CLASS,
            "nlpkit.pipelines.music",
            "MusicGenerator",
            "generate",
            {"midi": "str"},
        ),
        "output": _OUTPUT,
    },
    "translation": {
        "": _TOP,
        "data": {
            "kind": "str",
            "train_size": "int",
            "validation_size": "int",
            "seed": "int",
            "path": "str",
            "source": "str",
            "target": "str",
            "suffix": "str",
            "max_examples": "int",
            "stream": "bool",
        },
        "model": (_FROM_CLASS, "nlpkit.pipelines.translator", "Translator", "__init__"),
        "fit": _fit("nlpkit.pipelines.translator", "Translator"),
        "evaluate": {"beam_width": "int", "max_examples": "int"},
        "examples": {"sources": "list"},
        "plot": {"path": "str", "source": "str"},
        "output": _OUTPUT,
    },
    "embeddings": {
        "": _TOP,
        "vectors": {"source": "str", "format": "str", "limit": "int", "allow_download": "bool"},
        "train": {
            "method": "str",
            "corpus": "str",
            "lowercase": "bool",
            "strip_punctuation": "bool",
            "save": "str",
            "options": _FREE,
        },
        "analysis": {
            "neighbours": "list",
            "analogies": "list",
            "evaluate": "list",
            "restrict_vocab": "int",
            "vocabulary": "list",
            "debias_words": "list",
        },
    },
}

#: [model] keys whose recipe type differs from the constructor's annotation.
#: `pretrained_words = "all"` stands for None (every vector; TOML has no None).
_MODEL_TYPES = {
    "ner": {"pretrained_words": "int|str"},
    "classification": {"pretrained_words": "int|str"},
}

#: (section, old key) -> (section, new key), accepted with a RecipeDeprecationWarning.
_RENAMED = {
    ("data", "valid_fraction"): ("data", "validation_fraction"),
    ("data", "valid_split"): ("data", "validation_split"),
    ("output", "save_dir"): ("output", "save"),
    ("fit", "verbose"): ("model", "verbose"),
}

_TYPE_NAMES = {
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "str": "a string",
    "list": "a list",
    "table": "a table",
}


def model_class(recipe: dict[str, Any]) -> type:
    """The pipeline class a recipe's `[model]` table configures.

    Example:
        >>> model_class({"task": "classification", "preset": "sentiment"}).__name__
        'SentimentClassifier'
    """
    spec = SCHEMAS[recipe["task"]].get("model")
    if not isinstance(spec, tuple):
        raise RecipeError(f"task {recipe['task']!r} has no [model] table")
    if recipe["task"] == "classification" and recipe.get("preset") == "sentiment":
        return importlib.import_module(spec[1]).SentimentClassifier
    return getattr(importlib.import_module(spec[1]), spec[2])


def _callable_params(recipe: dict[str, Any], spec: tuple) -> dict[str, str]:
    """Keys (and type strings from the annotations) of a `[model]` or `[generate]` table."""
    klass = (
        model_class(recipe)
        if spec[3] == "__init__"
        else getattr(importlib.import_module(spec[1]), spec[2])
    )
    if spec[3] == "__init__" and hasattr(klass, "_param_names"):
        names = klass._param_names()  # the pipeline contract: constructor arguments
    else:
        skip = ("self", *(_FIT_DATA if spec[3] == "fit" else ()))
        names = [
            n
            for n, p in inspect.signature(getattr(klass, spec[3])).parameters.items()
            if n not in skip and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        ]
    params = inspect.signature(getattr(klass, spec[3])).parameters
    out = {}
    for name in names:
        ann = params[name].annotation if name in params else inspect.Parameter.empty
        out[name] = _annotation_type(ann)
    if spec[3] == "__init__":
        out.update(_MODEL_TYPES.get(recipe["task"], {}))
    if len(spec) > 4:
        out.update(spec[4])
    return out


def _annotation_type(annotation: Any) -> str:
    """A type string ("int|None") from a simple annotation, or "any" when it is not simple."""
    if annotation is inspect.Parameter.empty:
        return "any"
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    parts = []
    for part in (p.strip() for p in str(text).split("|")):
        base = part.split("[", 1)[0]
        if base in ("int", "float", "bool", "str"):
            parts.append(base)
        elif base in ("list", "tuple", "Sequence"):
            parts.append("list")
        elif base in ("dict", "Mapping"):
            parts.append("table")
        elif base == "None":
            continue  # TOML has no None: leaving the key out gives the default
        else:
            return "any"
    return "|".join(parts) if parts else "any"


def section_keys(recipe: dict[str, Any], section: str) -> dict[str, Any] | str:
    """The valid keys (name -> type string) of `section` for the recipe's task, or "free".

    Example:
        >>> sorted(section_keys({"task": "ner"}, "output"))
        ['export', 'save']
    """
    spec = SCHEMAS[recipe["task"]][section]
    if isinstance(spec, tuple):
        return _callable_params(recipe, spec)
    return spec


def _type_ok(value: Any, types: str) -> bool:
    if types == "any":
        return True
    for t in types.split("|"):
        if t == "int" and isinstance(value, int) and not isinstance(value, bool):
            return True
        if t == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        if t == "bool" and isinstance(value, bool):
            return True
        if t == "str" and isinstance(value, str):
            return True
        if t == "list" and isinstance(value, list):
            return True
        if t == "table" and isinstance(value, dict):
            return True
    return False


def _nearest(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return close[0] if close else ""


def _where(section: str) -> str:
    return "the top level" if not section else f"[{section}]"


def _deprecated(path: Any, old: str, new: str) -> None:
    warnings.warn(
        f"{path}: {old} is deprecated and will stop working in the next release; "
        f"write {new} instead.",
        RecipeDeprecationWarning,
        stacklevel=4,
    )


def _upgrade(recipe: dict[str, Any], path: Any) -> None:
    """Rewrite the old spellings of keys and tables in place, warning once for each."""
    for (sec, old), (new_sec, new) in _RENAMED.items():
        table = recipe.get(sec)
        if isinstance(table, dict) and old in table:
            _deprecated(path, f"[{sec}] {old}", f"[{new_sec}] {new}")
            value = table.pop(old)
            target = recipe.setdefault(new_sec, {})
            if isinstance(target, dict):
                target.setdefault(new, value)
    output = recipe.get("output")
    if isinstance(output, dict) and "export_dir" in output:
        _deprecated(path, "[output] export_dir", '[output] export = "DIR"')
        folder = output.pop("export_dir")
        if folder and output.get("export", True) is not False:
            output["export"] = folder
    old_export = recipe.get("export")
    if isinstance(old_export, dict):
        _deprecated(path, "the [export] table", "[output] export = true, false or a folder")
        del recipe["export"]
        output = recipe.setdefault("output", {})
        if isinstance(output, dict) and "export" not in output:
            unknown = sorted(set(old_export) - {"enabled", "dir", "root"})
            if unknown:
                raise RecipeError(
                    f"{path}: [export] has no key {unknown[0]!r} (this old table takes "
                    "enabled, dir and root); write [output] export = true, false or a folder."
                )
            if old_export.get("enabled", True) is False:
                output["export"] = False
            elif old_export.get("dir"):
                output["export"] = old_export["dir"]
            else:
                output["export"] = True
                if old_export.get("root"):
                    output["_export_root"] = old_export["root"]
    old_save = recipe.get("save")
    if isinstance(old_save, dict):
        _deprecated(path, "the [save] table", '[output] save = "DIR"')
        del recipe["save"]
        output = recipe.setdefault("output", {})
        if isinstance(output, dict) and old_save.get("dir"):
            output.setdefault("save", old_save["dir"])


def validate_recipe(
    recipe: dict[str, Any], path: str | os.PathLike = "<recipe>", overridden: Iterable[str] = ()
) -> dict[str, Any]:
    """Check a recipe against its task's schema and return a normalised copy.

    Old spellings (`valid_fraction`, `[export] enabled/dir/root`, `[output] save_dir/export_dir`,
    `[save] dir`, `[fit] verbose`) are rewritten to the current ones with a
    `RecipeDeprecationWarning`.

    Args:
        recipe: The parsed TOML (with any `--set` overrides applied).
        path: The recipe file, named in error messages.
        overridden: Dotted keys that came from `--set` (named as such in errors).

    Returns:
        The normalised recipe.

    Raises:
        RecipeError: unknown task, section or key (with the nearest valid name), or a value of
            the wrong type.
    """
    recipe = copy.deepcopy(recipe)
    overridden = set(overridden)
    task = recipe.get("task")
    if task not in SCHEMAS:
        hint = _nearest(str(task), SCHEMAS)
        raise RecipeError(
            f"{path}: `task` must be one of {', '.join(map(repr, SCHEMAS))}. Received: "
            f"task={task!r}" + (f". Did you mean {hint!r}?" if hint else "")
        )
    _upgrade(recipe, path)
    schema = SCHEMAS[task]
    sections = [s for s in schema if s]
    top = schema[""]
    for name, value in list(recipe.items()):
        if name in top:
            _check_value(path, "", name, value, top[name], overridden)
            continue
        if name not in schema:
            hint = _nearest(name, [*sections, *top])
            if isinstance(value, dict):
                guess = f" Did you mean [{hint}]?" if hint in sections else ""
                raise RecipeError(
                    f"{path}: unknown section [{name}].{guess} Valid sections for task "
                    f"{task!r}: {', '.join(sections)}."
                )
            guess = f" Did you mean {hint!r}?" if hint else ""
            raise RecipeError(
                f"{path}: unknown top-level key {name!r}.{guess} Valid top-level keys: "
                f"{', '.join(top)}; sections: {', '.join(sections)}."
            )
        if not isinstance(value, dict):
            raise RecipeError(
                f"{path}: [{name}] is a section (a table of keys), not a single value. "
                f"Received: {name}={value!r}{_from_set(name, overridden)}. Set one of its keys, "
                f"e.g. --set {name}.KEY=VALUE."
            )
        keys = section_keys(recipe, name)
        if keys == _FREE:
            continue
        for key, item in value.items():
            if key.startswith("_"):  # filled in by _upgrade
                continue
            if key not in keys:
                hint = _nearest(key, keys)
                guess = f" Did you mean {hint!r}?" if hint else ""
                raise RecipeError(
                    f"{path}: [{name}] has no key {key!r}{_from_set(f'{name}.{key}', overridden)}."
                    f"{guess} Valid keys: {', '.join(sorted(keys))}."
                )
            if keys[key] == _FREE:
                if not isinstance(item, dict):
                    raise RecipeError(
                        f"{path}: [{name}.{key}] must be a table. Received: {key}={item!r}"
                    )
                continue
            _check_value(path, name, key, item, keys[key], overridden)
    return recipe


def _from_set(dotted: str, overridden: set[str]) -> str:
    return f" (from --set {dotted}=...)" if dotted in overridden else ""


def _check_value(path, section, key, value, types, overridden) -> None:
    if _type_ok(value, types):
        return
    dotted = f"{section}.{key}" if section else key
    wanted = " or ".join(_TYPE_NAMES.get(t, t) for t in types.split("|"))
    raise RecipeError(
        f"{path}: `{dotted}` in {_where(section)} must be {wanted}. Received: "
        f"{key}={value!r}{_from_set(dotted, overridden)}"
    )


def parse_override(item: str) -> tuple[list[str], Any]:
    """Split one `--set section.key=value` into its key path and TOML value.

    The value is read as a TOML value (`2`, `1.5`, `true`, `"text"`, `[1, 2]`); anything that
    is not valid TOML is kept as a plain string (so `--set data.path=/tmp/x.csv` works).

    Raises:
        RecipeError: no `=`, an empty key, or an empty part in a dotted key (`fit..epochs`).

    Example:
        >>> parse_override("fit.epochs=2")
        (['fit', 'epochs'], 2)
        >>> parse_override("data.path=/tmp/x.csv")
        (['data', 'path'], '/tmp/x.csv')
    """
    key, sep, text = item.partition("=")
    key = key.strip()
    if not sep:
        raise RecipeError(f"--set expects SECTION.KEY=VALUE. Received: {item!r} (no '=').")
    if not key:
        raise RecipeError(f"--set expects SECTION.KEY=VALUE. Received: {item!r} (empty key).")
    parts = [p.strip() for p in key.split(".")]
    if not all(parts):
        raise RecipeError(
            f"--set expects SECTION.KEY=VALUE with non-empty names between the dots. "
            f"Received: {item!r}"
        )
    text = text.strip()
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        value = text
    return parts, value


def apply_overrides(
    recipe: dict[str, Any], overrides: Iterable[str]
) -> tuple[dict[str, Any], list[str]]:
    """Apply `--set` overrides to a copy of `recipe`.

    Returns:
        The new recipe and the dotted keys that were set.

    Raises:
        RecipeError: a malformed override, a value set over a section (`--set data=1`) or a
            section set under a value (`--set task.x=1`).

    Example:
        >>> apply_overrides({"fit": {"epochs": 9}}, ["fit.epochs=2"])
        ({'fit': {'epochs': 2}}, ['fit.epochs'])
    """
    recipe = copy.deepcopy(recipe)
    done = []
    for item in overrides:
        parts, value = parse_override(item)
        node = recipe
        for i, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                where = ".".join(parts[: i + 1])
                raise RecipeError(
                    f"--set {item}: `{where}` is a single value ({child!r}), not a section, "
                    "so it has no keys to set."
                )
            node = child
        leaf = parts[-1]
        if isinstance(node.get(leaf), dict) and not isinstance(value, dict):
            raise RecipeError(
                f"--set {item}: `{'.'.join(parts)}` is a section (a table of keys), not a single "
                f"value. Set one of its keys, e.g. --set {'.'.join(parts)}.KEY=VALUE."
            )
        node[leaf] = value
        done.append(".".join(parts))
    return recipe, done
