"""dataset_to_lists: batched and unbatched datasets of texts, pairs and token lists."""

import numpy as np
import pytest
import tensorflow as tf

from nlpkit.data.tfdata import dataset_to_lists, to_python

TEXTS = ["good film", "bad film", "café au lait", ""]
LABELS = ["pos", "neg", "pos", "neg"]
TOKENS = [["Ann", "lives", "in", "Oslo"], ["Bob"], ["Zoë", "met", "Bob"]]
TAGS = [["B-PER", "O", "O", "B-LOC"], ["B-PER"], ["B-PER", "O", "B-PER"]]


def _ds(*parts):
    return tf.data.Dataset.from_tensor_slices(parts[0] if len(parts) == 1 else parts)


@pytest.mark.parametrize("batch", [None, 1, 3, 10])
def test_single_texts(batch):
    ds = _ds(TEXTS)
    ds = ds if batch is None else ds.batch(batch)
    xs, ys = dataset_to_lists(ds)
    assert xs == TEXTS and ys is None
    assert all(type(x) is str for x in xs)


@pytest.mark.parametrize("batch", [None, 3])
def test_text_label_pairs(batch):
    ds = _ds(TEXTS, LABELS)
    ds = ds if batch is None else ds.batch(batch)
    assert dataset_to_lists(ds) == (TEXTS, LABELS)
    ints = _ds(TEXTS, np.array([1, 0, 1, 0], "int64"))
    xs, ys = dataset_to_lists(ints if batch is None else ints.batch(batch))
    assert ys == [1, 0, 1, 0] and all(type(y) is int for y in ys)


@pytest.mark.parametrize("batch", [None, 2])
def test_ragged_token_list_pairs(batch):
    ds = _ds(tf.ragged.constant(TOKENS), tf.ragged.constant(TAGS))
    ds = ds if batch is None else ds.batch(batch)
    assert dataset_to_lists(ds, token_lists=True) == (TOKENS, TAGS)


def test_padded_token_lists_drop_padding():
    def gen():
        yield from zip(TOKENS, TAGS, strict=True)

    spec = (tf.TensorSpec([None], tf.string), tf.TensorSpec([None], tf.string))
    ds = tf.data.Dataset.from_generator(gen, output_signature=spec)
    assert dataset_to_lists(ds.padded_batch(2), token_lists=True) == (TOKENS, TAGS)
    singles = ds.map(lambda toks, tags: toks)
    assert dataset_to_lists(singles, token_lists=True) == (TOKENS, None)
    assert dataset_to_lists(singles.padded_batch(3), token_lists=True) == (TOKENS, None)


def test_bad_datasets():
    with pytest.raises(TypeError, match="Expected a tf.data.Dataset. Received: list"):
        dataset_to_lists(TEXTS)
    with pytest.raises(ValueError, match=r"single examples or \(x, y\) pairs"):
        dataset_to_lists(_ds(TEXTS, LABELS, LABELS))
    with pytest.raises(ValueError, match=r"single examples or \(x, y\) pairs"):
        dataset_to_lists(tf.data.Dataset.from_tensor_slices({"text": TEXTS}))
    with pytest.raises(ValueError, match="must have rank 0 .* or 1 .*rank 2"):
        dataset_to_lists(_ds(TEXTS).batch(2).batch(2))
    with pytest.raises(ValueError, match="must have rank 1 .* or 2 .*rank 0"):
        dataset_to_lists(_ds(TEXTS), token_lists=True)


def test_to_python():
    assert to_python(tf.constant([[b"a", "é".encode()]])) == [["a", "é"]]
    assert to_python(tf.ragged.constant([["a"], ["b", "c"]])) == [["a"], ["b", "c"]]
    assert to_python(np.float32(0.5)) == 0.5 and type(to_python(np.int64(2))) is int
