import numpy as np
import tensorflow as tf

from nlpkit.ops import filter_logits, sample_logits

LOGITS = tf.constant([[0.0, 1.0, 2.0, 3.0, 0.5]])


def test_top_k_keeps_exactly_k_largest():
    out = filter_logits(LOGITS, top_k=2).numpy()
    assert np.flatnonzero(out[0] > -1e8).tolist() == [2, 3]


def test_top_p_keeps_smallest_set_reaching_mass():
    probs = tf.nn.softmax(LOGITS).numpy()[0]  # sorted: idx 3, 2, 1, 4, 0
    order = np.argsort(-probs)
    for p in (0.1, 0.6, 0.9, 0.99):
        kept = set(np.flatnonzero(filter_logits(LOGITS, top_p=p).numpy()[0] > -1e8))
        n = int(np.searchsorted(np.cumsum(probs[order]), p) + 1)
        assert kept == set(order[:n].tolist()), p


def test_greedy_when_temperature_zero_and_seeded_draws_repeat():
    batch = tf.random.stateless_normal((64, 7), seed=[1, 2])
    np.testing.assert_array_equal(
        sample_logits(batch, [0, 0], temperature=0.0), np.argmax(batch, -1)
    )
    a = sample_logits(batch, [5, 1], temperature=1.0)
    b = sample_logits(batch, [5, 1], temperature=1.0)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, np.argmax(batch, -1))


def test_sampled_ids_respect_top_k():
    batch = tf.random.stateless_normal((256, 10), seed=[3, 4])
    ids = sample_logits(batch, [7, 7], temperature=2.0, top_k=3).numpy()
    top3 = np.argsort(-batch.numpy(), axis=-1)[:, :3]
    assert all(i in row for i, row in zip(ids, top3, strict=True))
