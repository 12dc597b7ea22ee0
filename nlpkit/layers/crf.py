"""`CRF`: a linear-chain conditional random field output layer, and its log-likelihood."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import tensorflow as tf
from keras import ops

__all__ = [
    "CRF",
    "crf_forward_backward",
    "crf_log_likelihood",
    "crf_marginals",
    "crf_segment_log_probability",
    "viterbi_decode",
]

_FORBIDDEN = -1e9


def _time_major(x):
    perm = [1, 0] + list(range(2, len(x.shape)))
    return ops.transpose(x, perm)


def _steps(potentials, mask):
    """Time-major scan inputs: (potentials_t, mask_t, is_first_step)."""
    first = ops.equal(ops.arange(ops.shape(potentials)[1]), 0)
    return (_time_major(potentials), _time_major(mask), first)


def _mask_or_ones(potentials, mask):
    if mask is None:
        return ops.ones(ops.shape(potentials)[:2], dtype="bool")
    return ops.cast(mask, "bool")


def crf_log_likelihood(potentials, tags, mask, transitions, start_transitions, end_transitions):
    """Log-likelihood of tag sequences under a linear-chain CRF (Lafferty et al. 2001).

    `log p(tags | x) = score(tags) - log Z`, where the score sums the potentials of the chosen
    tags, the transitions between consecutive tags and the start/end transitions, and `log Z`
    (the log-sum-exp of the scores of all paths) is computed with the forward algorithm.

    Args:
        potentials: Float tensor `(batch, time, num_tags)` of unary scores.
        tags: Int tensor `(batch, time)` of gold tag indices.
        mask: Bool tensor `(batch, time)`, True at real tokens. Real tokens must come first
            (right padding); each sequence needs at least one. None means no padding.
        transitions: `(num_tags, num_tags)`; `transitions[i, j]` scores tag j following tag i.
        start_transitions: `(num_tags,)` scores of the first tag.
        end_transitions: `(num_tags,)` scores of the last tag.

    Returns:
        A float tensor `(batch,)` of log-likelihoods (use `-mean` as a loss).

    Example:
        >>> import numpy as np
        >>> ll = crf_log_likelihood(np.zeros((1, 3, 2), "float32"), np.zeros((1, 3), "int32"),
        ...     None, np.zeros((2, 2), "float32"), np.zeros(2, "float32"), np.zeros(2, "float32"))
        >>> round(float(ll[0]), 4)  # 8 equally likely paths
        -2.0794
    """
    potentials = ops.convert_to_tensor(potentials)
    dtype = potentials.dtype
    transitions = ops.cast(transitions, dtype)
    start_transitions = ops.cast(start_transitions, dtype)
    end_transitions = ops.cast(end_transitions, dtype)
    mask = _mask_or_ones(potentials, mask)
    tags = ops.cast(tags, "int32")
    num_tags = ops.shape(potentials)[-1]
    maskf = ops.cast(mask, dtype)

    # Score of the gold path.
    emit = ops.squeeze(ops.take_along_axis(potentials, tags[..., None], axis=-1), -1)
    emit = ops.sum(emit * maskf, axis=1)
    flat_pairs = tags[:, :-1] * num_tags + tags[:, 1:]
    trans = ops.take(ops.reshape(transitions, (-1,)), flat_pairs)
    trans = ops.sum(trans * maskf[:, 1:], axis=1)
    lengths = ops.sum(ops.cast(mask, "int32"), axis=1)
    last = ops.take_along_axis(tags, ops.maximum(lengths - 1, 0)[:, None], axis=1)[:, 0]
    score = emit + trans + ops.take(start_transitions, tags[:, 0]) + ops.take(end_transitions, last)

    # Forward algorithm for log Z. The scan runs over every step (the first one starts the
    # recursion) so that it never scans an empty sequence inside a graph.
    def step(alpha, inputs):
        emit_t, mask_t, first_t = inputs
        rec = ops.logsumexp(alpha[:, :, None] + transitions[None], axis=1) + emit_t
        nxt = ops.where(first_t, start_transitions[None, :] + emit_t, rec)
        return ops.where(ops.logical_or(mask_t, first_t)[:, None], nxt, alpha)

    alpha = tf.scan(step, _steps(potentials, mask), initializer=ops.zeros_like(potentials[:, 0]))[
        -1
    ]
    log_z = ops.logsumexp(alpha + end_transitions[None, :], axis=1)
    return score - log_z


def _with_penalties(potentials, transitions, start_transitions, end_transitions, penalties):
    dtype = potentials.dtype
    transitions = ops.cast(transitions, dtype)
    start = ops.cast(start_transitions, dtype)
    end = ops.cast(end_transitions, dtype)
    if penalties is not None:
        transitions = transitions + ops.cast(penalties[0], dtype)
        start = start + ops.cast(penalties[1], dtype)
        end = end + ops.cast(penalties[2], dtype)
    return transitions, start, end


def crf_forward_backward(
    potentials, mask, transitions, start_transitions, end_transitions, *, penalties=None
):
    """Forward and backward log-scores of a linear-chain CRF.

    `log_alpha[b, t, j]` is the log-sum-exp of the scores of every tag prefix of steps `0..t`
    that ends in tag j (start transition and emissions included); `log_beta[b, t, j]` the
    log-sum-exp of the scores of every continuation after step t given tag j at t (transitions,
    emissions and the end transition). `log_alpha + log_beta - log_z` is then the log marginal
    probability of tag j at step t (Rabiner 1989; Sutton & McCallum 2012, sec. 4.1).

    Args:
        potentials: `(batch, time, num_tags)` unary scores.
        mask: `(batch, time)` bool, True at real tokens (right padding), or None.
        transitions, start_transitions, end_transitions: As in `crf_log_likelihood`.
        penalties: Optional `(transitions, start, end)` additive penalties, as in
            `viterbi_decode`: the distribution is then the one over the allowed paths only.

    Returns:
        `(log_alpha, log_beta, log_z)`: two float tensors `(batch, time, num_tags)` (values at
        padded steps are meaningless) and `(batch,)`.
    """
    potentials = tf.convert_to_tensor(potentials)
    mask = tf.cast(_mask_or_ones(potentials, mask), tf.bool)
    transitions, start, end = _with_penalties(
        potentials, transitions, start_transitions, end_transitions, penalties
    )
    # One loop computes both recursions. The backward one runs over each sentence's real steps
    # reversed (`tf.reverse_sequence`), carrying g_t = beta_t + emit_t, which then follows the
    # forward recursion's form with the transposed transitions:
    #   alpha_t = logsumexp_i(alpha_{t-1}(i) + trans[i, j]) + emit_t(j)
    #   g_t     = logsumexp_j(g_{t+1}(j) + trans[i, j]) + emit_t(i)
    # so that the two advance together as one `(2, batch, tags)` state.
    lengths = tf.reduce_sum(tf.cast(mask, tf.int32), axis=1)
    steps = tf.shape(potentials)[1]
    emit = tf.transpose(potentials, [1, 0, 2])  # time, batch, tags
    emit_rev = tf.reverse_sequence(emit, lengths, seq_axis=0, batch_axis=1)
    emits = tf.stack([emit, emit_rev], axis=1)  # time, 2, batch, tags
    trans2 = tf.stack([transitions, tf.transpose(transitions)])[:, None]  # 2, 1, tags, tags
    first = tf.stack([start[None, :] + emit[0], end[None, :] + emit_rev[0]])
    states = tf.TensorArray(potentials.dtype, size=steps).write(0, first)

    def body(t, x, states):
        cand = x[:, :, :, None] + trans2
        top = tf.reduce_max(cand, axis=2)
        x = top + tf.math.log(tf.reduce_sum(tf.exp(cand - top[:, :, None, :]), axis=2)) + emits[t]
        return t + 1, x, states.write(t, x)

    _, _, states = tf.while_loop(lambda t, *_: t < steps, body, (tf.constant(1), first, states))
    states = states.stack()  # time, 2, batch, tags
    alphas = tf.transpose(states[:, 0], [1, 0, 2])
    g = tf.reverse_sequence(states[:, 1], lengths, seq_axis=0, batch_axis=1)
    betas = tf.transpose(g, [1, 0, 2]) - potentials
    last = tf.maximum(lengths - 1, 0)
    alpha_last = tf.gather(alphas, last, axis=1, batch_dims=1)  # batch, tags
    log_z = tf.reduce_logsumexp(alpha_last + end[None, :], axis=1)
    # Padded steps (and rows without a real step) hold the last real step's alpha and the end
    # scores as beta, finite values whatever the padding's potentials.
    real = mask[:, :, None]
    alphas = tf.where(real, alphas, alpha_last[:, None, :])
    betas = tf.where(real, betas, tf.broadcast_to(end[None, None, :], tf.shape(betas)))
    return alphas, betas, log_z


def crf_marginals(
    potentials, mask, transitions, start_transitions, end_transitions, *, penalties=None
):
    """Posterior marginals `p(tag_t = j | x)` of a linear-chain CRF (forward-backward).

    Args:
        potentials, mask, transitions, start_transitions, end_transitions, penalties: As in
            `crf_forward_backward`.

    Returns:
        Float `(batch, time, num_tags)`: each real step's probabilities sum to 1; padded steps
        are all zeros.

    Example:
        >>> import numpy as np
        >>> z = np.zeros((1, 2, 2), "float32")
        >>> m = crf_marginals(z, None, np.zeros((2, 2)), np.zeros(2), np.zeros(2))
        >>> np.asarray(m).round(3).tolist()
        [[[0.5, 0.5], [0.5, 0.5]]]
    """
    potentials = ops.convert_to_tensor(potentials)
    log_alpha, log_beta, log_z = crf_forward_backward(
        potentials, mask, transitions, start_transitions, end_transitions, penalties=penalties
    )
    probs = ops.exp(log_alpha + log_beta - log_z[:, None, None])
    maskf = ops.cast(_mask_or_ones(potentials, mask), probs.dtype)
    return probs * maskf[:, :, None]


def crf_segment_log_probability(
    potentials,
    tags,
    segments,
    mask,
    transitions,
    start_transitions,
    end_transitions,
    *,
    penalties=None,
):
    """Log-probability that a CRF gives a segment of a sentence exactly the given tags.

    For a segment `(b, s, e)` (sentence b, steps s..e inclusive) this is
    `log sum over every path with tags[b, s..e] on those steps of p(path | x)`, computed from
    the forward-backward scores as `alpha_s(y_s) + sum_{t=s+1..e} (trans(y_{t-1}, y_t) +
    emit_t(y_t)) + beta_e(y_e) - log Z`. With IOBES tags an entity's tags fix its boundaries,
    so for an entity span this is the probability of the entity: the confidence reported by
    `EntityTagger` (Culotta & McCallum 2004, "Confidence Estimation for Information
    Extraction").

    Args:
        potentials, mask, transitions, start_transitions, end_transitions, penalties: As in
            `crf_forward_backward`.
        tags: Int `(batch, time)` tags, e.g. the Viterbi path.
        segments: Int `(n, 3)` rows `(sentence, first step, last step)`, steps inside the
            sentence's real tokens.

    Returns:
        Float `(n,)` log-probabilities.
    """
    potentials = ops.convert_to_tensor(potentials)
    log_alpha, log_beta, log_z = crf_forward_backward(
        potentials, mask, transitions, start_transitions, end_transitions, penalties=penalties
    )
    trans, _, _ = _with_penalties(
        potentials, transitions, start_transitions, end_transitions, penalties
    )
    tags = ops.cast(tags, "int32")
    num_tags = ops.shape(potentials)[-1]
    emit = ops.squeeze(ops.take_along_axis(potentials, tags[..., None], axis=-1), -1)
    pair = ops.take(ops.reshape(trans, (-1,)), tags[:, :-1] * num_tags + tags[:, 1:])
    step = ops.concatenate([ops.zeros_like(emit[:, :1]), pair + emit[:, 1:]], axis=1)
    prefix = ops.cumsum(step, axis=1)  # prefix[b, t] = path score of steps 1..t (no start)
    alpha_path = ops.squeeze(ops.take_along_axis(log_alpha, tags[..., None], axis=-1), -1)
    beta_path = ops.squeeze(ops.take_along_axis(log_beta, tags[..., None], axis=-1), -1)
    segments = ops.cast(segments, "int32")
    rows, first, last = segments[:, 0], segments[:, 1], segments[:, 2]
    at_first = ops.stack([rows, first], axis=1)
    at_last = ops.stack([rows, last], axis=1)
    return (
        tf.gather_nd(alpha_path, at_first)
        + tf.gather_nd(prefix, at_last)
        - tf.gather_nd(prefix, at_first)
        + tf.gather_nd(beta_path, at_last)
        - ops.take(log_z, rows)
    )


def viterbi_decode(
    potentials, mask, transitions, start_transitions, end_transitions, *, penalties=None
):
    """Most likely tag sequence under a linear-chain CRF (Viterbi algorithm).

    Args:
        potentials: `(batch, time, num_tags)` unary scores.
        mask: `(batch, time)` bool, True at real tokens (right padding), or None.
        transitions, start_transitions, end_transitions: As in `crf_log_likelihood`.
        penalties: Optional `(transitions, start, end)` additive penalties (0 or a large
            negative number) for constrained decoding.

    Returns:
        `(tags, scores)`: int32 `(batch, time)` best tags (0 at padded positions) and the float
        `(batch,)` score of each best path.
    """
    potentials = tf.convert_to_tensor(potentials)
    mask = tf.cast(_mask_or_ones(potentials, mask), tf.bool)
    transitions, start, end = _with_penalties(
        potentials, transitions, start_transitions, end_transitions, penalties
    )
    # One loop, no backtracking pass: `paths[b, j]` is the best path (tags of steps 0..t) that
    # ends in tag j; each step gathers the paths of the best predecessors and writes tag j at
    # step t. A padded step changes neither scores nor paths, and its tag is set to 0 below.
    shape = tf.shape(potentials)
    steps, num_tags = shape[1], shape[2]
    emit = tf.transpose(potentials, [1, 0, 2])  # time, batch, tags
    real = tf.transpose(mask)[:, :, None]  # time, batch, 1
    tag_ids = tf.range(num_tags, dtype=tf.int32)[None, :, None]  # 1, tags, 1
    times = tf.range(steps)[None, None, :]  # 1, 1, time
    score = start[None, :] + emit[0]
    paths = tf.where(
        tf.equal(times, 0), tag_ids, tf.zeros([shape[0], num_tags, steps], tf.int32)
    )  # batch, tags, time

    def body(t, score, paths):
        cand = score[:, :, None] + transitions[None]  # batch, previous tag, tag
        best_prev = tf.argmax(cand, axis=1, output_type=tf.int32)
        real_t = real[t]
        new_paths = tf.where(
            tf.equal(times, t), tag_ids, tf.gather(paths, best_prev, axis=1, batch_dims=1)
        )
        paths = tf.where(real_t[:, :, None], new_paths, paths)
        score = tf.where(real_t, tf.reduce_max(cand, axis=1) + emit[t], score)
        return t + 1, score, paths

    _, score, paths = tf.while_loop(lambda t, *_: t < steps, body, (tf.constant(1), score, paths))
    final = score + end[None, :]
    best_last = tf.argmax(final, axis=1, output_type=tf.int32)
    tags = tf.gather(paths, best_last, axis=1, batch_dims=1)
    tags = tf.where(mask, tags, tf.zeros_like(tags))
    return tags, tf.reduce_max(final, axis=1)


@keras.saving.register_keras_serializable(package="nlpkit")
class CRF(keras.layers.Layer):
    """Linear-chain conditional random field output layer (Lafferty et al. 2001), as used for
    named-entity recognition by Lample et al. (2016) and Ma & Hovy (2016).

    The layer owns a transition matrix and start/end transition vectors. `call` returns the
    Viterbi-decoded tags; training uses the separate `crf_log_likelihood` function (or
    `layer.log_likelihood(...)`), so the decoding stays inside any exported graph.

    Args:
        allowed_transitions: Optional `num_tags x num_tags` nested list of booleans for
            constrained decoding: `allowed_transitions[i][j]` False forbids tag j after tag i
            (for example `I-PER` after `O` in IOB2; see `nlpkit.text.tags.allowed_transitions`).
        allowed_start: Optional list of booleans: which tags may start a sequence.
        allowed_end: Optional list of booleans: which tags may end a sequence.

    Constraints only affect decoding, not the likelihood.

    Call args:
        inputs: `(batch, time, num_tags)` potentials (unnormalised scores).
        mask: Optional `(batch, time)` bool mask, True at real tokens (right padding). Padded
            steps do not change the result and are returned as tag 0.

    Returns:
        int32 `(batch, time)` tag indices.

    Example:
        >>> import numpy as np
        >>> crf = CRF()
        >>> tuple(crf(np.random.rand(2, 5, 3).astype("float32")).shape)
        (2, 5)
    """

    def __init__(
        self,
        allowed_transitions: Sequence[Sequence[bool]] | None = None,
        allowed_start: Sequence[bool] | None = None,
        allowed_end: Sequence[bool] | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.allowed_transitions = (
            None
            if allowed_transitions is None
            else [[bool(v) for v in row] for row in allowed_transitions]
        )
        self.allowed_start = None if allowed_start is None else [bool(v) for v in allowed_start]
        self.allowed_end = None if allowed_end is None else [bool(v) for v in allowed_end]
        self.supports_masking = True

    def build(self, input_shape):
        num_tags = input_shape[-1]
        if num_tags is None:
            raise ValueError("CRF needs a known last dimension (the number of tags).")
        for name, value, shape in (
            ("allowed_transitions", self.allowed_transitions, (num_tags, num_tags)),
            ("allowed_start", self.allowed_start, (num_tags,)),
            ("allowed_end", self.allowed_end, (num_tags,)),
        ):
            if value is not None:
                got = (len(value), len(value[0])) if len(shape) == 2 else (len(value),)
                if got != shape:
                    raise ValueError(
                        f"`{name}` must have shape {shape} for {num_tags} tags. Received shape {got}"
                    )
        self.num_tags = int(num_tags)
        init = keras.initializers.RandomUniform(-0.1, 0.1)
        self.transitions = self.add_weight(
            name="transitions", shape=(num_tags, num_tags), initializer=init
        )
        self.start_transitions = self.add_weight(
            name="start_transitions", shape=(num_tags,), initializer=init
        )
        self.end_transitions = self.add_weight(
            name="end_transitions", shape=(num_tags,), initializer=init
        )
        self.built = True

    def _penalties(self):
        if (
            self.allowed_transitions is None
            and self.allowed_start is None
            and self.allowed_end is None
        ):
            return None
        k = self.num_tags

        def pen(value, shape):
            if value is None:
                return ops.zeros(shape)
            return ops.where(ops.convert_to_tensor(value), 0.0, _FORBIDDEN)

        return (
            pen(self.allowed_transitions, (k, k)),
            pen(self.allowed_start, (k,)),
            pen(self.allowed_end, (k,)),
        )

    def call(self, inputs, mask=None, training=False):
        tags, _ = viterbi_decode(
            inputs,
            mask,
            self.transitions,
            self.start_transitions,
            self.end_transitions,
            penalties=self._penalties(),
        )
        return tags

    def log_likelihood(self, potentials, tags, mask=None):
        """`crf_log_likelihood` with this layer's transition weights."""
        return crf_log_likelihood(
            potentials, tags, mask, self.transitions, self.start_transitions, self.end_transitions
        )

    def marginals(self, potentials, mask=None):
        """Posterior tag marginals `(batch, time, num_tags)` (`crf_marginals`).

        With constraints (`allowed_transitions` ...), the distribution is the one over the
        allowed paths, the paths that `call` decodes from.
        """
        return crf_marginals(
            potentials,
            mask,
            self.transitions,
            self.start_transitions,
            self.end_transitions,
            penalties=self._penalties(),
        )

    def segment_log_probability(self, potentials, tags, segments, mask=None):
        """`crf_segment_log_probability` with this layer's weights and constraints."""
        return crf_segment_log_probability(
            potentials,
            tags,
            segments,
            mask,
            self.transitions,
            self.start_transitions,
            self.end_transitions,
            penalties=self._penalties(),
        )

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1])

    def compute_output_spec(self, inputs, mask=None, training=False):
        return keras.KerasTensor(tuple(inputs.shape[:-1]), dtype="int32")

    def compute_mask(self, inputs, mask=None):
        return mask

    def get_config(self):
        config = super().get_config()
        config.update(
            allowed_transitions=self.allowed_transitions,
            allowed_start=self.allowed_start,
            allowed_end=self.allowed_end,
        )
        return config
