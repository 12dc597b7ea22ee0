"""The step-function contract, the `Decoder` base class and the name registry.

Every generating task (translation, characters, music) describes its model as one **step
function** and lets a decoding strategy drive it inside the graph (`tf.while_loop`), as keras-hub's
samplers and OpenNMT-tf's `dynamic_decode` do:

    step_fn(tokens, state, index) -> (logits, new_state)          # or
    step_fn(tokens, state, index) -> (logits, new_state, aux)

- `tokens`: the tokens fed at this step, `(rows,)` int32 ids (or `(rows, ...)` vectors for
  multi-hot outputs); at `index == 0` they are the `start_tokens` given to the decoder.
- `state`: any nest of `(rows, ...)` tensors (recurrent states, attention feed, ...).
- `index`: the step number, a scalar int32 tensor (0 for the first step).
- `logits`: `(rows, vocab)` unnormalised scores of the next token.
- `aux`: optional `(rows, A)` float tensor recorded at every step (e.g. attention weights);
  `GreedySearch` and `Sampling` return it stacked as `(batch, steps, A)`.

Strategies are chosen by name (`get("beam")`, `get({"name": "sample", "config": {...}})`) and are
serialisable (`serialize(decoder)` -> a JSON-safe dict).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import tensorflow as tf

__all__ = [
    "DecodeOutput",
    "Decoder",
    "StepFn",
    "register",
    "get",
    "serialize",
    "deserialize",
    "available",
]

StepFn = Callable[[tf.Tensor, Any, tf.Tensor], tuple]

_REGISTRY: dict[str, type[Decoder]] = {}


class DecodeOutput(NamedTuple):
    """What a decoder returns.

    Attributes:
        tokens: `(batch, steps)` chosen tokens of the best hypothesis (the end token included,
            `pad_id` after it); prompt tokens are not included.
        scores: `(batch,)` summed log-probabilities of the chosen tokens (beam search:
            length-normalised with its penalty).
        aux: `(batch, steps, A)` stacked `aux` values of the step function, or None.
        beams: Beam search only: `(batch, beam_width, steps)` every final hypothesis, best first.
        beam_scores: Beam search only: `(batch, beam_width)` their scores, best first.
    """

    tokens: tf.Tensor
    scores: tf.Tensor
    aux: tf.Tensor | None = None
    beams: tf.Tensor | None = None
    beam_scores: tf.Tensor | None = None


def _split_step_output(out) -> tuple[tf.Tensor, Any, tf.Tensor | None]:
    if not isinstance(out, (tuple, list)) or len(out) not in (2, 3):
        raise ValueError(
            "`step_fn(tokens, state, index)` must return (logits, new_state) or "
            f"(logits, new_state, aux). Received: {type(out).__name__} of length "
            f"{len(out) if isinstance(out, (tuple, list)) else 'n/a'}."
        )
    if len(out) == 2:
        return out[0], out[1], None
    return out[0], out[1], out[2]


def register(name: str):
    """Class decorator: make a `Decoder` subclass available under `name` (for `get`)."""

    def wrap(cls):
        if not (isinstance(cls, type) and issubclass(cls, Decoder)):
            raise TypeError(f"`register` expects a Decoder subclass. Received: {cls!r}")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return wrap


def available() -> tuple[str, ...]:
    """The registered strategy names."""
    return tuple(sorted(_REGISTRY))


class Decoder:
    """Base class of decoding strategies over the step-function contract (see module docs).

    Subclasses implement `_select` (one choice per row, driven by the shared `_loop` that
    `__call__` runs) or override `__call__` (beam search), and `get_config`; `from_config(config)` is `cls(**config)`.
    """

    name = "decoder"

    def __call__(
        self,
        step_fn: StepFn,
        state: Any,
        start_tokens,
        *,
        max_length,
        end_id: int | None = None,
        pad_id: int = 0,
        prompt=None,
        seed=None,
    ) -> DecodeOutput:
        """Decode.

        Args:
            step_fn: `step_fn(tokens, state, index) -> (logits, new_state[, aux])`.
            state: Initial state (a nest of `(batch, ...)` tensors).
            start_tokens: `(batch,)` tokens fed at the first step (e.g. the start-of-sequence id).
            max_length: At most this many tokens are chosen (after the prompt).
            end_id: A row stops after emitting it; None never stops early.
            pad_id: Written after a row stopped.
            prompt: Optional `(batch, prompt_len)` tokens fed (teacher-forced) before choosing.
            seed: Seeds the draws of strategies that sample (unused by greedy search).

        Returns:
            A `DecodeOutput` (`tokens`, `scores`, `aux`).
        """
        return self._loop(step_fn, state, start_tokens, max_length, end_id, pad_id, prompt, seed)

    def expand(self, tensor):
        """Repeat per-sentence context (closed over by `step_fn`, e.g. encoder memory) to the
        rows the step function sees: identity here, `beam_width` copies for beam search."""
        return tensor

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Decoder:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self.get_config() == other.get_config()

    __hash__ = None  # mutable configuration objects

    # ------------------------------------------------------------------ shared one-path loop
    def _select(self, logits, index, seed):
        """Choose the next tokens: `-> (tokens (rows,), log-probability of each choice)`."""
        raise NotImplementedError

    def _loop(self, step_fn, state, start_tokens, max_length, end_id, pad_id, prompt, seed):
        """One hypothesis per row: step, choose, feed back; used by greedy search and sampling.

        The first `prompt_len` steps feed the prompt's tokens instead of the chosen ones (their
        choices are discarded, the step index still counts them); then at most `max_length`
        tokens are chosen. A row stops at `end_id` (later positions hold `pad_id`); the loop
        stops when every row has stopped.
        """
        start_tokens = tf.convert_to_tensor(start_tokens)
        batch = tf.shape(start_tokens)[0]
        max_length = tf.maximum(tf.cast(max_length, tf.int32), 0)
        if prompt is None:
            prompt_len = tf.constant(0, tf.int32)
        else:
            prompt = tf.convert_to_tensor(prompt, start_tokens.dtype)
            prompt_len = tf.shape(prompt)[1]
        total = prompt_len + max_length
        finished = tf.zeros([batch], tf.bool)
        scores = tf.zeros([batch], tf.float32)
        element_shape = start_tokens.shape[1:]
        out_tokens = tf.TensorArray(
            start_tokens.dtype,
            size=0,
            dynamic_size=True,
            element_shape=tf.TensorShape([None]).concatenate(element_shape),
        )
        out_aux = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        seen_aux = []

        def cond(i, tokens, finished, scores, state, out_tokens, out_aux):
            return tf.logical_and(i < total, tf.logical_not(tf.reduce_all(finished)))

        def body(i, tokens, finished, scores, state, out_tokens, out_aux):
            logits, state, aux = _split_step_output(step_fn(tokens, state, i))
            nxt, logp = self._select(logits, i, seed)
            forced = i < prompt_len
            if prompt is not None:
                nxt = tf.cond(
                    forced,
                    lambda: tf.gather(prompt, tf.minimum(i, prompt_len - 1), axis=1),
                    lambda: nxt,
                )
            if end_id is not None:
                nxt = tf.where(finished, tf.cast(pad_id, nxt.dtype), nxt)
            scores = scores + tf.where(
                tf.logical_or(finished, forced), tf.zeros_like(logp), tf.cast(logp, tf.float32)
            )
            out_tokens = out_tokens.write(i, nxt)
            if aux is None:
                aux = tf.zeros([tf.shape(nxt)[0], 0])
            else:
                seen_aux.append(True)
            out_aux = out_aux.write(i, tf.cast(aux, tf.float32))
            if end_id is not None:
                ended = tf.logical_and(tf.equal(nxt, end_id), tf.logical_not(forced))
                finished = tf.logical_or(finished, ended)
            return i + 1, nxt, finished, scores, state, out_tokens, out_aux

        _, _, _, scores, _, out_tokens, out_aux = tf.while_loop(
            cond,
            body,
            [tf.constant(0), start_tokens, finished, scores, state, out_tokens, out_aux],
        )
        rank = len(element_shape) + 2
        perm = [1, 0] + list(range(2, rank))
        steps = out_tokens.size()
        # reshape: a loop that ran no step still gives (batch, 0) tokens
        stacked = tf.reshape(out_tokens.stack(), tf.concat([[steps], tf.shape(start_tokens)], 0))
        tokens = tf.transpose(stacked, perm)[:, prompt_len:]
        aux = None
        if seen_aux:
            aux = tf.reshape(out_aux.stack(), [steps, batch, -1])
            aux = tf.transpose(aux, [1, 0, 2])[:, prompt_len:]
        return DecodeOutput(tokens, scores, aux)


def get(identifier) -> Decoder:
    """Resolve a strategy: a registered name ('greedy', 'beam', 'sample'), a `serialize` dict
    (`{"name": ..., "config": {...}}`) or a `Decoder` instance (returned as is).

    Raises:
        ValueError: the name is not registered.
        TypeError: the identifier is of another type.

    Example:
        >>> get("beam").beam_width
        4
        >>> get({"name": "sample", "config": {"temperature": 0.7}}).temperature
        0.7
    """
    if isinstance(identifier, Decoder):
        return identifier
    if isinstance(identifier, str):
        return deserialize({"name": identifier, "config": {}})
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise TypeError(
        "A decoding strategy must be a name, a dict from `serialize` or a Decoder. "
        f"Received: {type(identifier).__name__}"
    )


def serialize(decoder: Decoder) -> dict[str, Any]:
    """`{"name": registered name, "config": decoder.get_config()}` (JSON-safe)."""
    if not isinstance(decoder, Decoder):
        raise TypeError(f"`decoder` must be a Decoder. Received: {type(decoder).__name__}")
    return {"name": decoder.name, "config": dict(decoder.get_config())}


def deserialize(config: dict[str, Any]) -> Decoder:
    """Inverse of `serialize`."""
    if not isinstance(config, dict) or "name" not in config:
        raise ValueError(
            f"A serialised decoder must be a dict with a 'name' key. Received: {config!r:.100}"
        )
    name = config["name"]
    if name not in _REGISTRY:
        raise ValueError(
            f"Unknown decoding strategy {name!r}: expected one of {list(available())}."
        )
    return _REGISTRY[name].from_config(dict(config.get("config", {})))
