"""A plain-Keras twin of `Translator`'s default network, for `benchmarks/speed.py` (issue 14).

The same architecture, sizes and loss as `nlpkit.models.seq2seq.Seq2Seq` with LSTM cells
and Bahdanau attention, written the way a Keras user would write it: Keras layers, a
bidirectional `LSTM` encoder, a `tf.scan` over a `LSTMCell` with input feeding, Bahdanau
attention from `Dense` layers, the full `(batch, steps, vocab)` logits and Keras's
`SparseCategoricalCrossentropy(ignore_class=0)`. No nlpkit code.
"""

from __future__ import annotations

import keras
import tensorflow as tf

__all__ = ["PlainSeq2Seq"]


class PlainSeq2Seq(keras.Model):
    """Bidirectional LSTM encoder, LSTM decoder with Bahdanau attention and input feeding."""

    def __init__(self, source_vocab, target_vocab, embedding_dim, hidden_size, dropout, **kw):
        super().__init__(**kw)
        units = 2 * hidden_size
        self.hidden_size = hidden_size
        self.source_embedding = keras.layers.Embedding(source_vocab, embedding_dim)
        self.target_embedding = keras.layers.Embedding(target_vocab, embedding_dim)
        self.input_dropout = keras.layers.Dropout(dropout)
        self.encoder = keras.layers.Bidirectional(
            keras.layers.LSTM(hidden_size, return_sequences=True)
        )
        self.bridge = keras.layers.Dense(2 * units, activation="tanh")
        self.cell = keras.layers.LSTMCell(units)
        self.query = keras.layers.Dense(units, use_bias=False)
        self.key = keras.layers.Dense(units)
        self.score = keras.layers.Dense(1, use_bias=False)
        self.combine = keras.layers.Dense(units, use_bias=False)
        self.dropout = keras.layers.Dropout(dropout)
        self.projection = keras.layers.Dense(target_vocab)
        # variables cannot be created inside the decoder's while loop: build first
        self.source_embedding.build((None, None))
        self.target_embedding.build((None, None))
        self.encoder.build((None, None, embedding_dim))
        self.bridge.build((None, units))
        self.cell.build((None, embedding_dim + units))
        self.query.build((None, units))
        self.key.build((None, None, units))
        self.score.build((None, None, units))
        self.combine.build((None, 2 * units))
        self.projection.build((None, None, units))
        self.built = True

    def call(self, inputs, training=False):
        source, target_in = inputs
        mask = tf.not_equal(source, 0)
        x = self.input_dropout(self.source_embedding(source), training=training)
        memory = self.encoder(x, mask=mask, training=training)
        last = tf.maximum(tf.reduce_sum(tf.cast(mask, tf.int32), 1) - 1, 0)
        forward = tf.gather(memory[:, :, : self.hidden_size], last, batch_dims=1)
        summary = tf.concat([forward, memory[:, 0, self.hidden_size :]], -1)
        h0, c0 = tf.split(self.bridge(summary), 2, axis=-1)
        keys = self.key(memory)
        emb = self.dropout(self.target_embedding(target_in), training=training)

        def step(carry, x_t):
            h, c, feed = carry
            h, (h, c) = self.cell(tf.concat([x_t, feed], -1), [h, c])
            scores = tf.squeeze(self.score(tf.tanh(self.query(h)[:, None, :] + keys)), -1)
            weights = tf.nn.softmax(tf.where(mask, scores, -1e9), axis=-1)
            context = tf.matmul(weights[:, None, :], memory)[:, 0, :]
            return h, c, self.combine(tf.concat([context, h], -1))

        init = (h0, c0, tf.zeros_like(h0))
        _, _, feeds = tf.scan(step, tf.transpose(emb, [1, 0, 2]), initializer=init)
        feeds = tf.transpose(feeds, [1, 0, 2])
        return self.projection(self.dropout(feeds, training=training))
