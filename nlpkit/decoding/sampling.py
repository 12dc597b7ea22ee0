"""Random sampling with temperature, top-k and top-p (nucleus) filtering."""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from nlpkit.decoding.base import DecodeOutput, Decoder, StepFn, register
from nlpkit.decoding.sampling_ops import sample_logits

__all__ = ["Sampling"]


def _plain(value):
    """A JSON-safe Python number for `get_config` (tensors are read when eager)."""
    if isinstance(value, tf.Tensor):
        try:
            return value.numpy().item()
        except (AttributeError, NotImplementedError, TypeError):
            return None
    return value


@register("sample")
class Sampling(Decoder):
    """Draw each token from `softmax(logits / temperature)`, optionally filtered to the `top_k`
    most probable tokens and to the smallest set with probability mass >= `top_p` (Holtzman et
    al. 2020). `temperature <= 0` is greedy (argmax of the logits).

    Draws are stateless: step `index` uses the seed `[seed, index]`, so the same seed gives the
    same tokens in Python and in an exported SavedModel.

    Args:
        temperature: Softmax temperature (a float, or a scalar tensor inside a graph).
        top_k: Keep the k most probable tokens; 0 keeps all.
        top_p: Keep the smallest set of tokens with mass >= top_p; 1.0 keeps all.

    Example:
        >>> import tensorflow as tf
        >>> table = tf.math.log(tf.constant([[0.1, 0.9], [0.8, 0.2]]))
        >>> step = lambda tokens, state, i: (tf.gather(table, tokens), state)
        >>> a = Sampling(temperature=1.0)(step, (), tf.constant([0, 0]), max_length=4, seed=3)
        >>> b = Sampling(temperature=1.0)(step, (), tf.constant([0, 0]), max_length=4, seed=3)
        >>> bool(tf.reduce_all(a.tokens == b.tokens))
        True
    """

    def __init__(self, temperature=1.0, top_k=0, top_p=1.0):
        self.temperature = temperature
        self.top_k = top_k
        self.top_p = top_p

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
        """Decode; arguments as for `Decoder.__call__`, with `seed` an int (or scalar int
        tensor) seeding the stateless draws (step `index` draws with `[seed, index]`)."""
        if seed is None:
            seed = 0
        seed = tf.cast(seed, tf.int32)
        return self._loop(step_fn, state, start_tokens, max_length, end_id, pad_id, prompt, seed)

    def _select(self, logits, index, seed):
        step_seed = tf.stack([seed, tf.cast(index, tf.int32)])
        drawn = sample_logits(logits, step_seed, self.temperature, self.top_k, self.top_p)
        log_probs = tf.nn.log_softmax(tf.cast(logits, tf.float32), axis=-1)
        return drawn, tf.gather(log_probs, drawn, batch_dims=1)

    def get_config(self) -> dict[str, Any]:
        return {
            "temperature": _plain(self.temperature),
            "top_k": _plain(self.top_k),
            "top_p": _plain(self.top_p),
        }
