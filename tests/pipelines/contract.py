"""The pipeline contract, checked the same way for every task (scikit-learn's
`parametrize_with_checks`, keras-hub's `run_task_test`).

A task's test module describes its pipeline once with a `PipelineSpec` and calls

    @pytest.mark.parametrize("check", CHECKS)
    def test_contract(check, fitted, tmp_path):
        check_pipeline(SPEC, fitted, tmp_path, checks=[check])

where `fitted` is a module-scoped fitted pipeline shared with the task's other tests. The checks:

- `config`: `get_config()` survives a JSON round trip, `from_config` rebuilds an unfitted copy with
  the same config, and an unknown key is refused;
- `unfitted`: every method named in `spec.unfitted` (plus `save` and `export`) raises
  `NotFittedError` (a `ValueError`) saying to call `fit` first;
- `save_load`: `save` then `cls.load` and `nlpkit.load` give the same class, config and outputs;
- `export`: the SavedModel reloaded with `tf.saved_model.load` gives the same outputs as the
  pipeline through `spec.signature`, at batch size 1 and at the whole batch;
- `seeded`: two fits of fresh pipelines with the same seed give identical outputs;
- `bad_args`: each constructor argument in `spec.bad_args` raises the documented error, and an
  unknown keyword is a `TypeError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tensorflow as tf

import nlpkit
from nlpkit.errors import NotFittedError

__all__ = ["PipelineSpec", "check_pipeline", "CHECKS", "assert_same"]

CHECKS = ("config", "unfitted", "save_load", "export", "seeded", "bad_args")


def assert_same(a: Any, b: Any, *, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Outputs are equal: exactly for strings, ints and structures of them, within `rtol` and
    `atol` for floats (NumPy arrays and float lists)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.dtype.kind in "fc" or b.dtype.kind in "fc":
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
        else:
            np.testing.assert_array_equal(a, b)
        return
    if isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, rel=rtol, abs=atol)
        return
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        assert len(a) == len(b), f"lengths differ: {len(a)} != {len(b)}"
        for x, y in zip(a, b, strict=True):
            assert_same(x, y, rtol=rtol, atol=atol)
        return
    assert a == b


@dataclass
class PipelineSpec:
    """How to drive one pipeline through the contract.

    Attributes:
        cls: The pipeline class.
        make: Returns a small, seeded, unfitted pipeline.
        fit: Fits a pipeline from `make()` briefly on tiny data and returns it (used by `seeded`;
            keep it to an epoch or two).
        inputs: Raw inputs (a list) whose outputs are compared.
        outputs: `outputs(pipeline, inputs)` -> one output per input (a list, or an array whose
            first axis is the input), in a form `assert_same` compares.
        serve: `serve(signature_function, inputs, pipeline)` -> the exported model's outputs for
            `inputs`, in the same form as `outputs` (`pipeline` is the fitted one, for the rare
            signature that takes ids rather than raw input, e.g. a music primer).
        signature: Name of the exported signature `serve` calls.
        unfitted: Method name -> `call(pipeline)` that must raise `NotFittedError` before `fit`.
        bad_args: `(constructor kwargs, exception type, regex)` triples.
        rtol: Relative tolerance for float outputs.
    """

    cls: type
    make: Callable[[], Any]
    fit: Callable[[Any], Any]
    inputs: Sequence[Any]
    outputs: Callable[[Any, list], Any]
    serve: Callable[[Any, list, Any], Any]
    signature: str = "serving_default"
    unfitted: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    bad_args: list[tuple[dict[str, Any], type, str]] = field(default_factory=list)
    rtol: float = 1e-5


def _per_item(result: Any) -> list:
    return list(result) if not isinstance(result, np.ndarray) else [r for r in result]


def check_config(spec: PipelineSpec, fitted: Any, tmp_path: Path) -> None:
    config = fitted.get_config()
    as_json = json.loads(json.dumps(config))
    assert as_json == config, "get_config() is not JSON-safe"
    clone = spec.cls.from_config(as_json)
    assert type(clone) is type(fitted) or isinstance(clone, spec.cls)
    assert clone.get_config() == config
    assert not clone.is_fitted
    assert set(config) == set(spec.cls._param_names()), "config keys != constructor arguments"
    with pytest.raises(ValueError, match="Unknown configuration keys"):
        spec.cls.from_config({**as_json, "no_such_option": 1})


def check_unfitted(spec: PipelineSpec, fitted: Any, tmp_path: Path) -> None:
    calls = {
        "save": lambda p: p.save(tmp_path / "unfitted-save"),
        "export": lambda p: p.export(tmp_path / "unfitted-export"),
        **spec.unfitted,
    }
    for name, call in calls.items():
        pipeline = spec.make()
        with pytest.raises(NotFittedError, match=r"call `fit\(...\)` before") as info:
            call(pipeline)
        assert isinstance(info.value, ValueError), name
    assert not (tmp_path / "unfitted-save").exists()
    assert not (tmp_path / "unfitted-export").exists()


def check_save_load(spec: PipelineSpec, fitted: Any, tmp_path: Path) -> None:
    path = fitted.save(tmp_path / "saved")
    assert (path / "config.json").is_file()
    expected = spec.outputs(fitted, list(spec.inputs))
    for loaded in (spec.cls.load(path), nlpkit.load(path)):
        assert type(loaded) is type(fitted)
        assert loaded.is_fitted and loaded.get_config() == fitted.get_config()
        assert_same(spec.outputs(loaded, list(spec.inputs)), expected, rtol=spec.rtol)


def check_export(spec: PipelineSpec, fitted: Any, tmp_path: Path) -> None:
    path = fitted.export(tmp_path / "export")
    reloaded = tf.saved_model.load(str(path))
    assert spec.signature in reloaded.signatures, (
        f"signature {spec.signature!r} missing; found {sorted(reloaded.signatures)}"
    )
    fn = reloaded.signatures[spec.signature]
    inputs = list(spec.inputs)
    expected = _per_item(spec.outputs(fitted, inputs))
    for size in sorted({1, len(inputs)}):
        got = []
        for i in range(0, len(inputs), size):
            got += _per_item(spec.serve(fn, inputs[i : i + size], fitted))
        assert len(got) == len(expected), f"batch size {size}: {len(got)} outputs"
        for g, e in zip(got, expected, strict=True):
            assert_same(g, e, rtol=spec.rtol)


def check_seeded(spec: PipelineSpec, fitted: Any, tmp_path: Path) -> None:
    a = spec.outputs(spec.fit(spec.make()), list(spec.inputs))
    b = spec.outputs(spec.fit(spec.make()), list(spec.inputs))
    assert_same(a, b, rtol=0.0, atol=0.0)


def check_bad_args(spec: PipelineSpec, fitted: Any, tmp_path: Path) -> None:
    for kwargs, error, match in spec.bad_args:
        with pytest.raises(error, match=match):
            spec.cls(**kwargs)
    with pytest.raises(TypeError):
        spec.cls(no_such_option=1)


_CHECKS = {
    "config": check_config,
    "unfitted": check_unfitted,
    "save_load": check_save_load,
    "export": check_export,
    "seeded": check_seeded,
    "bad_args": check_bad_args,
}


def check_pipeline(
    spec: PipelineSpec, fitted: Any, tmp_path: Path, *, checks: Sequence[str] = CHECKS
) -> None:
    """Run the contract `checks` (all by default) on `spec` and a fitted pipeline."""
    unknown = sorted(set(checks) - set(_CHECKS))
    if unknown:
        raise ValueError(f"Unknown checks {unknown}; expected names from {CHECKS}")
    for name in checks:
        folder = tmp_path / name
        folder.mkdir(parents=True, exist_ok=True)
        _CHECKS[name](spec, fitted, folder)
