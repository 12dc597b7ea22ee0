"""Beam search with n-best output and the GNMT length penalty, in a `tf.while_loop`."""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from nlpkit.decoding.base import DecodeOutput, Decoder, StepFn, _split_step_output, register
from nlpkit.utils.validation import check_bool, check_float, check_int

__all__ = ["BeamSearch", "tile_beams", "length_penalty"]

_NEG = -1e9


def tile_beams(tensor, beam_width):
    """Repeat each row `beam_width` times: `(B, ...) -> (B * beam_width, ...)` (beam-major rows)."""
    return tf.repeat(tensor, beam_width, axis=0)


def _as_length(max_length):
    if isinstance(max_length, tf.Tensor):
        return tf.maximum(tf.cast(max_length, tf.int32), 0)
    return max(int(max_length), 0)


def length_penalty(length, alpha: float):
    """GNMT length penalty `((5 + length) / 6) ** alpha` (Wu et al. 2016); 1 when `alpha == 0`."""
    length = tf.cast(length, tf.float32)
    return tf.pow((5.0 + length) / 6.0, alpha) if alpha else tf.ones_like(length)


@register("beam")
class BeamSearch(Decoder):
    """Beam search (n-best, GNMT length penalty) over the step-function contract.

    Hypotheses are ranked by `sum(log p) / lp(length)` with `lp(n) = ((5 + n) / 6) ** alpha`
    (Wu et al. 2016; `length_penalty=0` disables it), the end token counting in the length.
    Two ways to treat a hypothesis that emits `end_id`:

    - `finished_in_beam=True` (OpenNMT-tf / GNMT): it stays in the beam unchanged (later tokens
      `pad_id`, scored 0) and keeps its slot; the loop ends when every beam has finished or after
      `max_length` steps. With `beam_width=1` the result equals `GreedySearch`.
    - `finished_in_beam=False` (tensor2tensor / fairseq): it moves to a separate list of the
      `beam_width` best finished hypotheses, and the beam goes on with the best `beam_width`
      unfinished ones, so a finished hypothesis is never pushed out by live ones that end up
      worse; the loop stops once no live hypothesis can still beat the worst kept finished one.
      This is the exact n-best for a wide enough beam.

    At the end (or at `max_length`) finished and unfinished hypotheses are ranked together.

    `stop_early=True` (with `finished_in_beam=True`) ends the search as soon as, for every
    sentence, the best finished hypothesis scores strictly above what any live one could still
    reach (its summed log-probability, which only falls, over `lp(max_length)` when
    `length_penalty > 0`, else over 1). The best hypothesis (`tokens`, `scores`) is then the
    same as without it, and the loop no longer waits for the weaker hypotheses of every
    sentence to end; `beams` and `beam_scores` may hold hypotheses that were cut short. The
    hypotheses of a settled sentence end at once, and every ended hypothesis is then fed
    `end_id` (not the `pad_id` it writes), so a step function can skip the rows fed `end_id`.

    The decoder tiles `state` and `start_tokens` to `batch * beam_width` rows (beam-major);
    per-sentence context that `step_fn` closes over must be tiled the same way with
    `decoder.expand(tensor)`.

    Args:
        beam_width: Hypotheses kept per sentence (an int, or a scalar int tensor in a graph).
        length_penalty: GNMT alpha (>= 0).
        finished_in_beam: See above.
        stop_early: See above (for callers that use only the best hypothesis).

    Example:
        >>> import tensorflow as tf
        >>> # from token 2: A (4) 0.55 then a poor ending; B (5) 0.45 then the end token (3) 0.95
        >>> probs = tf.constant([[1., 1e-9, 1e-9, 1e-9, 1e-9, 1e-9]] * 2
        ...     + [[1e-9, 1e-9, 1e-9, 1e-9, .55, .45], [1., 1., 1., 1., 1., 1.],
        ...        [1e-9, 1e-9, 1e-9, .4, .3, .3], [1e-9, 1e-9, 1e-9, .95, .05, 1e-9]])
        >>> step = lambda tokens, state, i: (tf.gather(tf.math.log(probs), tokens), state)
        >>> out = BeamSearch(beam_width=2)(step, (), tf.constant([2]), max_length=4, end_id=3)
        >>> out.tokens.numpy().tolist()
        [[5, 3]]
    """

    def __init__(
        self,
        beam_width=4,
        length_penalty: float = 0.0,
        finished_in_beam: bool = True,
        stop_early: bool = False,
    ):
        if not isinstance(beam_width, tf.Tensor):
            beam_width = check_int("beam_width", beam_width, 1)
        self.beam_width = beam_width
        self.length_penalty = check_float("length_penalty", length_penalty, 0.0)
        self.finished_in_beam = check_bool("finished_in_beam", finished_in_beam)
        self.stop_early = check_bool("stop_early", stop_early)
        if self.stop_early and not self.finished_in_beam:
            raise ValueError(
                "`stop_early=True` applies to `finished_in_beam=True` (the separate finished "
                "list already stops once no live hypothesis can win). Received: "
                "finished_in_beam=False, stop_early=True."
            )

    def get_config(self) -> dict[str, Any]:
        beam_width = self.beam_width
        if isinstance(beam_width, tf.Tensor):
            beam_width = int(beam_width.numpy()) if tf.executing_eagerly() else None
        return {
            "beam_width": beam_width,
            "length_penalty": self.length_penalty,
            "finished_in_beam": self.finished_in_beam,
            "stop_early": self.stop_early,
        }

    def expand(self, tensor):
        return tile_beams(tensor, self.beam_width)

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
            step_fn: `step_fn(tokens, state, index) -> (logits, new_state[, aux])`, called on
                `batch * beam_width` rows (`aux` is ignored).
            state: Initial state for `batch` rows (tiled here).
            start_tokens: `(batch,)` int32 tokens fed at the first step.
            max_length: At most this many tokens per hypothesis.
            end_id: End token; None: hypotheses never finish early.
            pad_id: Token written after a hypothesis finished (scored 0).
            prompt: Not supported (prime the state before decoding).
            seed: Unused (beam search is deterministic).

        Returns:
            A `DecodeOutput`: `tokens (batch, steps)` and `scores (batch,)` of the best hypothesis,
            `beams (batch, beam_width, steps)` and `beam_scores (batch, beam_width)` of all of
            them, best first.
        """
        if prompt is not None:
            raise ValueError(
                "BeamSearch does not take a `prompt`: run the prompt through the model first and "
                "pass the resulting state and last token. Received a prompt."
            )
        start_tokens = tf.convert_to_tensor(start_tokens, tf.int32)
        batch = tf.shape(start_tokens)[0]
        k = self.beam_width
        tiled = tf.nest.map_structure(lambda s: tile_beams(s, k), state)
        search = self._search if self.finished_in_beam else self._search_separate
        return search(
            step_fn, tiled, tile_beams(start_tokens, k), batch, max_length, end_id, pad_id
        )

    def _search_separate(self, step_fn, state, tokens, batch_size, max_length, end_id, pad_id):
        """`finished_in_beam=False`: alive and finished hypotheses in separate sets."""
        k = self.beam_width
        alpha = float(self.length_penalty)
        max_length = _as_length(max_length)
        init_scores = tf.concat([tf.zeros([1]), tf.fill([k - 1], _NEG)], axis=0)
        alive_sums = tf.tile(init_scores[None, :], [batch_size, 1])
        alive_seqs = tf.zeros([batch_size, k, max_length], tf.int32)
        fin_scores = tf.fill([batch_size, k], 2.0 * _NEG)
        fin_seqs = tf.zeros([batch_size, k, max_length], tf.int32)

        def cond(i, tokens, alive_sums, alive_seqs, fin_scores, fin_seqs, state, done):
            return tf.logical_and(i < max_length, tf.logical_not(done))

        def body(i, tokens, alive_sums, alive_seqs, fin_scores, fin_seqs, state, done):
            logits, new_state, _ = _split_step_output(step_fn(tokens, state, i))
            log_probs = tf.nn.log_softmax(logits, axis=-1)
            vocab = tf.shape(log_probs)[-1]
            totals = alive_sums[:, :, None] + tf.reshape(log_probs, [batch_size, k, vocab])
            position = tf.one_hot(i, max_length, dtype=tf.int32)
            if end_id is not None:
                # every live hypothesis may end here: merge its ending into the finished list
                ended = totals[:, :, end_id] / length_penalty(i + 1, alpha)
                ended_seqs = alive_seqs + end_id * position
                scores = tf.concat([fin_scores, ended], axis=1)
                fin_scores, best = tf.math.top_k(scores, k=k)
                fin_seqs = tf.gather(tf.concat([fin_seqs, ended_seqs], axis=1), best, batch_dims=1)
                totals = totals + tf.one_hot(end_id, vocab, on_value=_NEG, off_value=0.0)
            alive_sums, top = tf.math.top_k(tf.reshape(totals, [batch_size, -1]), k=k)
            beam = top // vocab
            token = top % vocab
            alive_seqs = tf.gather(alive_seqs, beam, batch_dims=1) + token[:, :, None] * position
            flat = tf.reshape(tf.range(batch_size)[:, None] * k + beam, [-1])
            state = tf.nest.map_structure(lambda s: tf.gather(s, flat), new_state)
            if end_id is not None:
                # sums only fall; with alpha > 0 the best a live one can reach is sum / lp(max)
                reach = alive_sums[:, 0] / length_penalty(max_length if alpha else i + 1, alpha)
                done = tf.reduce_all(fin_scores[:, -1] >= reach)
            return (
                i + 1,
                tf.reshape(token, [-1]),
                alive_sums,
                alive_seqs,
                fin_scores,
                fin_seqs,
                state,
                done,
            )

        steps, _, alive_sums, alive_seqs, fin_scores, fin_seqs, _, _ = tf.while_loop(
            cond,
            body,
            [
                tf.constant(0),
                tokens,
                alive_sums,
                alive_seqs,
                fin_scores,
                fin_seqs,
                state,
                tf.constant(False),
            ],
        )
        scores = tf.concat([fin_scores, alive_sums / length_penalty(steps, alpha)], axis=1)
        beam_scores, order = tf.math.top_k(scores, k=k)
        beams = tf.gather(tf.concat([fin_seqs, alive_seqs], axis=1), order, batch_dims=1)
        beams = beams[:, :, :steps]
        return DecodeOutput(beams[:, 0], beam_scores[:, 0], None, beams, beam_scores)

    def _search(self, step_fn, state, tokens, batch_size, max_length, end_id, pad_id):
        """The loop over already tiled `state` / `tokens` (`batch_size * beam_width` rows)."""
        k = self.beam_width
        alpha = float(self.length_penalty)
        max_length = _as_length(max_length)
        init_scores = tf.concat([tf.zeros([1]), tf.fill([k - 1], _NEG)], axis=0)
        sums = tf.tile(init_scores[None, :], [batch_size, 1])
        finished = tf.zeros([batch_size, k], tf.bool)
        lengths = tf.zeros([batch_size, k], tf.float32)
        seqs = tf.zeros([batch_size, k, max_length], tf.int32)

        def penalty(n):
            return length_penalty(n, alpha)

        stop_early = self.stop_early and end_id is not None

        def settled(sums, finished, lengths):
            # per sentence: the best finished one beats the best any live one can still reach
            best_done = tf.reduce_max(tf.where(finished, sums / penalty(lengths), 2.0 * _NEG), 1)
            reach = sums / (penalty(max_length) if alpha else 1.0)
            best_live = tf.reduce_max(tf.where(finished, 2.0 * _NEG, reach), 1)
            return best_done > best_live

        def cond(i, tokens, sums, finished, lengths, seqs, state):
            go = tf.logical_and(i < max_length, tf.logical_not(tf.reduce_all(finished)))
            if stop_early:
                go = tf.logical_and(
                    go, tf.logical_not(tf.reduce_all(settled(sums, finished, lengths)))
                )
            return go

        def body(i, tokens, sums, finished, lengths, seqs, state):
            logits, new_state, _ = _split_step_output(step_fn(tokens, state, i))
            log_probs = tf.nn.log_softmax(logits, axis=-1)
            vocab = tf.shape(log_probs)[-1]
            # A sentence's k best continuations are among the k best tokens of each of its
            # hypotheses (the ranking below is monotonic in a row's log-probability): rank
            # those k * k candidates, not all k * vocab (each pass over `(rows, vocab)` costs
            # about as much as the vocabulary projection; issue 14). The candidates' values are
            # computed as over the whole vocabulary, so the scores are the same.
            per_row = tf.minimum(k, vocab)
            cand_lp, cand_tok = tf.math.top_k(log_probs, k=per_row)
            # a finished hypothesis continues only with `pad_id` (score 0); its other
            # candidates are the lowest other ids at _NEG, as over the whole vocabulary
            done_lp, done_tok = tf.math.top_k(
                tf.one_hot(pad_id, vocab, on_value=0.0, off_value=_NEG), k=per_row
            )
            done = tf.reshape(finished, [-1])[:, None]
            cand_lp = tf.reshape(tf.where(done, done_lp, cand_lp), [batch_size, k, per_row])
            cand_tok = tf.reshape(tf.where(done, done_tok, cand_tok), [batch_size, -1])
            totals = sums[:, :, None] + cand_lp
            new_lengths = lengths + tf.where(finished, 0.0, 1.0)
            ranking = totals / penalty(new_lengths)[:, :, None]
            _, top = tf.math.top_k(tf.reshape(ranking, [batch_size, -1]), k=k)
            beam = top // per_row
            token = tf.gather(cand_tok, top, batch_dims=1)
            sums = tf.gather(tf.reshape(totals, [batch_size, -1]), top, batch_dims=1)
            lengths = tf.gather(new_lengths, beam, batch_dims=1)
            finished = tf.gather(finished, beam, batch_dims=1)
            if end_id is not None:
                finished = tf.logical_or(finished, tf.equal(token, end_id))
            seqs = tf.gather(seqs, beam, batch_dims=1) + token[:, :, None] * tf.one_hot(
                i, max_length, dtype=tf.int32
            )
            flat = tf.reshape(tf.range(batch_size)[:, None] * k + beam, [-1])
            state = tf.nest.map_structure(lambda s: tf.gather(s, flat), new_state)
            fed = token
            if stop_early:
                # a settled sentence's best cannot change: its hypotheses end here, and every
                # ended one is fed `end_id` (a step function may skip work on such rows)
                finished = tf.logical_or(finished, settled(sums, finished, lengths)[:, None])
                fed = tf.where(finished, tf.cast(end_id, token.dtype), token)
            return i + 1, tf.reshape(fed, [-1]), sums, finished, lengths, seqs, state

        steps, _, sums, _, lengths, seqs, _ = tf.while_loop(
            cond, body, [tf.constant(0), tokens, sums, finished, lengths, seqs, state]
        )
        normalised = sums / penalty(lengths)
        beam_scores, order = tf.math.top_k(normalised, k=k)
        beams = tf.gather(seqs, order, batch_dims=1)[:, :, :steps]
        return DecodeOutput(beams[:, 0], beam_scores[:, 0], None, beams, beam_scores)
