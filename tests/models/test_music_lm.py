"""Tests for nlpkit.models.music_lm: builder, losses, the legacy attention name, MusicSampler."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nlpkit.data.music_events import NUM_KEYS
from nlpkit.models.music_lm import (
    MusicSampler,
    build_music_lm,
    has_legacy_attention,
    pianoroll_loss,
    token_loss,
)
from nlpkit.text.special_ids import special_ids_from_tokens

VOCAB = ["<pad>", "<unk>", "<start>", "<end>", "n60:1", "n62:1", "r:0.5"]


def _special():
    return special_ids_from_tokens(VOCAB, pad="<pad>", unk="<unk>", bos="<start>", eos="<end>")


def test_token_loss_is_the_mean_over_real_positions():
    logits = tf.constant(np.random.default_rng(0).normal(size=(2, 3, 5)), tf.float32)
    labels = np.array([[4, 2, 0], [3, 0, 0]])
    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits).numpy()
    expected = (ce[0, 0] + ce[0, 1] + ce[1, 0]) / 3
    assert float(tf.reduce_mean(token_loss(labels, logits))) == pytest.approx(expected, rel=1e-5)


def test_pianoroll_loss_sums_keys_and_skips_padded_steps():
    rng = np.random.default_rng(1)
    logits = tf.constant(rng.normal(size=(1, 3, NUM_KEYS)), tf.float32)
    keys = (rng.random((1, 3, NUM_KEYS)) < 0.1).astype("float32")
    real = np.array([[[1.0], [1.0], [0.0]]], "float32")
    y = np.concatenate([keys, real], axis=-1)
    bce = tf.nn.sigmoid_cross_entropy_with_logits(labels=keys, logits=logits).numpy().sum(-1)
    got = float(tf.reduce_mean(pianoroll_loss(y, logits)))
    assert got == pytest.approx((bce[0, 0] + bce[0, 1]) / 2, rel=1e-5)


def test_sampler_steps_equal_the_full_forward_pass():
    """Tokens with windowed attention: stepping the recurrent stack and the attention one event
    at a time gives the logits of the whole-sequence call (forbidden ids aside)."""
    keras.utils.set_random_seed(0)
    model = build_music_lm(
        "tokens",
        vocab_size=len(VOCAB),
        embedding_dim=4,
        hidden_size=6,
        attention_window=2,
        attention_heads=2,
    )
    sampler = MusicSampler(
        model, hidden_size=6, attention_window=2, vocabulary=VOCAB, special=_special()
    )
    ids = np.array([[2, 4, 5, 6, 4]], "int32")
    full = model(ids, training=False).numpy()
    allowed = sampler.forbid.numpy() == 0
    state = (sampler.stack.initial_state(1), tf.zeros([1, 2, 6]), tf.zeros([1, 2], tf.bool))
    for t in range(ids.shape[1]):
        logits, state = sampler._step_fn(tf.constant(ids[:, t]), state, t)
        np.testing.assert_allclose(
            logits.numpy()[:, allowed], full[:, t][:, allowed], rtol=1e-4, atol=1e-5
        )


def test_token_generation_never_emits_special_ids_and_repeats_with_a_seed():
    keras.utils.set_random_seed(0)
    model = build_music_lm("tokens", vocab_size=len(VOCAB), embedding_dim=4, hidden_size=6)
    sampler = MusicSampler(model, hidden_size=6, vocabulary=VOCAB, special=_special())
    args = (
        tf.constant([[4]], tf.int32),
        tf.constant(8),
        tf.constant(1.5),
        tf.constant(3, tf.int64),
    )
    out = sampler.generate(*args)
    assert out["ids"].shape == (1, 8)
    assert set(out["ids"].numpy().ravel()) <= {4, 5, 6}
    np.testing.assert_array_equal(out["ids"].numpy(), sampler.generate(*args)["ids"].numpy())


@pytest.mark.parametrize("key_model", ["nade", "independent"])
def test_piano_roll_generation_shape(key_model):
    keras.utils.set_random_seed(0)
    model = build_music_lm("piano_roll", hidden_size=5, key_model=key_model, nade_hidden=4)
    sampler = MusicSampler(model, hidden_size=5)
    out = sampler.generate_scored(
        tf.zeros([2, 0, NUM_KEYS]), tf.constant(3), tf.constant(1.0), tf.constant(0, tf.int64)
    )
    assert out["piano_roll"].shape == (2, 3, NUM_KEYS)
    assert set(np.unique(out["piano_roll"].numpy())) <= {0, 1}
    assert np.all(out["log_probs"].numpy() < 0.0)


def test_legacy_attention_weights_are_recognised_and_load(tmp_path):
    """Weights saved under the old attention class name load into a network built with
    `legacy_attention=True`, and only those files are recognised as legacy."""
    kwargs = dict(
        vocab_size=len(VOCAB), embedding_dim=4, hidden_size=6, attention_window=2, attention_heads=2
    )
    keras.utils.set_random_seed(0)
    old = build_music_lm("tokens", legacy_attention=True, **kwargs)
    new = build_music_lm("tokens", **kwargs)
    old.save_weights(tmp_path / "old.weights.h5")
    new.save_weights(tmp_path / "new.weights.h5")
    assert has_legacy_attention(tmp_path / "old.weights.h5")
    assert not has_legacy_attention(tmp_path / "new.weights.h5")
    again = build_music_lm("tokens", legacy_attention=True, **kwargs)
    again.load_weights(tmp_path / "old.weights.h5")
    ids = np.array([[2, 4, 5]], "int32")
    np.testing.assert_allclose(again(ids).numpy(), old(ids).numpy(), rtol=1e-6)
