"""Greedy search: the most probable token at every step."""

from __future__ import annotations

import tensorflow as tf

from nlpkit.decoding.base import Decoder, register

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

    def _select(self, logits, index, seed):
        log_probs = tf.nn.log_softmax(logits, axis=-1)
        return (
            tf.argmax(log_probs, axis=-1, output_type=tf.int32),
            tf.reduce_max(log_probs, axis=-1),
        )
