"""Tag schemes: conlleval chunk rules, lossless conversions, detection, allowed transitions."""

import random

import pytest

from nlpkit.text.tags import (
    SCHEMES,
    allowed_transitions,
    chunk_tables,
    convert_tags,
    detect_scheme,
    get_spans,
    spans_to_tags,
    split_tag,
)

CASES = {
    "iob1": ["I-PER", "I-PER", "B-PER", "O", "I-LOC", "I-ORG", "O", "I-MISC"],
    "iob2": ["B-PER", "I-PER", "B-PER", "O", "B-LOC", "B-ORG", "O", "B-MISC"],
    "iobes": ["B-PER", "E-PER", "S-PER", "O", "S-LOC", "S-ORG", "O", "S-MISC"],
}
SPANS = [(0, 2, "PER"), (2, 3, "PER"), (4, 5, "LOC"), (5, 6, "ORG"), (7, 8, "MISC")]


def _random_spans(rng, length):
    spans, i = [], 0
    while i < length:
        if rng.random() < 0.4:
            end = min(length, i + rng.randint(1, 3))
            spans.append((i, end, rng.choice(["PER", "LOC"])))
            i = end
        else:
            i += rng.randint(1, 2)
    return spans


@pytest.mark.parametrize("scheme", SCHEMES)
def test_known_sequences(scheme):
    assert [tuple(s) for s in get_spans(CASES[scheme])] == SPANS
    assert spans_to_tags(SPANS, 8, scheme) == CASES[scheme]
    for other in SCHEMES:
        assert convert_tags(CASES[scheme], other) == CASES[other]


def test_random_round_trips_are_lossless():
    rng = random.Random(0)
    for _ in range(300):
        n = rng.randint(0, 9)
        spans = _random_spans(rng, n)
        for a in SCHEMES:
            tags = spans_to_tags(spans, n, a)
            assert [tuple(s) for s in get_spans(tags)] == spans
            for b in SCHEMES:
                assert convert_tags(convert_tags(tags, b), a) == tags
            trans, start, end = allowed_transitions(sorted(set(tags) | {"O"}), a)
            index = {t: i for i, t in enumerate(sorted(set(tags) | {"O"}))}
            if tags:
                assert start[index[tags[0]]] and end[index[tags[-1]]]
            for p, c in zip(tags[:-1], tags[1:], strict=True):
                assert trans[index[p]][index[c]], (a, tags)


def test_conlleval_quirks():
    # An I- after O, or a type change, starts a chunk; E- closes one; a dangling B- is a chunk.
    assert get_spans(["O", "I-PER", "I-LOC", "B-LOC"]) == [
        (1, 2, "PER"),
        (2, 3, "LOC"),
        (3, 4, "LOC"),
    ]
    assert get_spans(["B-PER", "E-PER", "I-PER"]) == [(0, 2, "PER"), (2, 3, "PER")]
    assert convert_tags(["O", "I-PER", "I-PER"], "iob2") == ["O", "B-PER", "I-PER"]


def test_detect_scheme():
    assert detect_scheme([CASES["iob1"]]) == "iob1"
    assert detect_scheme([CASES["iob2"], ["O"]]) == "iob2"
    assert detect_scheme([["O"], CASES["iobes"]]) == "iobes"


def test_allowed_transitions_forbid_invalid_moves():
    tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    trans, start, _ = allowed_transitions(tags, "iob2")
    assert not trans[0][2] and not trans[3][2] and trans[1][2] and trans[2][2]
    assert not start[2] and start[1]
    tags = ["O", "B-PER", "I-PER", "E-PER", "S-PER"]
    trans, start, end = allowed_transitions(tags, "iobes")
    assert not trans[1][0] and trans[1][3] and not trans[0][3] and not end[1] and end[3]
    with pytest.raises(ValueError, match="not valid in scheme 'iob2'"):
        allowed_transitions(["O", "S-PER"], "iob2")


def test_chunk_tables_agree_with_get_spans():
    tags = ["O", "B-PER", "I-PER", "E-PER", "S-PER"]
    starts, ends = chunk_tables(tags)
    assert starts.shape == (6, 6)
    assert starts[5, 2] and not starts[1, 2] and ends[3, 0] and not ends[1, 2]


def test_bad_tags():
    with pytest.raises(ValueError, match="Tag 'X-PER' is not a valid tag"):
        split_tag("X-PER")
    with pytest.raises(ValueError, match="'B-' is not a valid tag"):
        get_spans(["B-"])
    with pytest.raises(ValueError, match="`scheme` must be one of"):
        convert_tags(["O"], "bio")
    with pytest.raises(ValueError, match="sorted, non-overlapping"):
        spans_to_tags([(0, 2, "A"), (1, 3, "B")], 3)
