"""The BiLSTM(-CRF) sequence tagger of `nlpkit.EntityTagger`: network, trainer, span scores.

The architecture of Lample et al. (2016) and Ma & Hovy (2016): each token is its (optionally
pretrained) word embedding, a casing feature and a character encoding (`CharEncoder`); a
`RecurrentStack` reads the sentence, a `Dense` layer scores every tag (the `potentials`) and a
`CRF` (or an argmax) decodes them.

- `build_sequence_tagger(...)`: `(model, network, crf)`: the tagging model (inputs `words`,
  `chars`, `casing` -> tag ids), its scoring sub-network (-> potentials) and the CRF (None for
  softmax output).
- `TaggerTrainer`: wraps the scoring network for training with the CRF negative log-likelihood
  (or masked softmax cross-entropy).
- `scoring_parts(model)`, `span_log_probs(...)`: the potentials and CRF of a saved model, and
  the log-probability of entity spans (the confidences of `EntityTagger.predict`).
- `use_fast_inference(model)`: switch the sentence encoder of a built or loaded model to
  `RecurrentStack.fast_inference` (the character LSTM always has it; see `CharEncoder`).

Example:
    >>> import numpy as np
    >>> model, network, crf = build_sequence_tagger(
    ...     6, 5, ["O", "S-PER"], hidden_size=4, embedding_dim=4, char_encoder="none")
    >>> words = np.array([[2, 3, 0]], "int32")
    >>> chars = np.zeros([1, 3, 1], "int32")
    >>> casing = np.zeros([1, 3], "int32")
    >>> tuple(network([words, chars, casing]).shape)
    (1, 3, 2)
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from nlpkit.layers.argmax_tags import ArgmaxTags
from nlpkit.layers.char_encoder import CharEncoder
from nlpkit.layers.crf import CRF
from nlpkit.layers.partly_trainable_embedding import PartlyTrainableEmbedding
from nlpkit.layers.recurrent_stack import RecurrentStack
from nlpkit.layers.unknown_word_dropout import UnknownWordDropout
from nlpkit.text.tags import allowed_transitions
from nlpkit.text.tokenizer import CASING_CLASSES
from nlpkit.utils.replicas import scale_loss_for_replicas

__all__ = [
    "build_sequence_tagger",
    "TaggerTrainer",
    "scoring_parts",
    "span_log_probs",
    "use_fast_inference",
]


def build_sequence_tagger(
    vocab_size: int,
    num_chars: int,
    tags: Sequence[str],
    *,
    matrix: np.ndarray | None = None,
    trained_rows: int | None = None,
    rare_ids=None,
    embedding_dim: int = 100,
    trainable_embeddings: bool = True,
    word_dropout: float = 0.0,
    casing: bool = True,
    char_encoder: str = "lstm",
    char_embedding_dim: int = 25,
    char_hidden_size: int = 25,
    char_kernel_size: int = 3,
    cell: str = "lstm",
    hidden_size: int = 100,
    num_layers: int = 1,
    bidirectional: bool = True,
    dropout: float = 0.5,
    output: str = "crf",
    constrained_decoding: bool = True,
    scheme: str = "iobes",
    seed: int | None = None,
):
    """The (uncompiled) tagging model, its scoring network and its CRF.

    Args:
        vocab_size: Word vocabulary size (0 padding, 1 unknown).
        num_chars: Character vocabulary size.
        tags: The tags in id order (in `scheme`).
        matrix: Pretrained word vectors `(words, dim)` assigned to the word embedding, or None.
        trained_rows: With `matrix` and `trainable_embeddings`: only the first `trained_rows`
            rows (the training words) are fine-tuned (`PartlyTrainableEmbedding`).
        rare_ids: `(ids, counts)` of rare words for `UnknownWordDropout`, or None.
        embedding_dim: Word embedding width (without `matrix`).
        trainable_embeddings: Whether the word embedding trains.
        word_dropout: Rate of replacing rare words by the unknown id in training.
        casing: Add an 8-dimensional casing embedding.
        char_encoder: `"lstm"`, `"cnn"`, `"both"` or `"none"` (`CharEncoder`).
        char_embedding_dim: Character embedding width.
        char_hidden_size: Character encoder units (filters for the CNN).
        char_kernel_size: Character CNN kernel width.
        cell: `"rnn"`, `"gru"` or `"lstm"` for the sentence encoder.
        hidden_size: Units per direction of the sentence encoder.
        num_layers: Layers of the sentence encoder.
        bidirectional: Read the sentence in both directions.
        dropout: Dropout on the features and on the encoder output (and between layers).
        output: `"crf"` or `"softmax"` (argmax decoding).
        constrained_decoding: Give the CRF the transitions `scheme` allows only.
        scheme: The tag scheme of `tags` (`"iob1"`, `"iob2"`, `"iobes"`).
        seed: Seed of the word dropout.

    Returns:
        `(model, network, crf)`: `model` named `ner_tagger` (-> tag ids), `network` named
        `ner_scores` (-> potentials) and the `CRF` layer, or None for softmax output.
    """
    words_in = keras.Input((None,), dtype="int32", name="words")
    chars_in = keras.Input((None, None), dtype="int32", name="chars")
    casing_in = keras.Input((None,), dtype="int32", name="casing")
    dim = embedding_dim if matrix is None else matrix.shape[1]
    if trainable_embeddings and matrix is not None and len(matrix) > trained_rows:
        # Fine-tune the training words only; words added from the pretrained vectors keep
        # them (they get no gradient anyway), and the optimizer's dense update then covers
        # the training words instead of the whole pretrained table.
        emb_layer = PartlyTrainableEmbedding(len(matrix), dim, trained_rows, name="word_embedding")
    else:
        emb_layer = keras.layers.Embedding(
            vocab_size,
            dim,
            mask_zero=True,
            trainable=trainable_embeddings,
            name="word_embedding",
        )
    word_ids = words_in
    if word_dropout and rare_ids is not None:
        word_ids = UnknownWordDropout(*rare_ids, rate=word_dropout, seed=seed, name="word_dropout")(
            words_in
        )
    feats = [emb_layer(word_ids)]
    if matrix is not None:
        # Assigned, not passed as a Constant initializer, which would copy the whole matrix
        # into the saved model's JSON config.
        if isinstance(emb_layer, PartlyTrainableEmbedding):
            emb_layer.set_table(matrix)
        else:
            emb_layer.embeddings.assign(matrix)
    if casing:
        feats.append(
            keras.layers.Embedding(len(CASING_CLASSES), 8, name="casing_embedding")(casing_in)
        )
    if char_encoder != "none":
        modes = ("cnn", "lstm") if char_encoder == "both" else (char_encoder,)
        for mode in modes:
            enc = CharEncoder(
                num_chars,
                char_embedding_dim,
                mode=mode,
                hidden_size=char_hidden_size,
                kernel_size=char_kernel_size,
                name="char_encoder" if len(modes) == 1 else f"char_encoder_{mode}",
            )
            feats.append(enc(chars_in))
    h = feats[0] if len(feats) == 1 else keras.layers.Concatenate(name="features")(feats)
    h = keras.layers.Dropout(dropout, name="feature_dropout")(h)
    # The word mask is passed explicitly: Keras's Concatenate merges masks with "any", and
    # the casing and character features carry none, so the padding would read as words
    # (the backward LSTM would start on padded steps and the CRF decode through them).
    word_mask = ops.not_equal(words_in, 0)
    h = RecurrentStack(
        cell,
        hidden_size,
        num_layers=num_layers,
        bidirectional=bidirectional,
        dropout=dropout if num_layers > 1 else 0.0,
        return_sequences=True,
        name="encoder",
    )(h, mask=word_mask)
    h = keras.layers.Dropout(dropout, name="encoder_dropout")(h)
    potentials = keras.layers.Dense(len(tags), name="potentials")(h)
    inputs = [words_in, chars_in, casing_in]
    network = keras.Model(inputs, potentials, name="ner_scores")
    crf = None
    if output == "crf":
        kwargs = {}
        if constrained_decoding:
            trans, start, end = allowed_transitions(tags, scheme)
            kwargs = dict(allowed_transitions=trans, allowed_start=start, allowed_end=end)
        crf = CRF(name="crf", **kwargs)
        tags = crf(potentials)
    else:
        tags = ArgmaxTags(name="decode")(potentials)
    model = keras.Model(inputs, tags, name="ner_tagger")
    use_fast_inference(model)
    return model, network, crf


def use_fast_inference(model: keras.Model) -> keras.Model:
    """Switch on `RecurrentStack.fast_inference` for the sentence encoder of a tagging model.

    The switch is not saved with the model, so a loaded model needs this call again (the
    pipeline makes it). It changes inference only, and only by float rounding: the sentence
    encoder's masks come from the word ids, right-padded as the switch needs.
    """
    for layer in model.layers:
        if isinstance(layer, RecurrentStack):
            layer.fast_inference = True
    return model


def span_log_probs(crf, potentials, ids, mask, segments):
    """Log-probability of each segment `(row, first, last)` carrying its decoded tags `ids`."""
    if crf is not None:
        return crf.segment_log_probability(potentials, ids, segments, mask)
    logp = tf.gather(tf.nn.log_softmax(potentials), ids, batch_dims=2)
    logp = tf.where(mask, logp, tf.zeros_like(logp))
    prefix = tf.cumsum(logp, axis=1)  # inclusive
    rows, first, last = segments[:, 0], segments[:, 1], segments[:, 2]
    at_first, at_last = tf.stack([rows, first], 1), tf.stack([rows, last], 1)
    return (
        tf.gather_nd(prefix, at_last)
        - tf.gather_nd(prefix, at_first)
        + tf.gather_nd(logp, at_first)
    )


def scoring_parts(model: keras.Model):
    """The potentials sub-network and the CRF layer (None for softmax) of a tagging model."""
    scorer = keras.Model(model.inputs, model.get_layer("potentials").output, name="ner_potentials")
    crf = next((layer for layer in model.layers if isinstance(layer, CRF)), None)
    return scorer, crf


class TaggerTrainer(keras.Model):
    """Wraps the scoring network for training: CRF negative log-likelihood or masked softmax
    cross-entropy over the potentials (the decoding layer is not part of the training graph)."""

    def __init__(self, network: keras.Model, crf: CRF | None, **kwargs):
        super().__init__(**kwargs)
        self.network = network
        self.crf = crf

    def call(self, inputs, training=False):
        return self.network(inputs, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        mask = ops.not_equal(x[0], 0)
        if self.crf is not None:
            loss = -ops.mean(self.crf.log_likelihood(y_pred, y, mask))
        else:
            ce = keras.losses.sparse_categorical_crossentropy(y, y_pred, from_logits=True)
            maskf = ops.cast(mask, ce.dtype)
            loss = ops.sum(ce * maskf) / ops.maximum(ops.sum(maskf), 1.0)
        if self.losses:
            loss = loss + ops.sum(self.losses)
        # As Keras's own losses do: each replica's loss is divided by the replica count, so that
        # the all-reduced (summed) gradients are the global batch's mean, not N times it.
        return scale_loss_for_replicas(loss)
