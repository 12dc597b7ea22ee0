"""Property-based tests (hypothesis): tokenizer offsets, tag-scheme conversions, vocabularies."""

import pytest

hypothesis = pytest.importorskip("hypothesis")
import tensorflow as tf  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from nlpkit.text.char_vocabulary import CharVocabulary  # noqa: E402
from nlpkit.text.tags import SCHEMES, convert_tags, get_spans, spans_to_tags  # noqa: E402
from nlpkit.text.tokenizer import tf_tokenize, tokenize  # noqa: E402
from nlpkit.utils.files import read_vocabulary, write_vocabulary  # noqa: E402

FAST = settings(max_examples=60, deadline=None)
# any code point except surrogates (not valid in UTF-8 strings)
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@FAST
@given(TEXT)
def test_tokenizer_offsets_round_trip(text):
    tokens = tokenize(text)
    last = 0
    for tok, start, end in tokens:
        assert text[start:end] == tok and tok and start >= last
        assert not text[last:start].strip()  # only whitespace is skipped
        last = end
    assert not text[last:].strip()


@settings(max_examples=10, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=4))
def test_in_graph_tokenizer_equals_python(texts):
    tokens, starts, ends = tf_tokenize(tf.constant(texts))
    for i, text in enumerate(texts):
        want = tokenize(text)
        assert [t.decode("utf-8") for t in tokens[i].numpy()] == [t for t, _, _ in want]
        assert starts[i].numpy().tolist() == [s for _, s, _ in want]
        assert ends[i].numpy().tolist() == [e for _, _, e in want]


@st.composite
def spans(draw):
    length = draw(st.integers(0, 12))
    cuts = sorted(draw(st.sets(st.integers(0, length), max_size=8)))
    out = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        if draw(st.booleans()):
            out.append((a, b, draw(st.sampled_from(["PER", "LOC", "ORG"]))))
    return out, length


@FAST
@given(spans(), st.sampled_from(SCHEMES), st.sampled_from(SCHEMES))
def test_tag_scheme_conversions_keep_the_spans(case, scheme, other):
    chunks, length = case
    tags = spans_to_tags(chunks, length, scheme)
    assert [tuple(s) for s in get_spans(tags)] == chunks
    converted = convert_tags(tags, other)
    assert [tuple(s) for s in get_spans(converted)] == chunks
    assert convert_tags(converted, scheme) == tags


@settings(max_examples=10, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=5), TEXT)
def test_char_vocabulary_encode_decode_round_trip(corpus, text):
    vocab = CharVocabulary.from_texts(corpus)
    known = "".join(c for c in text if c in vocab)
    assert vocab.decode(vocab.encode(known)) == known
    graph = vocab.lookup()
    ids = graph.encode(tf.constant([known]))
    assert ids[0].numpy().tolist() == vocab.encode(known)
    assert graph.decode(ids.to_tensor())[0].numpy().decode("utf-8") == known


@FAST
@given(st.lists(st.text(max_size=6), max_size=20))
def test_vocabulary_files_round_trip_any_token(tmp_path_factory, tokens):
    path = tmp_path_factory.mktemp("v") / "vocabulary.txt"
    write_vocabulary(path, tokens)
    assert read_vocabulary(path) == tokens
    assert path.read_bytes().count(b"\n") == len(tokens)  # one line per token
