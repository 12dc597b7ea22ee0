"""Tests for nlpkit.models.sequence_tagger."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nlpkit.layers.crf import CRF
from nlpkit.models.sequence_tagger import (
    TaggerTrainer,
    build_sequence_tagger,
    scoring_parts,
    span_log_probs,
    use_fast_inference,
)

TAGS = ["O", "B-PER", "I-PER", "E-PER", "S-PER"]


def _inputs():
    words = np.array([[2, 3, 4, 0], [5, 0, 0, 0]], "int32")
    chars = np.ones([2, 4, 3], "int32") * (words[..., None] > 0)
    casing = np.zeros([2, 4], "int32")
    return [words, chars, casing]


@pytest.mark.parametrize("output", ["crf", "softmax"])
def test_shapes_and_scoring_parts(output):
    keras.utils.set_random_seed(0)
    model, network, crf = build_sequence_tagger(
        7,
        4,
        TAGS,
        embedding_dim=3,
        hidden_size=4,
        char_embedding_dim=3,
        char_hidden_size=3,
        output=output,
        scheme="iobes",
    )
    assert (crf is not None) == (output == "crf") and isinstance(crf, (CRF, type(None)))
    x = _inputs()
    potentials = network(x).numpy()
    assert potentials.shape == (2, 4, len(TAGS))
    tags = model(x).numpy()
    assert tags.shape == (2, 4) and tags.max() < len(TAGS)
    scorer, found = scoring_parts(model)
    np.testing.assert_allclose(scorer(x).numpy(), potentials, rtol=1e-6)
    assert (found is None) == (crf is None)


def test_softmax_span_log_prob_is_the_sum_of_token_log_probs():
    rng = np.random.default_rng(0)
    potentials = tf.constant(rng.normal(size=(1, 4, 3)), tf.float32)
    ids = tf.constant([[1, 2, 2, 0]])
    mask = tf.constant([[True, True, True, False]])
    segments = tf.constant([[0, 0, 2], [0, 1, 1]])
    logp = tf.nn.log_softmax(potentials).numpy()[0]
    expected = [logp[0, 1] + logp[1, 2] + logp[2, 2], logp[1, 2]]
    got = span_log_probs(None, potentials, ids, mask, segments).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_trainer_loss_falls_on_a_tiny_batch():
    keras.utils.set_random_seed(0)
    _, network, crf = build_sequence_tagger(
        7, 4, TAGS, embedding_dim=4, hidden_size=6, char_encoder="none", dropout=0.0
    )
    trainer = TaggerTrainer(network, crf)
    trainer.compile(optimizer=keras.optimizers.Adam(0.05))
    x = _inputs()
    y = np.array([[1, 2, 3, 0], [4, 0, 0, 0]], "int32")
    first = trainer.train_on_batch(x, y)
    for _ in range(30):
        last = trainer.train_on_batch(x, y)
    assert last < 0.5 * first


def test_fast_inference_is_on_and_gives_the_keras_loop_s_tags_and_potentials(tmp_path):
    """Built and reloaded models run inference through the fused LSTM loop (the switch is not
    saved, `use_fast_inference` sets it again); tags and potentials equal the Keras loop's."""
    keras.utils.set_random_seed(0)
    model, network, _ = build_sequence_tagger(
        7, 4, TAGS, embedding_dim=3, hidden_size=4, char_embedding_dim=3, char_hidden_size=3
    )
    encoder = model.get_layer("encoder")
    assert encoder.fast_inference
    x = _inputs()
    fast_tags, fast_pot = np.asarray(model(x)), np.asarray(network(x))
    encoder.fast_inference = False
    np.testing.assert_array_equal(np.asarray(model(x)), fast_tags)
    np.testing.assert_allclose(np.asarray(network(x)), fast_pot, atol=1e-6)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert not loaded.get_layer("encoder").fast_inference
    assert use_fast_inference(loaded).get_layer("encoder").fast_inference
    np.testing.assert_array_equal(np.asarray(loaded(x)), fast_tags)
