import numpy as np
import pytest
import tensorflow as tf

from nlpkit.text.char_vocabulary import BOS_ID, EOS_ID, PAD_ID, UNK_ID, CharVocabulary


@pytest.fixture()
def vocab():
    return CharVocabulary.from_texts(["abba", "cab\n", "é"])


def test_order_is_frequency_then_codepoint(vocab):
    # a:3, b:3, c:1, \n:1, é:1 -> ties broken by code point
    assert vocab.chars == ["a", "b", "\n", "c", "é"]
    assert vocab.size == 9
    assert vocab.tokens[:4] == ["<pad>", "<unk>", "<s>", "</s>"]
    assert (PAD_ID, UNK_ID, BOS_ID, EOS_ID) == (0, 1, 2, 3)


def test_encode_decode_round_trip(vocab):
    ids = vocab.encode("cab\né", add_bos=True, add_eos=True)
    assert ids == [2, 7, 4, 5, 6, 8, 3]
    assert vocab.decode(ids) == "cab\né"
    assert vocab.decode([4, 3, 5]) == "a"
    assert vocab.decode([4, 3, 5], stop_at_eos=False) == "ab"


def test_min_count_and_max_chars():
    v = CharVocabulary.from_texts(["aaab", "ab", "c"], min_count=2)
    assert v.chars == ["a", "b"]
    v = CharVocabulary.from_texts(["aaab", "ab", "c"], max_chars=1)
    assert v.chars == ["a"]


@pytest.mark.parametrize(
    "policy, expected",
    [("replace", [4, UNK_ID, 5]), ("skip", [4, 5])],
)
def test_unknown_policies(policy, expected):
    v = CharVocabulary(["a", "b"], unknown=policy)
    assert v.encode("azb") == expected
    got = v.lookup().encode(tf.constant(["azb"])).to_list()[0]
    assert got == expected


def test_unknown_error_policy():
    v = CharVocabulary(["a", "b"], unknown="error")
    assert v.unknown_chars("azbz!") == ["z", "!"]
    with pytest.raises(ValueError, match="outside the vocabulary"):
        v.encode("azb")
    with pytest.raises(tf.errors.InvalidArgumentError, match="outside the vocabulary"):
        v.lookup().encode(tf.constant(["azb"]))
    assert v.lookup().encode(tf.constant(["ab"])).to_list() == [[4, 5]]


def test_in_graph_lookup_matches_python(vocab):
    lut = vocab.lookup()
    texts = ["abba", "", "cé\nab", "zz"]
    got = lut.encode(tf.constant(texts)).to_list()
    assert got == [vocab.encode(t) for t in texts]
    ids = tf.ragged.constant([vocab.encode(t) for t in texts]).to_tensor()
    decoded = [s.decode("utf-8") for s in lut.decode(ids).numpy()]
    assert decoded == [vocab.decode(vocab.encode(t)) for t in texts]
    assert decoded[3] == ""  # unknowns decode to nothing


def test_in_graph_lookup_in_tf_function(vocab):
    lut = vocab.lookup()
    fn = tf.function(lambda s: lut.encode(s).to_tensor())
    np.testing.assert_array_equal(fn(tf.constant(["ab", "c"])).numpy(), [[4, 5], [7, 0]])


def test_save_load_round_trip(vocab, tmp_path):
    vocab.save(tmp_path / "v.json")
    again = CharVocabulary.load(tmp_path / "v.json")
    assert again == vocab
    assert again.encode("cab\n") == vocab.encode("cab\n")


@pytest.mark.parametrize(
    "chars, match",
    [(["ab"], "single character"), (["a", "a"], "appears twice"), ([""], "single character")],
)
def test_bad_chars(chars, match):
    with pytest.raises(ValueError, match=match):
        CharVocabulary(chars)


def test_bad_policy():
    with pytest.raises(ValueError, match="`unknown` must be one of 'replace', 'skip', 'error'"):
        CharVocabulary(["a"], unknown="ignore")
