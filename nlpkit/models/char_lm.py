"""The character-level language model of `nlpkit.CharGenerator`: the network and its graph.

- `build_char_lm(vocab_size, ...)`: `Embedding` (or a fixed one-hot) -> `RecurrentStack` ->
  optional dropout -> `Dense` logits over the characters; the layers are named `embedding`,
  `recurrent` and `logits`, which `CharLM` looks up.
- `CharLM`: encoding, stateful stepping (`RecurrentStack.step`), decoding with
  `nlpkit.decoding` (`Sampling`, `BeamSearch`) and scoring as `tf.function`s over a trained
  network. The same object serves `CharGenerator.generate/score` in Python and is what
  `CharGenerator.export()` saves, so a reloaded SavedModel gives the same texts for a seed.

Example:
    >>> from nlpkit.text.char_vocabulary import CharVocabulary
    >>> vocab = CharVocabulary.from_texts(["ab", "ba"])
    >>> model = build_char_lm(vocab.size, embedding_dim=4, cell="gru", hidden_size=8)
    >>> lm = CharLM(model, vocab, mode="lines")
    >>> out = lm.generate(tf.constant(["a"]), tf.constant(3), tf.constant(1.0), tf.constant(0))
    >>> out["text"].shape.as_list()
    [1]
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from nlpkit.decoding import BeamSearch, Sampling
from nlpkit.layers.recurrent_stack import RecurrentStack
from nlpkit.text.char_vocabulary import BOS_ID, EOS_ID, PAD_ID, UNK_ID, CharVocabulary

__all__ = ["CharLM", "build_char_lm"]

_NEG = -1e9


#: The exported sampling signatures' inputs: `generate` takes the first four, `generate_filtered`
#: and `generate_scored` all six.
_SAMPLING_SPEC = [
    tf.TensorSpec([None], tf.string, name="prompts"),
    tf.TensorSpec([], tf.int32, name="max_length"),
    tf.TensorSpec([], tf.float32, name="temperature"),
    tf.TensorSpec([], tf.int32, name="seed"),
]
_FILTERED_SPEC = [
    *_SAMPLING_SPEC,
    tf.TensorSpec([], tf.int32, name="top_k"),
    tf.TensorSpec([], tf.float32, name="top_p"),
]


def build_char_lm(
    vocab_size: int,
    *,
    input_encoding: str = "embedding",
    embedding_dim: int = 64,
    cell: str = "lstm",
    hidden_size: int = 128,
    num_layers: int = 1,
    dropout: float = 0.0,
) -> keras.Model:
    """The (uncompiled) character language model: ids `(batch, time)` -> logits
    `(batch, time, vocab_size)`.

    Args:
        vocab_size: Characters, the special ids included.
        input_encoding: `"embedding"` (learned, `embedding_dim` wide) or `"one_hot"` (a fixed
            identity embedding, `vocab_size` wide).
        embedding_dim: Width of the learned embedding.
        cell: `"rnn"`, `"gru"` or `"lstm"` (`RecurrentStack`).
        hidden_size: Units per recurrent layer.
        num_layers: Recurrent layers.
        dropout: Dropout on the recurrent stack's inputs, between its layers and on its output.

    Returns:
        A functional `keras.Model` named `char_lm`.
    """
    ids = keras.Input((None,), dtype="int32", name="ids")
    if input_encoding == "embedding":
        x = keras.layers.Embedding(vocab_size, embedding_dim, name="embedding")(ids)
    else:
        x = keras.layers.Embedding(
            vocab_size,
            vocab_size,
            embeddings_initializer="identity",
            trainable=False,
            name="embedding",
        )(ids)
    h = RecurrentStack(
        cell,
        hidden_size,
        num_layers=num_layers,
        dropout=dropout,
        return_sequences=True,
        name="recurrent",
    )(x)
    if dropout:
        h = keras.layers.Dropout(dropout, name="output_dropout")(h)
    logits = keras.layers.Dense(vocab_size, name="logits")(h)
    return keras.Model(ids, logits, name="char_lm")


class CharLM(tf.Module):
    """Encoding, stateful stepping, sampling and scoring as `tf.function`s over a trained model.

    The same object serves `CharGenerator.generate/score` in Python and is what `export()` saves.

    Args:
        model: A network from `build_char_lm` (its `embedding`, `recurrent` and `logits`
            layers are stepped one character at a time).
        vocab: The character vocabulary the network was trained on.
        mode: `"lines"` (items framed by start and end markers; generation stops at the end
            marker) or `"stream"` (running text; the end marker is never generated).
    """

    def __init__(self, model: keras.Model, vocab: CharVocabulary, mode: str = "lines"):
        super().__init__(name="char_lm")
        self.model = model
        self.lookup = vocab.lookup()
        self.embedding = model.get_layer("embedding")
        self.recurrent = model.get_layer("recurrent")
        self.head = model.get_layer("logits")
        self._lines = mode == "lines"
        banned = [PAD_ID, UNK_ID, BOS_ID] + ([] if self._lines else [EOS_ID])
        ban = np.zeros(vocab.size, np.float32)
        ban[banned] = _NEG
        self.ban = tf.constant(ban)

    # ---------------------------------------------------------------- building blocks
    def _zero_states(self, batch):
        return self.recurrent.initial_state(batch)

    def _step(self, ids, states):
        """One character for every row: `(batch,)` ids -> `(batch, vocab)` logits, new states."""
        x, states = self.recurrent.step(self.embedding(ids), states)
        return self.head(x), states

    def _step_fn(self, ids, states, index):
        """The `nlpkit.decoding` step function: logits with the never-generated ids banned."""
        logits, states = self._step(ids, states)
        return logits + self.ban, states

    def _frame(self, texts):
        """Strings -> padded `[start] ids ([end])` matrix `(batch, time)` and row lengths."""
        ids = self.lookup.encode(texts)
        batch = ids.nrows(out_type=tf.int32)
        parts = [tf.RaggedTensor.from_tensor(tf.fill([batch, 1], BOS_ID)), ids]
        if self._lines:
            parts.append(tf.RaggedTensor.from_tensor(tf.fill([batch, 1], EOS_ID)))
        framed = tf.concat(parts, axis=1)
        return framed.to_tensor(PAD_ID), tf.cast(framed.row_lengths(), tf.int32)

    def _prime(self, prompts):
        """Run `[start] prompt` but its last character through the cells; return that last
        character `(batch,)` and the states, the starting point of decoding."""
        ids = self.lookup.encode(prompts)
        batch = ids.nrows(out_type=tf.int32)
        framed = tf.concat([tf.RaggedTensor.from_tensor(tf.fill([batch, 1], BOS_ID)), ids], axis=1)
        padded = framed.to_tensor(PAD_ID)
        lengths = tf.cast(framed.row_lengths(), tf.int32)
        states = self._zero_states(batch)
        for t in tf.range(tf.shape(padded)[1] - 1):
            _, new_states = self.recurrent.step(self.embedding(padded[:, t]), states)
            active = (t < lengths - 1)[:, None]
            states = tuple(tf.where(active, n, o) for n, o in zip(new_states, states, strict=True))
        return tf.gather(padded, lengths - 1, batch_dims=1), states

    def _generate(self, prompts, max_length, temperature, seed, top_k, top_p):
        """`{"text": prompt + generated, "token_log_probs": (batch, steps)}`: the model's
        log-probability of each generated character (the end marker included in 'lines' mode;
        never-generated ids excluded from the softmax; 0 after the end)."""
        last, states = self._prime(prompts)
        out = Sampling(temperature, top_k, top_p)(
            self._step_fn,
            states,
            last,
            max_length=max_length,
            end_id=EOS_ID,
            pad_id=PAD_ID,
            seed=seed,
        )
        return {
            "text": tf.strings.join([prompts, self.lookup.decode(out.tokens)]),
            "token_log_probs": out.token_log_probs,
        }

    def _beam(self, prompts, max_length, beam_width):
        last, states = self._prime(prompts)
        decoder = BeamSearch(beam_width, finished_in_beam=False)
        out = decoder(
            self._step_fn, states, last, max_length=max_length, end_id=EOS_ID, pad_id=PAD_ID
        )
        batch = tf.shape(out.beams)[0]
        width = tf.shape(out.beams)[1]
        flat = tf.reshape(out.beams, [batch * width, -1])
        texts = self.lookup.decode(flat)
        texts = tf.strings.join([tf.repeat(prompts, width), texts])
        return tf.reshape(texts, [batch, width]), out.beam_scores

    # ---------------------------------------------------------------- exported signatures
    @tf.function(input_signature=_SAMPLING_SPEC)
    def generate(self, prompts, max_length, temperature, seed):
        """Sample continuations of `prompts`; returns `{"text": prompt + generated}`."""
        return {"text": self._generate(prompts, max_length, temperature, seed, 0, 1.0)["text"]}

    @tf.function(input_signature=_FILTERED_SPEC)
    def generate_filtered(self, prompts, max_length, temperature, seed, top_k, top_p):
        """`generate` with top-k (0 = off) and top-p (1.0 = off) filtering."""
        out = self._generate(prompts, max_length, temperature, seed, top_k, top_p)
        return {"text": out["text"]}

    @tf.function(input_signature=_FILTERED_SPEC)
    def generate_scored(self, prompts, max_length, temperature, seed, top_k, top_p):
        """`generate_filtered` that also returns `token_log_probs` `(batch, steps)`: the model's
        log-probability of each generated character (before temperature and filtering; the end
        marker included in 'lines' mode), 0 after the end. The same texts as
        `generate_filtered` for the same arguments. A separate signature, so that the
        single-output `generate` keeps its REST answer format."""
        return self._generate(prompts, max_length, temperature, seed, top_k, top_p)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="texts")])
    def score(self, texts):
        """Per-item log-likelihood (nats) and the number of characters predicted."""
        framed, _ = self._frame(texts)
        inputs, targets = framed[:, :-1], framed[:, 1:]
        logits = self.model(inputs, training=False)
        logp = tf.nn.log_softmax(logits, axis=-1)
        picked = tf.gather(logp, targets, batch_dims=2)
        mask = tf.not_equal(targets, PAD_ID)
        ll = tf.reduce_sum(tf.where(mask, picked, 0.0), axis=1)
        return {"log_likelihood": ll, "num_chars": tf.reduce_sum(tf.cast(mask, tf.int32), axis=1)}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="texts")])
    def token_log_probs(self, texts):
        """Teacher-forced `(batch, time)` log p of each character of `texts` (and of the end
        marker in 'lines' mode) given those before it, with the never-generated ids left out of
        the softmax as the decoders do; 0 at padding."""
        framed, _ = self._frame(texts)
        inputs, targets = framed[:, :-1], framed[:, 1:]
        logp = tf.nn.log_softmax(self.model(inputs, training=False) + self.ban, axis=-1)
        picked = tf.gather(logp, targets, batch_dims=2)
        return {"token_log_probs": tf.where(tf.not_equal(targets, PAD_ID), picked, 0.0)}

    @tf.function(
        input_signature=[
            tf.TensorSpec([None], tf.string, name="prompts"),
            tf.TensorSpec([], tf.int32, name="max_length"),
            tf.TensorSpec([], tf.int32, name="beam_width"),
        ]
    )
    def beam_search(self, prompts, max_length, beam_width):
        """Beam search ('lines' mode): the `beam_width` most probable continuations of each
        prompt that end with the end marker (or reach `max_length`), best first.

        Returns `{"text": (batch, beam_width) prompt + generated, "log_likelihood": (batch,
        beam_width) summed log-probabilities of the generated characters and the end marker}`.
        """
        texts, scores = self._beam(prompts, max_length, beam_width)
        return {"text": texts, "log_likelihood": scores}
