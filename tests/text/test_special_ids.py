"""Tests for nlpkit.text.special_ids and nlpkit.text.token_vocabulary."""

import pytest
import tensorflow as tf

from nlpkit.data import music_events as me
from nlpkit.text import char_vocabulary as cv
from nlpkit.text.special_ids import (
    BOS_ID,
    EOS_ID,
    PAD_ID,
    UNK_ID,
    SpecialIds,
    special_ids_from_tokens,
)
from nlpkit.text.token_vocabulary import SPECIAL_TOKENS, TokenVocabulary, split_tokens


def test_every_vocabulary_shares_the_ids():
    assert (PAD_ID, UNK_ID, BOS_ID, EOS_ID) == (0, 1, 2, 3)
    assert (cv.PAD_ID, cv.UNK_ID, cv.BOS_ID, cv.EOS_ID) == (0, 1, 2, 3)
    music = special_ids_from_tokens(
        list(me.SPECIAL_TOKENS), pad="<pad>", unk="<unk>", bos="<start>", eos="<end>"
    )
    assert music == SpecialIds()
    translator = special_ids_from_tokens(
        list(SPECIAL_TOKENS), pad="", unk="[UNK]", bos="<s>", eos="</s>"
    )
    assert translator == SpecialIds()


def test_old_music_order_is_read_from_the_tokens_and_errors_name_the_problem():
    old = ["<pad>", "<start>", "<end>", "<unk>", "n60:1"]
    ids = special_ids_from_tokens(old, pad="<pad>", unk="<unk>", bos="<start>", eos="<end>")
    assert ids == SpecialIds(pad=0, unk=3, bos=1, eos=2)
    with pytest.raises(ValueError, match=r"Missing among the first four entries: \['<end>'\]"):
        special_ids_from_tokens(
            ["<pad>", "<start>", "n60:1", "<unk>", "<end>"],
            pad="<pad>",
            unk="<unk>",
            bos="<start>",
            eos="<end>",
        )


def test_token_vocabulary_and_split_tokens():
    words = split_tokens(tf.constant(["Hello, World!", "hello world"]), "word", lowercase=True)
    assert words.to_list() == [
        [b"hello", b",", b"world", b"!"],
        [b"hello", b"world"],
    ]
    chars = split_tokens(tf.constant(["a\tb"]), "char", lowercase=False)
    assert chars.to_list() == [[b"a", b" ", b"b"]]
    lists = [[t.decode() for t in row] for row in words.to_list()]
    vocab = TokenVocabulary.from_token_lists(lists, max_size=6)
    assert vocab.tokens == ["", "[UNK]", "<s>", "</s>", "hello", "world"]
    assert len(vocab) == 6
    ids = vocab.lookup(split_tokens(tf.constant(["world , hello"]), "word", False))
    assert ids.to_list() == [[5, UNK_ID, 4]]
    assert TokenVocabulary.build([["a", "b", "b"]], min_count=2) == list(SPECIAL_TOKENS) + ["b"]
    with pytest.raises(ValueError, match="level"):
        split_tokens(tf.constant(["x"]), "sentence", False)
