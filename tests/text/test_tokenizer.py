"""Tokenizer: character offsets, and the in-graph version equal to the Python one."""

import pytest
import tensorflow as tf

from nlpkit.text.tokenizer import casing_id, tf_casing_ids, tf_tokenize, tokenize

TEXTS = [
    "Mr. Müller lives in São Paulo.",
    "",
    "   \t ",
    "U.S. $5,000 don't  x_y 😀👍 naïve",
    "日本の東京都 visited by EU-officials",
    "a",
    "Zoë\u00a0Ça\u2009va?",
]


def test_tokens_and_offsets():
    assert tokenize("Hi, Bob!") == [("Hi", 0, 2), (",", 2, 3), ("Bob", 4, 7), ("!", 7, 8)]
    for text in TEXTS:
        for tok, start, end in tokenize(text):
            assert text[start:end] == tok and tok.strip() == tok and tok
    # No-break and thin spaces separate tokens.
    assert [t for t, _, _ in tokenize("Zoë\u00a0Ça\u2009va?")] == ["Zoë", "Ça", "va", "?"]


def test_graph_tokenizer_equals_python():
    tokens, starts, ends = tf_tokenize(tf.constant(TEXTS))
    for i, text in enumerate(TEXTS):
        got = list(
            zip(
                [t.decode("utf-8") for t in tokens[i].numpy()],
                starts[i].numpy().tolist(),
                ends[i].numpy().tolist(),
                strict=True,
            )
        )
        assert got == tokenize(text), text


def test_casing_python_and_graph_agree():
    words = ["Paris", "PARIS", "paris", "1999", "A1", "-", "McDonald", "É", "ÉCOLE", "école", "3.5"]
    expected = [5, 4, 3, 2, 6, 1, 1, 4, 4, 3, 6]
    assert [casing_id(w) for w in words] == expected
    assert tf_casing_ids(tf.constant(words + [""])).numpy().tolist() == expected + [0]


def test_bad_input():
    with pytest.raises(TypeError, match="`text` must be a string"):
        tokenize(["not", "a", "string"])
