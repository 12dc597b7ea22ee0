"""Tests for nlpkit.models.text_classifier."""

import keras
import numpy as np
import pytest

from nlpkit.layers.partly_trainable_embedding import PartlyTrainableEmbedding
from nlpkit.models.text_classifier import build_text_classifier


@pytest.mark.parametrize("encoder", ["recurrent", "mean"])
def test_outputs_are_class_probabilities(encoder):
    keras.utils.set_random_seed(0)
    model = build_text_classifier(12, 4, embedding_dim=3, hidden_size=5, encoder=encoder)
    probs = model(np.array([[2, 3, 4, 0], [5, 0, 0, 0]])).numpy()
    assert probs.shape == (2, 4)
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)
    assert model.name == "text_classifier"


def test_mean_encoder_ignores_padding_and_unknown_words():
    keras.utils.set_random_seed(0)
    model = build_text_classifier(8, 2, embedding_dim=3, encoder="mean")
    a = model(np.array([[2, 3, 0, 0]])).numpy()
    b = model(np.array([[2, 1, 3, 0]])).numpy()  # id 1 is [UNK]
    np.testing.assert_allclose(a, b, rtol=1e-6)


def test_pretrained_matrix_is_assigned_and_partly_trainable():
    matrix = np.arange(6 * 2, dtype="float32").reshape(6, 2)
    model = build_text_classifier(6, 2, matrix=matrix, trained_rows=4, encoder="mean")
    emb = model.get_layer("embedding")
    assert isinstance(emb, PartlyTrainableEmbedding)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(emb(np.arange(6))), matrix)
    frozen = build_text_classifier(
        6, 2, matrix=matrix, trainable_embeddings=False, encoder="mean"
    ).get_layer("embedding")
    assert not frozen.trainable
    np.testing.assert_array_equal(frozen.embeddings.numpy(), matrix)
