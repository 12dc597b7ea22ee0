"""Tests for nlpkit.models.char_lm: the network builder and the CharLM graph module."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nlpkit.models.char_lm import CharLM, build_char_lm
from nlpkit.text.char_vocabulary import BOS_ID, CharVocabulary


@pytest.fixture(scope="module")
def lm():
    keras.utils.set_random_seed(0)
    vocab = CharVocabulary.from_texts(["abc", "cab"])
    model = build_char_lm(vocab.size, embedding_dim=4, cell="gru", hidden_size=6, num_layers=2)
    return CharLM(model, vocab, mode="lines"), vocab


def test_network_shape_and_layer_names(lm):
    lm, vocab = lm
    model = lm.model
    assert model(np.zeros([2, 5], "int32")).shape == (2, 5, vocab.size)
    assert {"embedding", "recurrent", "logits"} <= {layer.name for layer in model.layers}
    one_hot = build_char_lm(vocab.size, input_encoding="one_hot", hidden_size=3)
    table = one_hot.get_layer("embedding").embeddings.numpy()
    np.testing.assert_array_equal(table, np.eye(vocab.size))
    assert not one_hot.get_layer("embedding").trainable


def test_stepping_equals_the_full_forward_pass(lm):
    """`_step` one character at a time gives the logits of the whole-sequence call."""
    lm, vocab = lm
    ids = np.array([[BOS_ID] + vocab.encode("cab")], "int32")
    full = lm.model(ids, training=False).numpy()
    states = lm.recurrent.initial_state(1)
    for t in range(ids.shape[1]):
        logits, states = lm._step(tf.constant(ids[:, t]), states)
        np.testing.assert_allclose(logits.numpy(), full[:, t], rtol=1e-5, atol=1e-5)


def test_score_is_the_sum_of_token_log_probs_without_bans(lm):
    """`score` (plain softmax) and `token_log_probs` (never-generated ids left out) agree on
    the framing: same number of predicted characters, and the banned-softmax log-probs are
    each >= the plain ones."""
    lm, _ = lm
    texts = tf.constant(["ab", "cab", ""])
    scored = lm.score(texts)
    per_token = lm.token_log_probs(texts)["token_log_probs"].numpy()
    np.testing.assert_array_equal(scored["num_chars"].numpy(), [3, 4, 1])  # chars + end
    np.testing.assert_array_equal((per_token != 0).sum(1), [3, 4, 1])
    assert np.all(per_token.sum(1) >= scored["log_likelihood"].numpy() - 1e-5)


def test_generation_is_seeded_and_stops_at_the_end_marker(lm):
    lm, _ = lm
    args = (tf.constant(["a", "c"]), tf.constant(6), tf.constant(1.0), tf.constant(7))
    first = lm._generate(*args, tf.constant(0), tf.constant(1.0))
    again = lm._generate(*args, tf.constant(0), tf.constant(1.0))
    np.testing.assert_array_equal(first["text"].numpy(), again["text"].numpy())
    texts = [t.decode() for t in first["text"].numpy()]
    assert texts[0].startswith("a") and texts[1].startswith("c")
    assert all(len(t) <= 1 + 6 for t in texts)
    log_probs = first["token_log_probs"].numpy()
    assert log_probs.shape[0] == 2 and log_probs.shape[1] <= 6
    assert np.all(log_probs <= 0.0) and np.any(log_probs < 0.0)
