"""Greedy search: the most probable token at every step."""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from nlpkit.decoding.base import DecodeOutput, Decoder, StepFn, register

__all__ = ["GreedySearch"]


@register("greedy")
class GreedySearch(Decoder):
    """Pick `argmax log p(token | prefix)` at every step, in a `tf.while_loop`.

    Each row stops once it emits `end_id` (later positions hold `pad_id`); the loop stops when
    every row has stopped or after `max_length` tokens. Scores are summed log-probabilities.

    Example:
        >>> import numpy as np, tensorflow as tf
        >>> table = tf.math.log(tf.constant([[0.1, 0.9], [0.8, 0.2]]))  # next | previous token
        >>> step = lambda tokens, state, i: (tf.gather(table, tokens), state)
        >>> out = GreedySearch()(step, (), tf.constant([0]), max_length=3)
        >>> out.tokens.numpy().tolist()
        [[1, 0, 1]]
    """

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
            seed: Unused (greedy search is deterministic).

        Returns:
            A `DecodeOutput` (`tokens`, `scores`, `aux`).
        """
        return self._loop(step_fn, state, start_tokens, max_length, end_id, pad_id, prompt, seed)

    def _select(self, logits, index, seed):
        log_probs = tf.nn.log_softmax(logits, axis=-1)
        return (
            tf.argmax(log_probs, axis=-1, output_type=tf.int32),
            tf.reduce_max(log_probs, axis=-1),
        )
