"""The decoding entry points nlpkit had before `nlpkit.decoding` (kept for older code).

`greedy_search` and `beam_search` take a two-argument step function
`step_fn(tokens, state) -> (log_probs, new_state, aux)` and run `GreedySearch` / `BeamSearch`
over it. They used to live in `nlpkit.pipelines.translator`, which still re-exports them; new
code uses `nlpkit.decoding.GreedySearch` / `BeamSearch`, whose step function also receives the
step index.

Example:
    >>> import tensorflow as tf
    >>> table = tf.math.log(tf.constant([[0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.1, 0.1, 0.8]]))
    >>> step = lambda tokens, state: (tf.gather(table, tokens), state, tf.zeros([1, 0]))
    >>> tokens, scores, _ = greedy_search(step, (), 1, bos_id=0, eos_id=2, max_length=4)
    >>> tokens.numpy().tolist()
    [[1, 2]]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tensorflow as tf

from nlpkit.decoding.beam import BeamSearch
from nlpkit.decoding.greedy import GreedySearch

__all__ = ["greedy_search", "beam_search"]

#: The padding id of every nlpkit vocabulary (`nlpkit.text.special_ids.PAD_ID`).
PAD_ID = 0

StepFn = Callable[[tf.Tensor, Any], tuple[tf.Tensor, Any, tf.Tensor]]


def _new_step(step_fn: StepFn):
    def step(tokens, state, index):
        log_probs, state, aux = step_fn(tokens, state)
        return log_probs, state, aux

    return step


def greedy_search(
    step_fn: StepFn, state: Any, batch_size, *, bos_id: int, eos_id: int, max_length: int
):
    """Greedy decoding in a `tf.while_loop` (kept for older code: use
    `nlpkit.decoding.GreedySearch`, whose step function also receives the step index).

    Args:
        step_fn: `step_fn(tokens, state) -> (log_probs, new_state, aux)`: `tokens` is `(N,)` int32,
            `log_probs` `(N, V)`, `state` any nest of `(N, ...)` tensors, `aux` a `(N, A)` tensor
            recorded at every step (attention weights; `(N, 0)` if unused).
        state: Initial state for `batch_size` rows.
        batch_size: Number of rows (a scalar tensor or int).
        bos_id: Start token fed at the first step.
        eos_id: End token; a row stops once it emits it (later positions hold 0, the padding id).
        max_length: At most this many tokens per row (the guard against never emitting EOS).

    Returns:
        `(tokens, scores, aux)`: `(batch, steps)` int32 tokens (EOS included), `(batch,)` summed
        log-probabilities, `(batch, steps, A)` aux values.
    """
    out = GreedySearch()(
        _new_step(step_fn),
        state,
        tf.fill([batch_size], tf.constant(bos_id, tf.int32)),
        max_length=max_length,
        end_id=eos_id,
        pad_id=PAD_ID,
    )
    return out.tokens, out.scores, out.aux


def beam_search(
    step_fn: StepFn,
    state: Any,
    batch_size,
    *,
    beam_width: int,
    bos_id: int,
    eos_id: int,
    max_length: int,
    length_penalty: float = 0.0,
):
    """Beam search in a `tf.while_loop` (kept for older code: use `nlpkit.decoding.BeamSearch`).

    Hypotheses are ranked by `sum(log p) / lp(length)` with the GNMT length penalty
    `lp(n) = ((5 + n) / 6) ** length_penalty` (Wu et al. 2016; 0 disables it). A hypothesis that
    emits EOS stays in the beam unchanged; the loop ends when every beam has finished or after
    `max_length` steps. With `beam_width=1` the result equals `greedy_search`.

    Args:
        step_fn: As for `greedy_search`; it is called on `batch_size * beam_width` rows.
        state: Initial state, already tiled to `batch_size * beam_width` rows (`tile_beams`).
        batch_size: Number of source sentences.
        beam_width: Hypotheses kept per sentence.
        bos_id: Start token.
        eos_id: End token.
        max_length: At most this many tokens per hypothesis.
        length_penalty: GNMT alpha.

    Returns:
        `(tokens, scores)`: `(batch, steps)` int32 tokens of the best hypothesis (EOS included,
        padding id 0 after it) and its `(batch,)` length-normalised score.
    """
    decoder = BeamSearch(int(beam_width), length_penalty)
    tokens = tf.fill([batch_size * int(beam_width)], tf.constant(bos_id, tf.int32))
    out = decoder._search(_new_step(step_fn), state, tokens, batch_size, max_length, eos_id, PAD_ID)
    return out.tokens, out.scores
