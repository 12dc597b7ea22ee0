"""TensorFlow Serving's REST request and response shapes, without any web framework.

Row format: `{"signature_name": "...", "instances": [...]}` answered by `{"predictions": [...]}`;
columnar format: `{"inputs": ...}` answered by `{"outputs": ...}`. See
https://www.tensorflow.org/tfx/serving/api_rest#predict_api.

One nlpkit extension, documented in docs/serving.md: an input whose shape is a scalar (a
generator's `temperature`, `seed`, `max_length`) may be given in every instance of a row-format
request, with the same value in each; TF Serving itself only accepts scalars in columnar format.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nlpkit.serving.models import RequestError, ServedModel, SignatureInfo, to_json_value

__all__ = ["Limits", "PredictRequest", "parse_predict", "format_predict", "check_limits"]

#: Scalar inputs that set how long a generator runs; capped by `Limits.max_generate_steps`.
GENERATION_LENGTH_INPUTS = ("max_length", "steps", "max_steps", "max_new_tokens")


@dataclass(frozen=True)
class Limits:
    """Caps on one request. Each breach is answered with a 4xx naming the limit.

    Args:
        max_body_bytes: Request body size (413 above it).
        max_instances: Rows per request (the batch dimension).
        max_input_length: Characters per string, or positions per row of a sequence input.
        max_generate_steps: The largest `max_length` / `steps` a generator may be asked for.
    """

    max_body_bytes: int = 1 << 20
    max_instances: int = 256
    max_input_length: int = 10_000
    max_generate_steps: int = 1_000


@dataclass
class PredictRequest:
    signature: SignatureInfo
    arrays: dict[str, np.ndarray]
    row_format: bool
    rows: int


def parse_predict(body: Any, model: ServedModel) -> PredictRequest:
    """Validate a `:predict` body and convert it to arrays for `model`.

    Raises:
        RequestError: the body does not have TF Serving's shape or does not fit the signature.
    """
    if not isinstance(body, dict):
        raise RequestError(
            "The request body must be a JSON object with 'instances' or 'inputs'. "
            f"Received a JSON {type(body).__name__}."
        )
    unknown = sorted(set(body) - {"instances", "inputs", "signature_name"})
    if unknown:
        raise RequestError(
            f"Unknown keys in the request body: {unknown}. Expected 'instances' or 'inputs', "
            "and optionally 'signature_name'."
        )
    has_rows, has_cols = "instances" in body, "inputs" in body
    if has_rows == has_cols:
        raise RequestError(
            "The request body must have exactly one of 'instances' (row format) or 'inputs' "
            "(columnar format)."
        )
    sig_name = body.get("signature_name")
    if sig_name is not None and not isinstance(sig_name, str):
        raise RequestError(f"'signature_name' must be a string. Received: {sig_name!r:.60}")
    sig = model.signature(sig_name)
    names = list(sig.inputs)
    if has_rows:
        instances = body["instances"]
        if not isinstance(instances, list):
            raise RequestError(
                f"'instances' must be a list (one item per row). Received a JSON "
                f"{type(instances).__name__}."
            )
        inputs = _columns_from_rows(instances, sig)
        rows = len(instances)
    else:
        raw = body["inputs"]
        if isinstance(raw, dict):  # named inputs (a tensor value is never a JSON object)
            inputs = raw
        elif len(names) == 1:
            inputs = {names[0]: raw}
        else:
            raise RequestError(
                f"'inputs' must be an object with the keys {sorted(names)} of signature "
                f"{sig.name!r}."
            )
        rows = -1
    arrays = model.to_arrays(sig, inputs)
    if rows < 0:
        batched = [arrays[k] for k, t in sig.inputs.items() if t.batched]
        rows = len(batched[0]) if batched else 1
    return PredictRequest(sig, arrays, has_rows, rows)


def _columns_from_rows(instances: list, sig: SignatureInfo) -> dict[str, Any]:
    names = list(sig.inputs)
    single = len(names) == 1
    if single and not all(isinstance(i, dict) and set(i) == set(names) for i in instances):
        return {names[0]: instances}
    columns: dict[str, list] = {n: [] for n in names}
    for i, inst in enumerate(instances):
        if not isinstance(inst, dict):
            raise RequestError(
                f"Signature {sig.name!r} has several inputs {sorted(names)}: each instance must "
                f"be an object with those keys. Instance {i} is a JSON {type(inst).__name__}."
            )
        if set(inst) != set(names):
            raise RequestError(
                f"Instance {i} has keys {sorted(inst)}; signature {sig.name!r} takes "
                f"{sorted(names)}."
            )
        for n in names:
            columns[n].append(inst[n])
    out: dict[str, Any] = {}
    for n, info in sig.inputs.items():
        if info.shape is not None and len(info.shape) == 0:  # scalar: one value for the request
            values = columns[n]
            if any(v != values[0] for v in values[1:]):
                raise RequestError(
                    f"Input {n!r} is a scalar: every instance must give the same value "
                    f"(or use the columnar 'inputs' format). Received {values[:5]!r:.80}."
                )
            out[n] = values[0] if values else 0
        else:
            out[n] = columns[n]
    return out


def check_limits(req: PredictRequest, limits: Limits) -> None:
    """Raise `RequestError` (400) when the request breaks one of `limits`."""
    if req.rows > limits.max_instances:
        raise RequestError(
            f"Too many instances: {req.rows} in one request; the limit is "
            f"{limits.max_instances} (server option --max-instances)."
        )
    for name, arr in req.arrays.items():
        info = req.signature.inputs[name]
        if arr.dtype == object:
            longest = max((len(v.decode("utf-8", "replace")) for v in arr.reshape(-1)), default=0)
            if longest > limits.max_input_length:
                raise RequestError(
                    f"Input {name!r} holds a string of {longest} characters; the limit is "
                    f"{limits.max_input_length} (server option --max-input-length)."
                )
        if arr.ndim >= 2 and info.batched and arr.shape[1] > limits.max_input_length:
            raise RequestError(
                f"Input {name!r} has {arr.shape[1]} positions per row; the limit is "
                f"{limits.max_input_length} (server option --max-input-length)."
            )
        if arr.ndim == 0 and name in GENERATION_LENGTH_INPUTS:
            if int(arr) > limits.max_generate_steps:
                raise RequestError(
                    f"Input {name!r} asks for {int(arr)} steps; the limit is "
                    f"{limits.max_generate_steps} (server option --max-generate-steps)."
                )


def format_predict(req: PredictRequest, outputs: dict[str, np.ndarray]) -> dict[str, Any]:
    """TF Serving's response: `{"predictions": ...}` for rows, `{"outputs": ...}` for columns."""
    names = sorted(outputs)
    if not req.row_format:
        if len(names) == 1:
            return {"outputs": to_json_value(outputs[names[0]])}
        return {"outputs": {k: to_json_value(outputs[k]) for k in names}}
    per_row = {}
    for k in names:
        v = outputs[k]
        if v.ndim >= 1 and v.shape[0] == req.rows:
            per_row[k] = [to_json_value(v[i]) if v.ndim > 1 else None for i in range(req.rows)]
            if v.ndim == 1:
                per_row[k] = to_json_value(v)
        else:
            per_row[k] = [to_json_value(v)] * req.rows
    if len(names) == 1:
        return {"predictions": per_row[names[0]]}
    return {"predictions": [{k: per_row[k][i] for k in names} for i in range(req.rows)]}
