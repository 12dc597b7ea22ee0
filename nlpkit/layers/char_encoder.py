"""`CharEncoder`: one vector per word from its characters (char-CNN or char-BiLSTM)."""

from __future__ import annotations

import keras
from keras import ops

from nlpkit.layers.recurrent_stack import RecurrentStack
from nlpkit.utils.validation import check_choice, check_int

__all__ = ["CharEncoder"]

MODES = ("cnn", "lstm")


@keras.saving.register_keras_serializable(package="nlpkit")
class CharEncoder(keras.layers.Layer):
    """Encode each word from its character ids.

    - `mode="cnn"`: character embeddings, a 1-D convolution over each word and max pooling over
      its characters (Ma & Hovy 2016, "End-to-end Sequence Labeling via Bi-directional
      LSTM-CNNs-CRF").
    - `mode="lstm"`: a bidirectional LSTM over each word's characters whose final forward and
      backward states are concatenated (Lample et al. 2016, "Neural Architectures for Named
      Entity Recognition"), built with `RecurrentStack` (inference through its
      `fast_inference` loop).

    Args:
        vocabulary_size: Number of character ids (id 0 is padding).
        embedding_dim: Size of the character embeddings.
        mode: 'cnn' or 'lstm'.
        hidden_size: Number of filters ('cnn') or LSTM units per direction ('lstm').
        kernel_size: Convolution width ('cnn' only).

    Call args:
        inputs: int `(batch, words, chars)` character ids, 0 = padding.

    Returns:
        float `(batch, words, hidden_size)` ('cnn') or `(batch, words, 2 * hidden_size)`
        ('lstm'). A word made only of padding gets a zero vector. The layer computes no mask of
        its own (the word-level mask comes from the word ids).

    Example:
        >>> import numpy as np
        >>> enc = CharEncoder(10, 4, mode="cnn", hidden_size=6)
        >>> tuple(enc(np.ones((2, 3, 5), "int32")).shape)
        (2, 3, 6)
    """

    def __init__(
        self,
        vocabulary_size: int,
        embedding_dim: int = 25,
        mode: str = "lstm",
        hidden_size: int = 25,
        kernel_size: int = 3,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.vocabulary_size = check_int("vocabulary_size", vocabulary_size, 2)
        self.embedding_dim = check_int("embedding_dim", embedding_dim, 1)
        self.mode = check_choice("mode", mode, MODES)
        self.hidden_size = check_int("hidden_size", hidden_size, 1)
        self.kernel_size = check_int("kernel_size", kernel_size, 1)
        self.embedding = keras.layers.Embedding(
            self.vocabulary_size, self.embedding_dim, name="char_embedding"
        )
        if self.mode == "cnn":
            self.conv = keras.layers.Conv1D(
                self.hidden_size, self.kernel_size, padding="same", name="char_conv"
            )
        else:
            self.rnn = RecurrentStack(
                "lstm",
                self.hidden_size,
                bidirectional=True,
                return_sequences=False,
                name="char_lstm",
            )
            # Inference through the fused loop: the character masks are right-padded by
            # construction (see `call`), and one sentence's words are one small batch, where
            # Keras's loop per direction spends most of its time on per-step overhead.
            self.rnn.fast_inference = True

    @property
    def output_dim(self) -> int:
        return self.hidden_size * (2 if self.mode == "lstm" else 1)

    def build(self, input_shape):
        self.embedding.build((None, None))
        if self.mode == "cnn":
            self.conv.build((None, None, self.embedding_dim))
        else:
            self.rnn.build((None, None, self.embedding_dim))
        self.built = True

    def call(self, inputs, mask=None, training=False):
        shape = ops.shape(inputs)
        batch, words, chars = shape[0], shape[1], shape[2]
        flat = ops.reshape(inputs, (-1, chars))  # (batch * words, chars)
        char_mask = ops.not_equal(flat, 0)
        x = self.embedding(flat)
        if self.mode == "cnn":
            x = self.conv(x * ops.cast(char_mask, x.dtype)[..., None])
            x = ops.where(char_mask[..., None], x, ops.full_like(x, -1e9))
            x = ops.max(x, axis=1)
            has_chars = ops.any(char_mask, axis=1)
            x = ops.where(has_chars[:, None], x, ops.zeros_like(x))
        else:
            # Padding words (no characters) would give an all-False mask; let them read one
            # padding step and zero their output afterwards.
            has_chars = ops.any(char_mask, axis=1)
            first = ops.equal(ops.arange(chars), 0)[None, :]
            safe_mask = ops.logical_or(
                char_mask, ops.logical_and(ops.logical_not(has_chars[:, None]), first)
            )
            x = self.rnn(x, mask=safe_mask, training=training)
            x = ops.where(has_chars[:, None], x, ops.zeros_like(x))
        return ops.reshape(x, (batch, words, self.output_dim))

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], self.output_dim)

    def get_config(self):
        config = super().get_config()
        config.update(
            vocabulary_size=self.vocabulary_size,
            embedding_dim=self.embedding_dim,
            mode=self.mode,
            hidden_size=self.hidden_size,
            kernel_size=self.kernel_size,
        )
        return config
