"""The recurrent music language model of `nlpkit.MusicGenerator`: network, losses and graph.

- `build_music_lm(...)`: `Embedding` (tokens) or the 88 keys plus a start flag (piano roll) ->
  `RecurrentStack` -> optional causal windowed self-attention -> `Dense` logits (or a `NADE`
  over the keys of a step, Boulanger-Lewandowski et al. 2012). Layers are named `embedding`,
  `recurrent`, `attention` and `logits`, which `MusicSampler` looks up.
- `token_loss` / `pianoroll_loss`: the training losses, averaged over real (unpadded) positions.
- `MusicSampler`: generation and teacher-forced scoring as `tf.function`s over a trained
  network, what `MusicGenerator.generate` runs and `MusicGenerator.export()` saves;
  `KeySampling` draws the keys of a piano-roll step.
- `_WindowedSelfAttention` and `has_legacy_attention`: models saved before the attention layer
  moved to `nlpkit.layers` key its weights by that old class name; they load into the subclass.

Example:
    >>> model = build_music_lm("piano_roll", hidden_size=8, key_model="independent")
    >>> sampler = MusicSampler(model, hidden_size=8)
    >>> out = sampler.generate(tf.zeros([1, 0, NUM_KEYS]), tf.constant(3), tf.constant(1.0),
    ...                        tf.constant(0, tf.int64))
    >>> out["piano_roll"].shape.as_list()
    [1, 3, 88]
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from nlpkit.data.music_events import NUM_KEYS
from nlpkit.decoding import Decoder, Sampling
from nlpkit.layers.nade import NADE
from nlpkit.layers.recurrent_stack import RecurrentStack
from nlpkit.layers.windowed_self_attention import WindowedSelfAttention
from nlpkit.text.special_ids import PAD_ID, SpecialIds

__all__ = [
    "MusicSampler",
    "KeySampling",
    "build_music_lm",
    "token_loss",
    "pianoroll_loss",
    "has_legacy_attention",
]

_NEG = -1e9


class _WindowedSelfAttention(WindowedSelfAttention):
    """`nlpkit.layers.WindowedSelfAttention` under the class name that music models saved before
    it moved were written with: Keras keys the weights file by class name
    (`layers/__windowed_self_attention`), so those files are loaded into this subclass."""


def build_music_lm(
    representation: str,
    *,
    vocab_size: int | None = None,
    embedding_dim: int = 64,
    cell: str = "lstm",
    hidden_size: int = 128,
    num_layers: int = 1,
    dropout: float = 0.0,
    attention_window: int = 0,
    attention_heads: int = 4,
    key_model: str = "nade",
    nade_hidden: int = 64,
    legacy_attention: bool = False,
) -> keras.Model:
    """The (uncompiled) music network.

    Args:
        representation: `"tokens"` (input: event ids `(batch, time)` named `events`; output:
            logits over the `vocab_size` events) or `"piano_roll"` (input `steps`: `(batch,
            time, 89)`, the 88 keys of the previous step and a start flag; output: 88 key
            logits per step).
        vocab_size: Event vocabulary size (tokens only).
        embedding_dim: Event embedding width (tokens only).
        cell: `"rnn"`, `"gru"` or `"lstm"`.
        hidden_size: Units per recurrent layer.
        num_layers: Recurrent layers.
        dropout: Dropout in the recurrent stack.
        attention_window: Steps the causal self-attention looks back over (0: no attention).
        attention_heads: Attention heads.
        key_model: Piano roll only: `"nade"` (each key conditioned on the keys below it; the
            network then takes a second input `keys`) or `"independent"`.
        nade_hidden: Hidden units of the NADE.
        legacy_attention: Build the attention under its old class name (`_WindowedSelfAttention`),
            to load weights saved before the layer moved (`has_legacy_attention`).

    Returns:
        A functional `keras.Model` named `music_generator`.
    """
    if representation == "tokens":
        inputs = keras.Input((None,), dtype="int32", name="events")
        x = keras.layers.Embedding(vocab_size, embedding_dim, name="embedding")(inputs)
        n_out = vocab_size
    else:
        inputs = keras.Input((None, NUM_KEYS + 1), dtype="float32", name="steps")
        x = inputs
        n_out = NUM_KEYS
    x = RecurrentStack(
        cell,
        hidden_size,
        num_layers,
        dropout=dropout,
        return_sequences=True,
        name="recurrent",
    )(x)
    if attention_window:
        # a model saved before the layer moved keys its weights by the old class name
        attention = _WindowedSelfAttention if legacy_attention else WindowedSelfAttention
        x = attention(attention_window, attention_heads, hidden_size, name="attention")(x)
    if representation != "tokens" and key_model == "nade":
        keys = keras.Input((None, NUM_KEYS), dtype="float32", name="keys")
        logits = NADE(NUM_KEYS, nade_hidden, name="logits")([x, keys])
        inputs = [inputs, keys]
    else:
        logits = keras.layers.Dense(n_out, name="logits")(x)
    return keras.Model(inputs, logits, name="music_generator")


def has_legacy_attention(weights_file: Path) -> bool:
    """True for a weights file written while the attention layer was `_WindowedSelfAttention`."""
    import io
    import zipfile

    import h5py  # a Keras dependency

    try:
        if Path(weights_file).suffix == ".keras":  # the weights inside a .keras archive
            with zipfile.ZipFile(weights_file) as zf:
                with h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r") as f:
                    return "layers/__windowed_self_attention" in f
        with h5py.File(weights_file, "r") as f:
            return "layers/__windowed_self_attention" in f
    except (OSError, KeyError, zipfile.BadZipFile):
        return False  # a damaged file: loading it reports the damage


def _per_position_mean(per_position, mask):
    """Scale per-position losses so that Keras's mean over all positions equals the mean over the
    unpadded ones (sum of loss * mask / number of real positions)."""
    mask = tf.cast(mask, per_position.dtype)
    scale = tf.cast(tf.size(mask), per_position.dtype) / tf.maximum(tf.reduce_sum(mask), 1.0)
    return per_position * mask * scale


def token_loss(y_true, y_pred):
    """Next-event cross-entropy (nats) averaged over real positions; target id 0 is padding."""
    labels = tf.cast(y_true, tf.int32)
    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=y_pred)
    return _per_position_mean(ce, labels != PAD_ID)  # <pad> is id 0 in old and new vocabularies


def pianoroll_loss(y_true, y_pred):
    """NLL per piano-roll step (binary cross-entropy summed over the 88 keys, nats) averaged over
    real steps; `y_true` carries an 89th column that is 1 on real steps and 0 on padding."""
    labels = tf.cast(y_true[..., :NUM_KEYS], y_pred.dtype)
    bce = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=y_pred), -1)
    return _per_position_mean(bce, y_true[..., NUM_KEYS])


class KeySampling(Decoder):
    """Piano-roll steps: every key a Bernoulli draw with probability `sigmoid(logit / temperature)`
    from stateless uniform noise seeded `[seed, index]` (with the NADE, one key at a time, lowest
    first, each conditioned on the keys drawn below it); `temperature <= 0` turns on the keys with
    probability > 0.5. The step function returns the recurrent context as its "logits"."""

    def __init__(self, out: keras.layers.Layer, nade: bool, temperature):
        self.out = out
        self.nade = nade
        self.temperature = temperature

    def __call__(
        self,
        step_fn,
        state,
        start_tokens,
        *,
        max_length,
        end_id=None,
        pad_id=0,
        prompt=None,
        seed=None,
    ):
        seed = tf.cast(0 if seed is None else seed, tf.int32)
        return self._loop(step_fn, state, start_tokens, max_length, end_id, pad_id, prompt, seed)

    def _select(self, context, index, seed):
        batch = tf.shape(context)[0]
        step_seed = tf.stack([seed, tf.cast(index, tf.int32)])
        noise = tf.random.stateless_uniform([batch, NUM_KEYS], seed=step_seed)
        temperature = self.temperature
        if self.nade:
            drawn = self.out.sample(context, noise, temperature)
            logits = self.out([context, drawn])  # each key given the keys drawn below it
        else:
            logits = self.out(context)
            temp = tf.maximum(temperature, 1e-6)
            drawn = tf.where(
                temperature <= 0,
                tf.cast(logits > 0, tf.float32),
                tf.cast(noise < tf.sigmoid(logits / temp), tf.float32),
            )
        # log p(step) under the model (temperature 1): the sum of the keys' Bernoulli log-probs
        log_prob = -tf.reduce_sum(
            tf.nn.sigmoid_cross_entropy_with_logits(labels=drawn, logits=logits), axis=-1
        )
        return drawn, log_prob


class MusicSampler(tf.Module):
    """The in-graph generation and scoring of a music network, shared by
    `MusicGenerator.generate` / `evaluate` and its export: one step function over
    `RecurrentStack.step` (and the windowed attention), decoded by `nlpkit.decoding.Sampling`
    (tokens) or `KeySampling` (piano roll).

    Args:
        model: A network from `build_music_lm` (its `recurrent`, `attention`, `logits` and, for
            tokens, `embedding` layers are stepped one event at a time).
        hidden_size: Units of the recurrent stack (the width of the attention buffer).
        attention_window: The network's attention window (0: no attention layer).
        vocabulary: The event tokens in id order (tokens), or None (piano roll).
        special: The vocabulary's special ids (`nlpkit.text.special_ids.SpecialIds`); required
            with `vocabulary`. They are never generated.
    """

    def __init__(
        self,
        model: keras.Model,
        *,
        hidden_size: int,
        attention_window: int = 0,
        vocabulary: list[str] | None = None,
        special: SpecialIds | None = None,
    ):
        super().__init__(name="music_sampler")
        self.model = model  # tracks every variable for the SavedModel
        self._variables = list(model.weights)
        self.tokens = vocabulary is not None
        self.stack = model.get_layer("recurrent")
        self.units = hidden_size
        self.window = attention_window
        self.attention = model.get_layer("attention") if self.window else None
        self.out = model.get_layer("logits")
        self.nade = isinstance(self.out, NADE)
        if self.tokens:
            if special is None:
                raise ValueError(
                    "`special` (the vocabulary's special ids) is required with `vocabulary`."
                )
            self.embedding = model.get_layer("embedding")
            self.vocab = tf.constant(vocabulary)
            self.start_id = special.bos
            forbid = np.zeros(len(vocabulary), np.float32)
            forbid[list(special)] = _NEG
            self.forbid = tf.constant(forbid)
            primer_spec = tf.TensorSpec([None, None], tf.int32, name="primer")
        else:
            primer_spec = tf.TensorSpec([None, None, NUM_KEYS], tf.float32, name="primer")
        inputs = [
            primer_spec,
            tf.TensorSpec([], tf.int32, name="max_length"),
            tf.TensorSpec([], tf.float32, name="temperature"),
            tf.TensorSpec([], tf.int64, name="seed"),
        ]
        self.generate_scored = tf.function(self._generate, input_signature=inputs)
        # `generate` without `log_probs` keeps its outputs (and REST answers) as they were
        self.generate = tf.function(
            lambda *a: {k: v for k, v in self._generate(*a).items() if k != "log_probs"},
            input_signature=inputs,
        )
        if self.tokens:
            self.pad_id, self.end_id = special.pad, special.eos
            self.lookup = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(
                    self.vocab, tf.range(len(vocabulary), dtype=tf.int32)
                ),
                default_value=special.unk,
            )
            self.score = tf.function(
                self._score_tokens,
                input_signature=[tf.TensorSpec([None, None], tf.string, name="events")],
            )
        else:
            self.score = tf.function(
                self._score_roll,
                input_signature=[
                    tf.TensorSpec([None, None, NUM_KEYS], tf.float32, name="piano_roll"),
                    tf.TensorSpec([None], tf.int32, name="lengths"),
                ],
            )

    def _step_fn(self, tokens, state, index):
        """`nlpkit.decoding` step: the previous event (id, or 88 keys) -> next logits/context."""
        states, buffer, valid = state
        if self.tokens:
            x = self.embedding(tokens)
        else:  # the 89th input column marks the start step
            flag = tf.fill([tf.shape(tokens)[0], 1], tf.cast(tf.equal(index, 0), tf.float32))
            x = tf.concat([tokens, flag], axis=1)
        x, states = self.stack.step(x, states)
        if self.window:
            buffer = tf.concat([buffer[:, 1:], x[:, None, :]], axis=1)
            valid = tf.concat([valid[:, 1:], tf.ones_like(valid[:, :1])], axis=1)
            x = self.attention.step(x, buffer, valid)
        logits = self.out(x) + self.forbid if self.tokens else x
        return logits, (states, buffer, valid)

    def _score_tokens(self, events):
        """Teacher-forced scores of event-token rows ("" pads a row at its end), as `evaluate`:
        the inputs are `<start>` + the events, the targets the events + `<end>`; tokens outside
        the vocabulary are `<unk>`."""
        real = tf.not_equal(events, "")
        lengths = tf.reduce_sum(tf.cast(real, tf.int32), axis=1)
        batch = tf.shape(events)[0]
        ids = tf.where(real, self.lookup.lookup(events), self.pad_id)
        inputs = tf.concat([tf.fill([batch, 1], self.start_id), ids], axis=1)
        pos = tf.range(tf.shape(inputs)[1])[None, :]
        targets = tf.concat([ids, tf.fill([batch, 1], self.pad_id)], axis=1)
        targets = tf.where(pos == lengths[:, None], self.end_id, targets)
        mask = tf.cast(pos <= lengths[:, None], tf.float32)
        logits = self.model(inputs, training=False)
        nll = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets, logits=logits)
        hits = tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32), targets), tf.float32)
        return {
            "log_likelihood": -tf.reduce_sum(nll * mask, axis=1),
            "num_steps": lengths + 1,
            "num_correct": tf.cast(tf.reduce_sum(hits * mask, axis=1), tf.int32),
        }

    def _score_roll(self, roll, lengths):
        """Teacher-forced scores of piano rolls (`(batch, steps, 88)`, the first `lengths[i]`
        steps of row `i` are real), as `evaluate`: each step's summed binary cross-entropy."""
        steps = tf.shape(roll)[1]
        lengths = tf.clip_by_value(lengths, 0, steps)
        mask = tf.sequence_mask(lengths, steps, dtype=tf.float32)
        roll = tf.cast(roll > 0.5, tf.float32) * mask[..., None]
        batch = tf.shape(roll)[0]
        start = tf.concat([tf.zeros([batch, 1, NUM_KEYS]), tf.ones([batch, 1, 1])], axis=2)
        shifted = tf.concat([start, tf.pad(roll, [[0, 0], [0, 0], [0, 1]])], axis=1)
        if self.nade:  # one spare step so that an empty roll still runs the network
            keys = tf.pad(roll, [[0, 0], [0, 1], [0, 0]])
            logits = self.model([shifted, keys], training=False)[:, :steps]
        else:
            logits = self.model(shifted, training=False)[:, :steps]
        bce = tf.reduce_sum(
            tf.nn.sigmoid_cross_entropy_with_logits(labels=roll, logits=logits), axis=-1
        )
        return {
            "log_likelihood": -tf.reduce_sum(bce * mask, axis=1),
            "num_steps": lengths,
        }

    def _generate(self, primer, max_length, temperature, seed):
        batch = tf.shape(primer)[0]
        steps = tf.maximum(max_length, 0)
        w = max(self.window, 1)
        state = (
            self.stack.initial_state(batch),
            tf.zeros([batch, w, self.units]),
            tf.zeros([batch, w], tf.bool),
        )
        seed32 = tf.cast(tf.math.floormod(seed, 2**31 - 1), tf.int32)
        if self.tokens:
            decoder = Sampling(temperature)
            start = tf.fill([batch], self.start_id)
        else:
            decoder = KeySampling(self.out, self.nade, temperature)
            start = tf.zeros([batch, NUM_KEYS])
        # the decoding loop runs at least one step; max_length=0 cuts it off again, so it
        # gives zero new events, as in Python
        run = tf.maximum(steps, 1)
        out = decoder(self._step_fn, state, start, max_length=run, prompt=primer, seed=seed32)
        log_probs = tf.reshape(out.token_log_probs, [batch, run])[:, :steps]
        if self.tokens:
            ids = tf.reshape(out.tokens, [batch, run])[:, :steps]
            return {"ids": ids, "tokens": tf.gather(self.vocab, ids), "log_probs": log_probs}
        roll = tf.reshape(out.tokens, [batch, run, NUM_KEYS])[:, :steps]
        return {"piano_roll": tf.cast(roll, tf.int32), "log_probs": log_probs}
