"""`nlpkit.decoding.Sampling` against the hand-written loops it replaced (chargen, music)."""

import numpy as np
import pytest
import tensorflow as tf

from nlpkit.decoding import GreedySearch, Sampling, get, sample_logits

EOS = 3


def _step_fn(table):
    log_table = tf.math.log(tf.constant(table, tf.float32))
    return lambda tokens, state, index: (tf.gather(log_table, tokens), state)


def old_loop(table, start, max_length, temperature, seed, top_k=0, top_p=1.0):
    """chargen's old generation loop (before `nlpkit.models.char_lm.CharLM` used `Sampling`): draw step t with seed [seed, t], stop at EOS."""
    log_table = tf.math.log(tf.constant(table, tf.float32))
    logits = tf.gather(log_table, start)
    finished = tf.zeros([len(start)], tf.bool)
    out = []
    for t in range(max_length):
        nxt = sample_logits(logits, tf.stack([seed, t]), temperature, top_k, top_p)
        nxt = tf.where(finished, 0, nxt)
        out.append(nxt.numpy())
        finished = tf.logical_or(finished, tf.equal(nxt, EOS))
        if bool(tf.reduce_all(finished)):
            break
        logits = tf.gather(log_table, nxt)
    return np.stack(out, 1)


@pytest.mark.parametrize("temperature,top_k,top_p", [(1.0, 0, 1.0), (0.7, 3, 1.0), (1.5, 0, 0.8)])
def test_sampling_equals_the_replaced_loop(temperature, top_k, top_p):
    rng = np.random.default_rng(0)
    table = rng.dirichlet(np.ones(7), size=7)
    start = tf.constant([2, 2, 4, 5], tf.int32)
    decoder = Sampling(temperature, top_k, top_p)
    for seed in (0, 11):
        new = decoder(_step_fn(table), (), start, max_length=9, end_id=EOS, seed=seed)
        old = old_loop(table, start, 9, temperature, seed, top_k, top_p)
        np.testing.assert_array_equal(new.tokens.numpy(), old)
    # scores are the model's log-probabilities of the drawn tokens
    out = Sampling()(_step_fn(table), (), start[:1], max_length=3, seed=5)
    toks = [2] + out.tokens.numpy()[0].tolist()
    expected = sum(np.log(table[a, b]) for a, b in zip(toks, toks[1:], strict=False))
    assert out.scores.numpy()[0] == pytest.approx(expected, rel=1e-5)


def test_seeds_repeat_differ_and_temperature_zero_is_greedy():
    table = np.full((5, 5), 0.2)
    table[:, 4] = 0.3
    table /= table.sum(-1, keepdims=True)
    start = tf.fill([16], 0)
    a = Sampling()(_step_fn(table), (), start, max_length=12, seed=1).tokens.numpy()
    b = Sampling()(_step_fn(table), (), start, max_length=12, seed=1).tokens.numpy()
    c = Sampling()(_step_fn(table), (), start, max_length=12, seed=2).tokens.numpy()
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()
    cold = Sampling(temperature=0.0)(_step_fn(table), (), start, max_length=4, seed=9)
    greedy = GreedySearch()(_step_fn(table), (), start, max_length=4)
    np.testing.assert_array_equal(cold.tokens.numpy(), greedy.tokens.numpy())
    assert get({"name": "sample", "config": {"top_k": 2}}).top_k == 2


def test_top_k_one_never_draws_another_token():
    rng = np.random.default_rng(3)
    table = rng.dirichlet(np.ones(6), size=6)
    start = tf.fill([8], 1)
    out = Sampling(temperature=3.0, top_k=1)(_step_fn(table), (), start, max_length=6, seed=4)
    greedy = GreedySearch()(_step_fn(table), (), start, max_length=6)
    np.testing.assert_array_equal(out.tokens.numpy(), greedy.tokens.numpy())


@pytest.mark.parametrize(
    "decoder", [Sampling(1.0), Sampling(0.6, top_k=2), Sampling(1.4, top_p=0.7), GreedySearch()]
)
def test_token_log_probs_are_the_models_probabilities_of_each_choice(decoder):
    """Brute force: read each chosen token's probability from the table by hand (the model's
    distribution: temperature and filtering change what is drawn, not its probability)."""
    rng = np.random.default_rng(1)
    table = rng.dirichlet(np.ones(6), size=6)
    start = tf.constant([1, 2, 4], tf.int32)
    prompt = tf.constant([[0], [5], [2]], tf.int32)
    for p in (None, prompt):
        out = decoder(_step_fn(table), (), start, max_length=7, end_id=EOS, prompt=p, seed=4)
        tokens, logp = out.tokens.numpy(), out.token_log_probs.numpy()
        assert logp.shape == tokens.shape
        for row in range(3):
            prev = int(start[row]) if p is None else int(prompt[row, 0])
            expected = []
            for tok in tokens[row]:
                expected.append(np.log(table[prev, tok]))
                prev = int(tok)
                if tok == EOS:
                    break
            expected += [0.0] * (len(tokens[row]) - len(expected))  # after the end
            np.testing.assert_allclose(logp[row], expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(out.scores.numpy(), logp.sum(1), rtol=1e-5)
