"""The network of `nlpkit.TextClassifier`: token ids -> class probabilities.

An embedding (learned, or pretrained vectors with only the training words' rows fine-tuned,
`PartlyTrainableEmbedding`), a text encoder (a `RecurrentStack`, or `MaskedAverage`, the mean of
the known words' vectors), dropout and a softmax over the classes. The pipeline's
`TextVectorization` (outside the network) turns raw strings into the ids.

Example:
    >>> import numpy as np
    >>> model = build_text_classifier(10, 3, embedding_dim=4, hidden_size=5)
    >>> tuple(model(np.array([[2, 3, 0]])).shape)
    (1, 3)
"""

from __future__ import annotations

import keras
import numpy as np

from nlpkit.layers.masked_average import MaskedAverage
from nlpkit.layers.partly_trainable_embedding import PartlyTrainableEmbedding
from nlpkit.layers.recurrent_stack import RecurrentStack

__all__ = ["build_text_classifier"]


def build_text_classifier(
    vocab_size: int,
    num_classes: int,
    *,
    matrix: np.ndarray | None = None,
    trained_rows: int | None = None,
    embedding_dim: int = 64,
    trainable_embeddings: bool = True,
    embedding_learning_rate_multiplier: float = 1.0,
    encoder: str = "recurrent",
    cell: str = "lstm",
    hidden_size: int = 64,
    num_layers: int = 1,
    bidirectional: bool = True,
    dropout: float = 0.0,
) -> keras.Model:
    """The (uncompiled) classifier network, named `text_classifier`.

    Args:
        vocab_size: Token ids (0 padding, 1 unknown).
        num_classes: Classes (the width of the softmax).
        matrix: Pretrained vectors `(vocab_size, dim)`, assigned after building (a Constant
            initializer would copy the whole matrix into the saved model's JSON config).
        trained_rows: With `matrix` and `trainable_embeddings`: only the first `trained_rows`
            rows (the training words) are fine-tuned (None: all of them).
        embedding_dim: Embedding width without `matrix`.
        trainable_embeddings: Whether the pretrained vectors are fine-tuned.
        embedding_learning_rate_multiplier: Learning-rate factor of the fine-tuned rows.
        encoder: `"recurrent"` or `"mean"`.
        cell: `"rnn"`, `"gru"` or `"lstm"` (recurrent encoder).
        hidden_size: Units per direction of the recurrent encoder.
        num_layers: Recurrent layers.
        bidirectional: Read the text in both directions.
        dropout: Dropout in the encoder and on its output.

    Returns:
        A functional `keras.Model`: `(batch, time)` int64 ids -> `(batch, num_classes)`.
    """
    ids = keras.Input(shape=(None,), dtype="int64", name="token_ids")
    dim = matrix.shape[1] if matrix is not None else embedding_dim
    multiplier = embedding_learning_rate_multiplier
    if (
        matrix is not None
        and trainable_embeddings
        and ((trained_rows or vocab_size) < vocab_size or multiplier != 1.0)
    ):
        # Only the training words' rows are fine-tuned; added pretrained words stay put.
        # The fine-tuned rows move at `embedding_learning_rate`.
        emb = PartlyTrainableEmbedding(
            vocab_size,
            dim,
            trained_rows or vocab_size,
            learning_rate_multiplier=multiplier,
            name="embedding",
        )
    else:
        emb = keras.layers.Embedding(
            vocab_size,
            dim,
            mask_zero=True,
            trainable=matrix is None or trainable_embeddings,
            name="embedding",
        )
    x = emb(ids)
    if encoder == "mean":
        # Average over known words: padding (0) and [UNK] (1) are left out.
        x = MaskedAverage(name="encoder")(x, mask=keras.ops.greater(ids, 1))
    else:
        x = RecurrentStack(
            cell,
            hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout,
            name="encoder",
        )(x)
    x = keras.layers.Dropout(dropout, name="output_dropout")(x)
    probs = keras.layers.Dense(num_classes, activation="softmax", name="classes")(x)
    model = keras.Model(ids, probs, name="text_classifier")
    if matrix is not None:
        if isinstance(emb, PartlyTrainableEmbedding):
            emb.set_table(matrix)
        else:
            emb.set_weights([matrix])
    return model
