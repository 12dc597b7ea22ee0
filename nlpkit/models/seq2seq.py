"""`Seq2Seq`: the encoder-decoder network with attention that `nlpkit.Translator` trains.

Luong, Pham & Manning (2015) with either scoring function: a bidirectional recurrent encoder
(`RecurrentStack`), a recurrent decoder whose output queries the encoder states through Bahdanau
(Bahdanau et al. 2015) or Luong attention, and a linear attentional state fed back into the next
decoder step ("input feeding"). The decoder exposes one step (`step_log_probs`) for
`nlpkit.decoding`; `Translator` owns the vocabularies, the decoding and the export.

Example:
    >>> import numpy as np
    >>> model = Seq2Seq(7, 9, embedding_dim=4, hidden_size=3, num_layers=1, cell="lstm",
    ...                 bidirectional=True, attention="bahdanau", attention_score="dot",
    ...                 dropout=0.0, label_smoothing=0.0)
    >>> source = np.array([[4, 5, 6, 0]], "int32")
    >>> target_in = np.array([[2, 4, 5]], "int32")
    >>> tuple(model((source, target_in)).shape)
    (1, 3, 9)
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from nlpkit.layers.bahdanau_attention import BahdanauAttention
from nlpkit.layers.luong_attention import LuongAttention
from nlpkit.layers.recurrent_stack import RecurrentStack
from nlpkit.text.special_ids import PAD_ID
from nlpkit.utils.replicas import scale_loss_for_replicas

__all__ = ["Seq2Seq"]

_CELL_CLASSES = {
    "rnn": keras.layers.SimpleRNNCell,
    "gru": keras.layers.GRUCell,
    "lstm": keras.layers.LSTMCell,
}


def _lstm_gates(z, c):
    """Keras `LSTMCell` gate math (sigmoid / tanh, gates in i, f, c, o order) on the summed
    pre-activations `z = x @ W + h @ U + b`: `-> (h, c)`."""
    i, f, g, o = tf.split(z, 4, axis=-1)
    c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
    return tf.sigmoid(o) * tf.tanh(c), c


def _teacher_forced_bptt(x_proj, h0, c0, feed0, memory, keys, mask, w):
    """The teacher-forced one-layer LSTM decoder with Bahdanau attention and input feeding,
    with a hand-written backward pass (backpropagation through time).

    The forward loop is `Seq2Seq._fast_step` op for op (the same results). The gradient
    differs from TensorFlow's automatic one of the same loop in where the work happens, not
    in what it computes (float rounding aside): the loop runs backwards carrying only the
    recurrent gradients (`dh`, `dc`, `d feed`); each weight's gradient is one matrix multiply
    over every step after it (`[feed; h]^T @ dz` over `steps * batch` rows, and so on)
    instead of a small product plus an accumulation at each step, and the gradients of the
    encoder memory are one batched matmul over the stacked attention weights.

    Args:
        x_proj: `(steps, B, 4U)` embedding part of the gates, bias included (time-major).
        h0, c0, feed0: `(B, U)` initial state and fed-back attentional state.
        memory: `(B, S, D)` encoder states; `keys`: `(B, S, A)` their Bahdanau keys.
        mask: `(B, S)` bool, False on padded source positions (no gradient).
        w: `dict` of tensors: `stacked` `(2U, 4U)` (`[W[E:]; U]`), `query` `(U, A)`,
            `bias` `(A,)`, `score` `(A,)`, `combine` `(D + U, U)`.

    Returns:
        `(steps, B, U)` attentional states (time-major).
    """
    mask_f = tf.cast(mask, memory.dtype)

    @tf.custom_gradient
    def run(x_proj, h0, c0, feed0, memory, keys, ws, wq, att_bias, score_v, wc):
        steps = tf.shape(x_proj)[0]
        units = h0.shape[-1] if h0.shape[-1] is not None else tf.shape(h0)[-1]
        depth = memory.shape[-1] if memory.shape[-1] is not None else tf.shape(memory)[-1]
        xs = tf.TensorArray(x_proj.dtype, size=steps).unstack(x_proj)

        def ta():
            return tf.TensorArray(x_proj.dtype, size=steps)

        names = ("feed", "zin", "c", "acts", "tc", "hidden", "weights", "cin")
        init = {k: ta() for k in names}

        def body(t, h, c, feed, arrays):
            zin = tf.concat([feed, h], axis=-1)
            z = tf.matmul(zin, ws) + xs.read(t)
            i, f, g, o = tf.split(z, 4, axis=-1)
            si, sf, sg, so = tf.sigmoid(i), tf.sigmoid(f), tf.tanh(g), tf.sigmoid(o)
            c_new = sf * c + si * sg
            tc = tf.tanh(c_new)
            h_new = so * tc
            qp = tf.matmul(h_new, wq)
            hidden = tf.tanh(qp[:, None, :] + keys + att_bias)
            scores = tf.reduce_sum(hidden * score_v, axis=-1)
            weights = tf.nn.softmax(tf.where(mask, scores, -1e9), axis=-1) * mask_f
            context = tf.matmul(weights[:, None, :], memory)[:, 0, :]
            cin = tf.concat([context, h_new], axis=-1)
            feed_new = tf.matmul(cin, wc)
            values = {
                "feed": feed_new,
                "zin": zin,
                "c": c,
                "acts": tf.concat([si, sf, sg, so], axis=-1),
                "tc": tc,
                "hidden": hidden,
                "weights": weights,
                "cin": cin,
            }
            arrays = {k: arrays[k].write(t, values[k]) for k in names}
            return t + 1, h_new, c_new, feed_new, arrays

        _, _, _, _, saved = tf.while_loop(
            lambda t, *_: t < steps, body, (tf.constant(0), h0, c0, feed0, init)
        )
        # the arrays the backward loop reads step by step stay arrays (no stacked copy)
        in_loop = {k: saved.pop(k) for k in ("c", "acts", "tc", "hidden")}
        saved = {k: v.stack() for k, v in saved.items()}
        saved["hidden"] = in_loop["hidden"].stack()
        feeds = saved["feed"]

        def grad(d_feeds):
            d_feeds = tf.convert_to_tensor(d_feeds)
            acts_ta = in_loop["acts"]
            arrays = {
                "c": in_loop["c"],
                "tc": in_loop["tc"],
                "hidden": in_loop["hidden"],
                "weights": tf.TensorArray(x_proj.dtype, size=steps).unstack(saved["weights"]),
            }
            d_in = tf.TensorArray(x_proj.dtype, size=steps).unstack(d_feeds)
            # transposed once: a matmul with `transpose_b=True` is about 2x slower on the CPU
            ws_t, wq_t, wc_t = tf.transpose(ws), tf.transpose(wq), tf.transpose(wc)
            memory_t = tf.transpose(memory, [0, 2, 1])
            out_names = ("dz", "dqp", "dfeed", "dctx", "dscores")
            outs = {k: ta() for k in out_names}

            def back(t, dh, dc, dfeed, dkeys, outs):
                d_f = d_in.read(t) + dfeed
                dcin = tf.matmul(d_f, wc_t)
                dctx, dh_c = dcin[:, :depth], dcin[:, depth:]
                weights = arrays["weights"].read(t)
                dw = tf.matmul(dctx[:, None, :], memory_t)[:, 0, :]
                dscores = weights * (dw - tf.reduce_sum(weights * dw, axis=-1, keepdims=True))
                hidden = arrays["hidden"].read(t)
                dpre = tf.raw_ops.TanhGrad(y=hidden, dy=dscores[:, :, None] * score_v)
                dqp = tf.reduce_sum(dpre, axis=1)
                dh_new = dh_c + tf.matmul(dqp, wq_t) + dh
                acts = acts_ta.read(t)
                si, sf, sg, so = tf.split(acts, 4, axis=-1)
                tc = arrays["tc"].read(t)
                dc_new = tf.raw_ops.TanhGrad(y=tc, dy=dh_new * so) + dc
                dz = tf.concat(
                    [
                        tf.raw_ops.SigmoidGrad(y=si, dy=dc_new * sg),
                        tf.raw_ops.SigmoidGrad(y=sf, dy=dc_new * arrays["c"].read(t)),
                        tf.raw_ops.TanhGrad(y=sg, dy=dc_new * si),
                        tf.raw_ops.SigmoidGrad(y=so, dy=dh_new * tc),
                    ],
                    axis=-1,
                )
                dzin = tf.matmul(dz, ws_t)
                values = {"dz": dz, "dqp": dqp, "dfeed": d_f, "dctx": dctx, "dscores": dscores}
                outs = {k: outs[k].write(t, values[k]) for k in out_names}
                return (
                    t - 1,
                    dzin[:, units:],
                    dc_new * sf,
                    dzin[:, :units],
                    dkeys + dpre,
                    outs,
                )

            zeros = tf.zeros_like(h0)
            _, dh, dc, dfeed, dkeys, outs = tf.while_loop(
                lambda t, *_: t >= 0,
                back,
                (
                    steps - 1,
                    zeros,
                    tf.zeros_like(c0),
                    tf.zeros_like(feed0),
                    tf.zeros_like(keys),
                    outs,
                ),
            )
            outs = {k: v.stack() for k, v in outs.items()}

            def rows(x):  # (steps, B, n) -> (steps * B, n)
                return tf.reshape(x, [-1, tf.shape(x)[-1]])

            dz = outs["dz"]
            d_ws = tf.matmul(rows(saved["zin"]), rows(dz), transpose_a=True)
            d_wc = tf.matmul(rows(saved["cin"]), rows(outs["dfeed"]), transpose_a=True)
            d_wq = tf.matmul(rows(saved["cin"][:, :, depth:]), rows(outs["dqp"]), transpose_a=True)
            hidden = saved["hidden"]
            d_score = tf.reshape(
                tf.matmul(
                    tf.reshape(outs["dscores"], [1, -1]),
                    tf.reshape(hidden, [-1, tf.shape(hidden)[-1]]),
                ),
                [-1],
            )
            d_bias = tf.reduce_sum(dkeys, axis=[0, 1])
            # sum over steps of weights_t (B, S)^T x dctx_t (B, D): (B, S, steps) @ (B, steps, D)
            d_memory = tf.matmul(
                tf.transpose(saved["weights"], [1, 2, 0]), tf.transpose(outs["dctx"], [1, 0, 2])
            )
            return dz, dh, dc, dfeed, d_memory, dkeys, d_ws, d_wq, d_bias, d_score, d_wc

        return feeds, grad

    return run(
        x_proj,
        h0,
        c0,
        feed0,
        memory,
        keys,
        w["stacked"],
        w["query"],
        w["bias"],
        w["score"],
        w["combine"],
    )


class Seq2Seq(keras.Model):
    """Encoder-decoder with attention and input feeding (trained by `nlpkit.Translator`).

    Speed (issue 14): with LSTM cells and Bahdanau attention (the defaults) the decoder steps
    run a fused form of the same math on the same weights (`fast_path`): the embedding part of
    the first layer's input projection (`emb @ W[:E] + b`) is one matrix multiply over every
    time step before the teacher-forced loop, the fed-back attentional state and the recurrent
    state share one matmul per step (`[feed; h] @ [W[E:]; U]`), and the Bahdanau keys are
    computed once per batch. In training, `call` projects only the real (non-padding) target
    positions onto the vocabulary and returns those logits as `(tokens, vocab)`; `compute_loss`
    takes both that form and the full `(batch, steps, vocab)` logits of inference.
    `fast_path = False` runs the Keras cells step by step and projects every position (the
    code path before issue 14; the translator row of benchmarks/speed.py compares the two).
    In training with one layer, the fast path's teacher-forced loop has a hand-written
    backward pass (`_teacher_forced_bptt`: the same forward steps; weight gradients as one
    matmul over all steps after the backward loop); `manual_backward = False` lets
    TensorFlow differentiate the loop instead (the same gradients up to float rounding).
    """

    def __init__(
        self,
        source_vocab_size: int,
        target_vocab_size: int,
        *,
        embedding_dim: int,
        hidden_size: int,
        num_layers: int,
        cell: str,
        bidirectional: bool,
        attention: str,
        attention_score: str,
        dropout: float,
        label_smoothing: float,
        **kwargs,
    ):
        super().__init__(**kwargs)
        # Constructor arguments, so that `save("model.keras")` can write the model's config
        # (nlpkit loads only the weights from it, into a model rebuilt from `Translator`'s).
        self._init_config = {
            "source_vocab_size": source_vocab_size,
            "target_vocab_size": target_vocab_size,
            "embedding_dim": embedding_dim,
            "hidden_size": hidden_size,
            "num_layers": num_layers,
            "cell": cell,
            "bidirectional": bidirectional,
            "attention": attention,
            "attention_score": attention_score,
            "dropout": dropout,
            "label_smoothing": label_smoothing,
        }
        self.target_vocab_size = target_vocab_size
        self.label_smoothing = label_smoothing
        self.bidirectional = bidirectional
        self.hidden_size = hidden_size
        self.embedding_dim = embedding_dim
        units = hidden_size * (2 if bidirectional else 1)
        self.units = units
        self.num_layers = num_layers
        self.state_parts = 2 if cell == "lstm" else 1
        self.source_embedding = keras.layers.Embedding(
            source_vocab_size, embedding_dim, name="source_embedding"
        )
        self.target_embedding = keras.layers.Embedding(
            target_vocab_size, embedding_dim, name="target_embedding"
        )
        self.encoder = RecurrentStack(
            cell,
            hidden_size,
            num_layers,
            bidirectional=bidirectional,
            dropout=dropout,
            return_sequences=True,
            name="encoder",
        )
        self.bridge = keras.layers.Dense(
            units * num_layers * self.state_parts, activation="tanh", name="bridge"
        )
        self.cells = [
            _CELL_CLASSES[cell](units, name=f"decoder_{cell}_{i}") for i in range(num_layers)
        ]
        if attention == "bahdanau":
            self.attention = BahdanauAttention(units, name="attention")
        else:
            self.attention = LuongAttention(attention_score, units, name="attention")
        # Linear, as TensorFlow's AttentionWrapper `attention_layer` (GNMT): with Luong's tanh
        # here, Adam drives almost every unit to +-1 within ~100 steps on Multi30k and training
        # stalls at the unigram entropy (see docs/translation.md).
        self.combine = keras.layers.Dense(units, use_bias=False, name="attentional")
        self.dropout = keras.layers.Dropout(dropout, name="dropout")
        self.projection = keras.layers.Dense(target_vocab_size, name="projection")
        # Build every sublayer now: the decoder runs inside a while loop, where variables
        # cannot be created.
        self.source_embedding.build((None, None))
        self.target_embedding.build((None, None))
        self.encoder.build((None, None, embedding_dim))
        self.bridge.build((None, units))
        for i, c in enumerate(self.cells):
            c.build((None, (embedding_dim + units) if i == 0 else units))
        self.attention.build([(None, units), (None, None, units)])
        self.combine.build((None, 2 * units))
        self.projection.build((None, units))
        self.fast_path = cell == "lstm" and attention == "bahdanau"
        # the fast path's training with the hand-written backward pass (`_teacher_forced_bptt`)
        self.manual_backward = True
        self.built = True

    def get_config(self):
        return {"name": self.name, **self._init_config}

    # encoder ---------------------------------------------------------------
    def encode(self, source_ids, training=False):
        """-> (memory (B, T, units), mask (B, T) bool, initial decoder state)."""
        mask = ops.not_equal(source_ids, PAD_ID)
        # RecurrentStack applies `dropout` to its input and between its layers.
        memory = self.encoder(self.source_embedding(source_ids), mask=mask, training=training)
        lengths = ops.sum(ops.cast(mask, "int32"), axis=1)
        last = ops.maximum(lengths - 1, 0)
        last_out = ops.take_along_axis(memory, last[:, None, None], axis=1)[:, 0, :]
        if self.bidirectional:
            h = self.hidden_size
            summary = ops.concatenate([last_out[:, :h], memory[:, 0, h:]], axis=-1)
        else:
            summary = last_out
        parts = ops.split(self.bridge(summary), self.num_layers * self.state_parts, axis=-1)
        feed = ops.zeros_like(summary)
        return memory, mask, (tuple(parts), feed)

    # one decoder step ------------------------------------------------------
    def attention_keys(self, memory):
        """Bahdanau keys of `memory`, computed once per source sentence and passed to the steps
        as `keys=` (None for Luong attention, whose steps need none)."""
        if isinstance(self.attention, BahdanauAttention):
            return self.attention.project_values(memory)
        return None

    def step_weights(self):
        """Loop-invariant weights of the fused decoder step (`fast_path`), sliced and stacked
        once before a decoder loop and passed to the steps as `weights=` (None otherwise)."""
        if not self.fast_path:
            return None
        e, first = self.embedding_dim, self.cells[0]
        stacked = [ops.concatenate([first.kernel[e:], first.recurrent_kernel], axis=0)]
        for c in self.cells[1:]:
            stacked.append(ops.concatenate([c.kernel, c.recurrent_kernel], axis=0))
        return {"input": first.kernel[:e], "stacked": stacked}

    def _input_projection(self, x, weights):
        """The embedding part of the first layer's gates, `x @ W[:E] + b` (any leading axes)."""
        return ops.matmul(x, weights["input"]) + self.cells[0].bias

    def _fast_step(self, x_proj, state, memory, mask, keys, weights):
        flat, feed = state
        below, new_flat = feed, []
        for i, c in enumerate(self.cells):
            h, cs = flat[2 * i], flat[2 * i + 1]
            z = ops.matmul(ops.concatenate([below, h], axis=-1), weights["stacked"][i])
            z = z + (x_proj if i == 0 else c.bias)
            h, cs = _lstm_gates(z, cs)
            new_flat += [h, cs]
            below = h
        context, attn = self.attention.attend(below, memory, keys, mask)
        feed = self.combine(ops.concatenate([context, below], axis=-1))
        return feed, (tuple(new_flat), feed), attn

    def step_embedded(self, x, state, memory, mask, keys=None, weights=None):
        """x (B, E) embedded token; state = (flat cell states, feed) -> (feed, state, weights).

        `keys`: `attention_keys(memory)` and `weights`: `step_weights()`, hoisted out of the
        decoder loop (both optional).
        """
        if self.fast_path:
            if keys is None:
                keys = self.attention_keys(memory)
            if weights is None:
                weights = self.step_weights()
            return self._fast_step(
                self._input_projection(x, weights), state, memory, mask, keys, weights
            )
        flat, feed = state
        h = ops.concatenate([x, feed], axis=-1)
        new_flat = []
        for i, c in enumerate(self.cells):
            st = list(flat[i * self.state_parts : (i + 1) * self.state_parts])
            h, st = c(h, st)
            new_flat.extend(st if isinstance(st, (list, tuple)) else [st])
        if keys is not None:
            context, weights = self.attention.attend(h, memory, keys, mask)
        else:
            context, weights = self.attention([h, memory], mask=[None, mask])
        feed = self.combine(ops.concatenate([context, h], axis=-1))
        return feed, (tuple(new_flat), feed), weights

    def step_logits(self, tokens, state, memory, mask, keys=None, weights=None):
        """One decoder step from token ids: `-> (logits (B, V), state, attention weights)`.

        `keys`: `attention_keys(memory)`, `weights`: `step_weights()`, computed once before the
        decoder loop (optional).
        """
        feed, state, attn = self.step_embedded(
            self.target_embedding(tokens), state, memory, mask, keys, weights
        )
        return self.projection(feed), state, attn

    def step_log_probs(self, tokens, state, memory, mask, keys=None, weights=None):
        logits, state, attn = self.step_logits(tokens, state, memory, mask, keys, weights)
        return tf.nn.log_softmax(logits), state, attn

    # teacher forcing -------------------------------------------------------
    def decode_teacher_forced(
        self, memory, mask, state, target_in, training=False, return_weights=True
    ):
        """-> (attentional states (B, T, units), attention weights (B, T, Ts) or None when
        `return_weights` is False)."""
        emb = self.dropout(self.target_embedding(target_in), training=training)
        keys = self.attention_keys(memory)  # once, not at every step
        if self.fast_path:
            weights = self.step_weights()
            # the embedding part of the first layer's gates for every step: one matmul
            x_proj = tf.transpose(self._input_projection(emb, weights), [1, 0, 2])
            if training and not return_weights and self.num_layers == 1 and self.manual_backward:
                # training: the same forward steps, with a hand-written backward pass
                (h0, c0), feed0 = state
                att = self.attention
                # values read here (tensors): the custom gradient must not see variables
                w = {
                    "stacked": weights["stacked"][0],
                    "query": tf.convert_to_tensor(att.query_kernel.value),
                    "bias": tf.convert_to_tensor(att.bias.value),
                    "score": tf.convert_to_tensor(att.score_vector.value),
                    "combine": tf.convert_to_tensor(self.combine.kernel.value),
                }
                feeds = _teacher_forced_bptt(x_proj, h0, c0, feed0, memory, keys, mask, w)
                return tf.transpose(feeds, [1, 0, 2]), None

            def fast(acc, x_t):
                _, st, w = self._fast_step(x_t, acc[0], memory, mask, keys, weights)
                return (st, w) if return_weights else (st,)

            init = (state, tf.zeros([tf.shape(memory)[0], tf.shape(memory)[1]]))
            out = tf.scan(fast, x_proj, initializer=init if return_weights else (state,))
            feeds = tf.transpose(out[0][1], [1, 0, 2])
            attn = tf.transpose(out[1], [1, 0, 2]) if return_weights else None
            return feeds, attn
        emb = tf.transpose(emb, [1, 0, 2])
        batch = tf.shape(memory)[0]
        init = (state, tf.zeros([batch, tf.shape(memory)[1]]))

        def fn(acc, x_t):
            st, _ = acc
            _, st, w = self.step_embedded(x_t, st, memory, mask, keys)
            return st, w

        states, weights = tf.scan(fn, emb, initializer=init)
        feeds = tf.transpose(states[1], [1, 0, 2])
        return feeds, tf.transpose(weights, [1, 0, 2])

    def call(self, inputs, training=False):
        """`(source_ids, target_in) -> logits`: `(B, T, V)`; in training on the fast path,
        `(tokens, V)` for the non-padding positions of `target_in` only (row-major order)."""
        source_ids, target_in = inputs
        memory, mask, state = self.encode(source_ids, training=training)
        feeds, _ = self.decode_teacher_forced(
            memory, mask, state, target_in, training=training, return_weights=False
        )
        if training and self.fast_path:
            # a padded position's logits never reach the loss: skip its vocabulary projection
            feeds = tf.boolean_mask(feeds, ops.not_equal(target_in, PAD_ID))
        return self.projection(self.dropout(feeds, training=training))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Token-level cross-entropy (optionally label-smoothed), averaged over non-pad tokens.

        `y_pred` is `(B, T, V)` logits, or the `(tokens, V)` logits of the real positions of
        `x[1]` (`target_in`) that `call` returns in training."""
        if len(y_pred.shape) == 2:
            y = tf.boolean_mask(y, ops.not_equal(x[1], PAD_ID))
        mask = ops.cast(ops.not_equal(y, PAD_ID), "float32")
        if self.label_smoothing:
            v = self.target_vocab_size
            target = ops.one_hot(y, v) * (1.0 - self.label_smoothing) + self.label_smoothing / v
            ce = keras.losses.categorical_crossentropy(target, y_pred, from_logits=True)
        else:
            ce = keras.losses.sparse_categorical_crossentropy(y, y_pred, from_logits=True)
        loss = ops.sum(ce * mask) / ops.maximum(ops.sum(mask), 1.0)
        # As Keras's own losses do (see EntityTagger's model): divided by the replica count.
        return scale_loss_for_replicas(loss)
