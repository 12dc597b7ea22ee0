"""One speed table for the default architecture of every task (issue 14).

For the classifier (sentiment), the tagger (NER), the character LM, the music generator and the
translator, measured side by side in one run on real data from ../shared/data (a task whose
data is absent is skipped):

- training tokens/s of the pipeline's `fit`, and of a hand-written plain Keras model of the same
  architecture fed from in-memory batches (the tagger's twin is the same BiLSTM-CRF with a
  char-BiLSTM, casing features and a CRF loss written directly in TensorFlow); the pipeline and
  its twin train taking turns one epoch at a time, so load drift on a shared machine hits both
  sides alike, and the median epoch after the first (tracing) is timed;
- inference tokens/s through `predict` and through the exported SavedModel's signature, at
  batch 1 and batch 64;
- single-call latency p50/p99 of `predict` and of the SavedModel signature on one item;
- achieved GFLOP/s of the recurrent layers (forward, and forward+backward), timed in isolation
  at the task's batch size and a typical length, as a fraction of this machine's float32
  2048 x 2048 matmul rate measured in the same run.

    python benchmarks/speed.py                 # every task, about 10 minutes on 2 busy cores
    python benchmarks/speed.py --tasks sentiment ner --no-write

Writes its table to benchmarks/RESULTS.md (section `speed`).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks._results import DATA, machine_line, write_section  # noqa: E402
from benchmarks._timing import EpochTimer, alternating_epochs  # noqa: E402

TASKS = ("sentiment", "ner", "chargen", "music", "translator")
GATES = {"lstm": 4, "gru": 3, "rnn": 1}


# ----------------------------------------------------------------------------- measuring
def latencies(fn, n: int, warmup: int = 3) -> np.ndarray:
    """Wall seconds of `n` calls of `fn` after `warmup` calls."""
    return timed_calls(fn, n, warmup)[0]


def timed_calls(fn, n: int, warmup: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """(wall seconds, process CPU seconds) of each of `n` calls of `fn` after `warmup` calls.

    The CPU time (all threads of this process) is what a call costs on a quiet machine
    with no parallelism inside the call; it is much less sensitive than wall time to the
    other jobs sharing the cores.
    """
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(n):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return np.asarray(wall), np.asarray(cpu)


def rate(fn, tokens: int, repeats: int) -> float:
    """Tokens per second: `tokens` processed per call, median call time over `repeats`."""
    return tokens / float(np.median(latencies(fn, repeats, warmup=1)))


def matmul_peak() -> float:
    """Best float32 2048 x 2048 matmul rate of this machine now, in GFLOP/s."""
    a = tf.random.normal((2048, 2048))
    b = tf.random.normal((2048, 2048))
    f = tf.function(lambda a, b: tf.reduce_sum(tf.matmul(a, b)))
    f(a, b).numpy()
    best = 0.0
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(3):
            f(a, b).numpy()
        best = max(best, 3 * 2 * 2048**3 / (time.perf_counter() - t) / 1e9)
    return best


def recurrent_flops(stack, input_dim: int, batch: int, steps: int) -> float:
    """Forward FLOPs of a `RecurrentStack` (matmuls only) for `batch x steps` inputs."""
    dirs = 2 if stack.bidirectional else 1
    g, h = GATES[stack.cell], stack.hidden_size
    total, d = 0.0, input_dim
    for _ in range(stack.num_layers):
        total += dirs * 2.0 * batch * steps * g * h * (d + h)
        d = h * dirs
    return total


def recurrent_gflops(
    stack, input_dim: int, batch: int, steps: int, repeats: int = 5, train_mode: bool = False
):
    """(forward GFLOP/s, forward+backward GFLOP/s, matmul GFLOP/s) of `stack` timed alone on
    random inputs; the matmul rate is measured just before and after (the better of the two),
    so that the fraction compares figures taken under the same load. `train_mode`: time the
    forward+backward pass with `training=True`, the path `fit` takes (for a stack whose
    inference takes another one, `RecurrentStack.fast_inference`)."""
    x = tf.random.normal((batch, steps, input_dim))
    mask = tf.ones((batch, steps), tf.bool)
    fwd = tf.function(lambda x: tf.reduce_sum(stack(x, mask=mask, training=False)))

    @tf.function
    def train(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(stack(x, mask=mask, training=train_mode))
        return tape.gradient(loss, stack.trainable_variables)

    flops = recurrent_flops(stack, input_dim, batch, steps)
    peak = matmul_peak()
    t_f = float(np.median(latencies(lambda: fwd(x).numpy(), repeats, warmup=2)))
    t_b = float(np.median(latencies(lambda: [g.numpy() for g in train(x)], repeats, warmup=2)))
    peak = max(peak, matmul_peak())
    return flops / t_f / 1e9, 3 * flops / t_b / 1e9, peak


def in_memory(batches, seed: int = 0):
    """A dataset over precomputed `(x, y)` batches, reshuffled every epoch (plain-Keras twins)."""
    rng = random.Random(seed)

    def gen():
        order = list(range(len(batches)))
        rng.shuffle(order)
        for i in order:
            yield batches[i]

    x0, y0 = batches[0]

    def spec(a):
        if isinstance(a, (tuple, list)):
            return tuple(spec(v) for v in a)
        return tf.TensorSpec((None,) * np.ndim(a), tf.as_dtype(np.asarray(a).dtype))

    ds = tf.data.Dataset.from_generator(gen, output_signature=(spec(x0), spec(y0)))
    return ds.apply(tf.data.experimental.assert_cardinality(len(batches))).prefetch(2)


def train_seconds(pipe_fit, plain_fit, epochs: int) -> tuple[float, float]:
    """Median seconds per epoch of the pipeline's `fit` and of its plain-Keras twin, each
    `fn(epochs, callbacks)`, run taking turns one epoch at a time (`alternating_epochs`);
    the first epoch of each (tracing) is not counted."""
    times = alternating_epochs({"pipe": pipe_fit, "plain": plain_fit}, max(2, epochs))
    return float(np.median(times["pipe"][1:])), float(np.median(times["plain"][1:]))


def plain_lm_fit(plain, xs, ys, batch_size, learning_rate, clipnorm, pad_id):
    """Compile a plain-Keras language model as the pipelines do (Adam with clipping, padding
    ignored in the loss) and return its `fit(epochs, callbacks)` on shuffled `(xs, ys)` windows."""
    plain.compile(
        optimizer=keras.optimizers.Adam(learning_rate, clipnorm=clipnorm),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=pad_id),
    )
    ds = (
        tf.data.Dataset.from_tensor_slices((xs, ys))
        .shuffle(len(xs), seed=0)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    return lambda e, cb: plain.fit(ds, epochs=e, callbacks=cb, verbose=0)


def infer_row(row, predict, serve, items, count, n_lat: int, repeats: int):
    """Fill the inference columns: tokens/s at batch 1 and 64 and single-call latencies."""
    one, many = items[:1], (items * 64)[:64]
    row["pred_b1"] = rate(lambda: predict(one), count(one), repeats)
    row["pred_b64"] = rate(lambda: predict(many), count(many), max(2, repeats // 3))
    row["sm_b1"] = rate(lambda: serve(one), count(one), repeats)
    row["sm_b64"] = rate(lambda: serve(many), count(many), max(2, repeats // 3))
    latency_columns(row, lambda: predict(one), lambda: serve(one), n_lat)


def latency_columns(row, predict_one, serve_one, n: int) -> None:
    (lp, cp), (ls, cs) = timed_calls(predict_one, n), timed_calls(serve_one, n)
    lp, cp, ls, cs = lp * 1e3, cp * 1e3, ls * 1e3, cs * 1e3
    row["pred_p50"], row["pred_p99"] = float(np.median(lp)), float(np.percentile(lp, 99))
    row["sm_p50"], row["sm_p99"] = float(np.median(ls)), float(np.percentile(ls, 99))
    row["pred_cpu50"], row["sm_cpu50"] = float(np.median(cp)), float(np.median(cs))
    row["lat_n"] = n


def export(pipe, tmp: Path, name: str):
    return tf.saved_model.load(str(pipe.export(tmp / name)))


# ----------------------------------------------------------------------------- sentiment
def bench_sentiment(args, tmp: Path) -> dict | None:
    from nlpkit import SentimentClassifier
    from nlpkit.data.classification import read_jsonl

    path = DATA / "sentiment" / "imdb" / "train.jsonl.gz"
    if not path.exists():
        return None
    texts, labels = read_jsonl(path)
    order = list(range(len(texts)))
    random.Random(0).shuffle(order)
    order = order[: args.sentiment_examples]
    texts, labels = [texts[i] for i in order], [labels[i] for i in order]
    clf = SentimentClassifier(seed=0, verbose=0)
    clf.fit(texts, labels, epochs=1)  # the vocabulary the twin shares
    ids = [clf._vectorize(tf.constant(texts[i : i + 512])) for i in range(0, len(texts), 512)]
    tokens = int(sum(int(tf.math.count_nonzero(b)) for b in ids))

    # plain Keras twin: Embedding(mask) -> Dropout -> BiLSTM(64) -> Dropout -> softmax
    keras.utils.set_random_seed(0)
    vec = clf.vectorizer_
    y = np.array([clf.classes_.index(v) for v in labels], "int32")
    ds = (
        tf.data.Dataset.from_tensor_slices((texts, y))
        .shuffle(len(texts), seed=0)
        .batch(clf.batch_size)
        .map(lambda t, y: (vec(t)[:, : clf.max_length], y))
        .prefetch(tf.data.AUTOTUNE)
    )
    inp = keras.Input((None,), dtype="int64")
    x = keras.layers.Embedding(len(clf.vocabulary_), clf.embedding_dim, mask_zero=True)(inp)
    x = keras.layers.Dropout(clf.dropout)(x)
    x = keras.layers.Bidirectional(keras.layers.LSTM(clf.hidden_size))(x)
    x = keras.layers.Dropout(clf.dropout)(x)
    out = keras.layers.Dense(2, activation="softmax")(x)
    plain = keras.Model(inp, out)
    plain.compile(
        optimizer=keras.optimizers.Adam(clf.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    t_pipe, t_plain = train_seconds(
        lambda e, cb: clf.fit(texts, labels, epochs=e, callbacks=cb),
        lambda e, cb: plain.fit(ds, epochs=e, callbacks=cb, verbose=0),
        args.epochs,
    )

    row = {
        "task": "sentiment (TextClassifier)",
        "data": f"IMDB, {len(texts)} reviews, {tokens} tokens/epoch",
        "train_pipe": tokens / t_pipe,
        "train_plain": tokens / t_plain,
    }
    served = export(clf, tmp, "sentiment").signatures["serving_default"]
    n_tok = lambda batch: sum(min(len(t.split()), clf.max_length) for t in batch)  # noqa: E731
    # single sentences (the latency target), cut from the reviews: the first sentence of
    # each review that has 8-40 words
    firsts = [re.split(r"(?<=[.!?])\s", t.replace("<br />", " "), maxsplit=1)[0] for t in texts]
    sample = [t for t in firsts if 8 <= len(t.split()) <= 40][:64] or texts[:1]
    infer_row(
        row,
        clf.predict,
        lambda b: served(text=tf.constant(b))["label"].numpy(),
        sample,
        n_tok,
        args.latency_calls,
        args.repeats,
    )
    stack = clf.model_.get_layer("encoder")
    row["rec_fwd"], row["rec_train"], row["peak"] = recurrent_gflops(
        stack, clf.embedding_dim, clf.batch_size, clf.max_length
    )
    row["rec_shape"] = f"B={clf.batch_size}, T={clf.max_length}"
    row["targets"] = True
    return row


# ----------------------------------------------------------------------------- ner
def _crf_nll(potentials, tags, mask, trans, start, end):
    """Negative log-likelihood of a linear-chain CRF (forward algorithm), plain TensorFlow."""
    maskf = tf.cast(mask, potentials.dtype)
    emit = tf.reduce_sum(tf.gather(potentials, tags, batch_dims=2) * maskf, 1)
    pair = tf.gather_nd(trans, tf.stack([tags[:, :-1], tags[:, 1:]], -1))
    lengths = tf.reduce_sum(tf.cast(mask, tf.int32), 1)
    last = tf.gather(tags, lengths - 1, batch_dims=1)
    score = (
        emit
        + tf.reduce_sum(pair * maskf[:, 1:], 1)
        + tf.gather(start, tags[:, 0])
        + tf.gather(end, last)
    )
    pot_t = tf.transpose(potentials, [1, 0, 2])
    mask_t = tf.transpose(mask, [1, 0])

    def step(alpha, inp):
        e, m = inp
        nxt = tf.reduce_logsumexp(alpha[:, :, None] + trans[None], 1) + e
        return tf.where(m[:, None], nxt, alpha)

    alpha = tf.scan(step, (pot_t[1:], mask_t[1:]), initializer=start[None] + pot_t[0])[-1]
    return tf.reduce_mean(tf.reduce_logsumexp(alpha + end[None], 1) - score)


class _PlainCRFTagger(keras.Model):
    def __init__(self, network, num_tags, **kw):
        super().__init__(**kw)
        self.network = network
        init = keras.initializers.RandomUniform(-0.1, 0.1)
        self.trans = self.add_weight(shape=(num_tags, num_tags), initializer=init, name="trans")
        self.start = self.add_weight(shape=(num_tags,), initializer=init, name="start")
        self.end = self.add_weight(shape=(num_tags,), initializer=init, name="end")

    def call(self, inputs, training=False):
        return self.network(inputs, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return _crf_nll(y_pred, y, tf.not_equal(x[0], 0), self.trans, self.start, self.end)


def bench_ner(args, tmp: Path) -> dict | None:
    from nlpkit import EntityTagger
    from nlpkit.data.conll import read_conll
    from nlpkit.text.tokenizer import CASING_CLASSES

    path = DATA / "ner" / "conll2003" / "train.txt"
    if not path.exists():
        return None
    x, y = read_conll(path)
    keep = [i for i, s in enumerate(x) if s][: args.ner_sentences]
    x, y = [x[i] for i in keep], [y[i] for i in keep]
    tokens = sum(len(s) for s in x)
    tagger = EntityTagger(seed=0, verbose=0, early_stopping=None)
    tagger.fit(x, y, epochs=1)  # the vocabularies the twin shares

    # plain Keras twin: the same features and BiLSTM-CRF, same length-sorted batches of 32
    keras.utils.set_random_seed(0)
    order = sorted(range(len(x)), key=lambda i: len(x[i]))
    tag_index = {t: i for i, t in enumerate(tagger.tags_)}
    from nlpkit.text.tags import convert_tags

    batches = []
    for b in range(0, len(order), tagger.batch_size):
        idx = order[b : b + tagger.batch_size]
        words, chars, casing = tagger._encode_batch([x[i] for i in idx])
        tags = np.zeros(words.shape, np.int32)
        for r, i in enumerate(idx):
            tags[r, : len(x[i])] = [tag_index.get(t, 0) for t in convert_tags(y[i], "iobes")]
        batches.append(((words, chars, casing), tags))
    w_in = keras.Input((None,), dtype="int32")
    c_in = keras.Input((None, None), dtype="int32")
    k_in = keras.Input((None,), dtype="int32")
    word_mask = keras.ops.not_equal(w_in, 0)
    we = keras.layers.Embedding(len(tagger.vocabulary_), tagger.embedding_dim)(w_in)
    ke = keras.layers.Embedding(len(CASING_CLASSES), 8)(k_in)
    flat = keras.layers.Lambda(lambda c: tf.reshape(c, (-1, tf.shape(c)[2])))(c_in)
    ce = keras.layers.Embedding(len(tagger.characters_), tagger.char_embedding_dim)(flat)
    char_mask = keras.layers.Lambda(
        lambda c: tf.logical_or(tf.not_equal(c, 0), tf.equal(tf.range(tf.shape(c)[1]), 0)[None])
    )(flat)
    cv = keras.layers.Bidirectional(keras.layers.LSTM(tagger.char_hidden_size))(ce, mask=char_mask)
    cv = keras.layers.Lambda(
        lambda t: tf.reshape(
            t[0], (tf.shape(t[1])[0], tf.shape(t[1])[1], 2 * tagger.char_hidden_size)
        )
    )([cv, c_in])
    h = keras.layers.Concatenate()([we, ke, cv])
    h = keras.layers.Dropout(tagger.dropout)(h)
    h = keras.layers.Bidirectional(keras.layers.LSTM(tagger.hidden_size, return_sequences=True))(
        h, mask=word_mask
    )
    h = keras.layers.Dropout(tagger.dropout)(h)
    pot = keras.layers.Dense(len(tagger.tags_))(h)
    plain = _PlainCRFTagger(
        keras.Model([w_in, c_in, k_in], pot), len(tagger.tags_), name="plain_crf_tagger"
    )
    plain.compile(optimizer=keras.optimizers.Adam(tagger.learning_rate, clipnorm=5.0))
    ds = in_memory(batches)
    t_pipe, t_plain = train_seconds(
        lambda e, cb: tagger.fit(x, y, epochs=e, callbacks=cb),
        lambda e, cb: plain.fit(ds, epochs=e, callbacks=cb, verbose=0),
        args.epochs,
    )

    row = {
        "task": "NER (EntityTagger, BiLSTM-CRF + char-BiLSTM)",
        "data": f"CoNLL-2003 train, {len(x)} sentences, {tokens} tokens/epoch",
        "train_pipe": tokens / t_pipe,
        "train_plain": tokens / t_plain,
    }
    served = export(tagger, tmp, "ner").signatures["serving_default"]
    sample = [" ".join(s) for s in x[:300] if 8 <= len(s) <= 20][:64] or [" ".join(x[0])]
    infer_row(
        row,
        tagger.predict,
        lambda b: served(sentences=tf.constant(b))["entity_counts"].numpy(),
        sample,
        lambda batch: sum(len(t.split()) for t in batch),
        args.latency_calls,
        args.repeats,
    )
    stack = tagger.model_.get_layer("encoder")
    d_in = tagger.embedding_dim + 8 + 2 * tagger.char_hidden_size
    # forward: the inference path (the fused loop); training pass: the path `fit` takes (its
    # single layer has no dropout, so training=True computes the same values)
    row["rec_fwd"], row["rec_train"], row["peak"] = recurrent_gflops(
        stack, d_in, tagger.batch_size, 25, train_mode=True
    )
    row["rec_shape"] = f"B={tagger.batch_size}, T=25 (word BiLSTM)"
    row["targets"] = True
    return row


# ----------------------------------------------------------------------------- chargen
def bench_chargen(args, tmp: Path) -> dict | None:
    from nlpkit import CharGenerator
    from nlpkit.text.char_vocabulary import PAD_ID

    path = DATA / "chargen" / "dinos.txt"
    if not path.exists():
        return None
    names = [n.strip() for n in path.read_text(encoding="utf-8").splitlines() if n.strip()]
    # The training set repeated `--lm-copies` times, so that an epoch lasts long enough to time
    # (one copy is 1-2 s): throughput does not depend on the repetition.
    names = names * args.lm_copies
    gen = CharGenerator(seed=0, verbose=0, early_stopping=None)
    gen.fit(names, epochs=1)  # the vocabulary the twin shares
    xs, ys = gen._arrays(names, gen.vocabulary_)
    tokens = int((ys != PAD_ID).sum())

    keras.utils.set_random_seed(0)
    v = gen.vocabulary_.size
    inp = keras.Input((None,), dtype="int32")
    h = keras.layers.Embedding(v, gen.embedding_dim)(inp)
    h = keras.layers.LSTM(gen.hidden_size, return_sequences=True)(h)
    plain = keras.Model(inp, keras.layers.Dense(v)(h))
    t_pipe, t_plain = train_seconds(
        lambda e, cb: gen.fit(names, epochs=e, callbacks=cb),
        plain_lm_fit(plain, xs, ys, gen.batch_size, gen.learning_rate, gen.clipnorm, PAD_ID),
        args.epochs,
    )
    row = {
        "task": "char LM (CharGenerator, lines)",
        "data": f"dinos.txt x{args.lm_copies}, {len(names)} names, {tokens} chars/epoch",
        "train_pipe": tokens / t_pipe,
        "train_plain": tokens / t_plain,
    }
    sm = export(gen, tmp, "chargen").signatures["generate"]
    max_len = 2 * gen.max_item_length_

    def serve(batch):
        return sm(
            prompts=tf.constant(batch),
            max_length=tf.constant(max_len, tf.int32),
            temperature=tf.constant(0.0),
            seed=tf.constant(0, tf.int32),
        )["text"].numpy()

    # generated characters per call: greedy completions of empty prompts (same for both paths)
    produced = {}

    def count(batch):
        key = len(batch)
        if key not in produced:
            produced[key] = sum(len(s) for s in gen.predict(batch))
        return produced[key]

    infer_row(row, gen.predict, serve, [""], count, max(10, args.latency_calls // 5), 5)
    stack = gen.model_.get_layer("recurrent")
    row["rec_fwd"], row["rec_train"], row["peak"] = recurrent_gflops(
        stack, gen.embedding_dim, gen.batch_size, xs.shape[1]
    )
    row["rec_shape"] = f"B={gen.batch_size}, T={xs.shape[1]}"
    row["infer_note"] = "greedy generation (predict / `generate` signature), chars generated"
    return row


# ----------------------------------------------------------------------------- music
def bench_music(args, tmp: Path) -> dict | None:
    try:
        import music21  # noqa: F401
    except ImportError:
        return None
    from nlpkit.pipelines.music import MusicGenerator

    path = DATA / "music" / "jsb_chorales" / "jsb-chorales-quarter.train-valid.json"
    if not path.exists():
        return None
    chorales = json.loads(path.read_text())["train"]
    # the soprano and bass lines (highest and lowest sounding pitch) of each chorale as
    # quarter-note event tokens: two pieces per chorale, so that an epoch is long enough to time
    pieces = [[f"n{f(s)}:1" if s else "r:1" for s in ch] for f in (max, min) for ch in chorales]
    pieces = pieces * args.lm_copies  # as for the char LM: epochs long enough to time
    gen = MusicGenerator(seed=0, verbose=0, early_stopping=None)
    gen.fit(pieces, epochs=1)  # the vocabulary the twin shares
    xw, yw = gen._windows(pieces)
    tokens = int((yw != 0).sum())

    keras.utils.set_random_seed(0)
    inp = keras.Input((None,), dtype="int32")
    h = keras.layers.Embedding(len(gen.vocabulary_), gen.embedding_dim)(inp)
    for _ in range(gen.num_layers):
        h = keras.layers.Dropout(gen.dropout)(h)
        h = keras.layers.LSTM(gen.hidden_size, return_sequences=True)(h)
    plain = keras.Model(inp, keras.layers.Dense(len(gen.vocabulary_))(h))
    t_pipe, t_plain = train_seconds(
        lambda e, cb: gen.fit(pieces, epochs=e, callbacks=cb),
        plain_lm_fit(plain, xw, yw, gen.batch_size, gen.learning_rate, 1.0, 0),
        args.epochs,
    )
    row = {
        "task": "music (MusicGenerator, tokens)",
        "data": f"JSB soprano and bass lines x{args.lm_copies}, {len(pieces)} pieces, "
        f"{tokens} events/epoch",
        "train_pipe": tokens / t_pipe,
        "train_plain": tokens / t_plain,
    }
    sm = export(gen, tmp, "music").signatures["generate"]
    steps = 64

    def serve(batch):
        return sm(
            primer=tf.zeros((len(batch), 0), tf.int32),
            max_length=tf.constant(steps, tf.int32),
            temperature=tf.constant(1.0),
            seed=tf.constant(0, tf.int64),
        )["ids"].numpy()

    # predict scores whole pieces (events + 1 positions each); the SavedModel only generates
    # (`steps` events per item): the two columns measure different work, see the note.
    def predict(batch):
        return gen.predict(batch)

    sample = pieces[:64]
    row["pred_b1"] = rate(lambda: predict(sample[:1]), len(sample[0]) + 1, args.repeats)
    row["pred_b64"] = rate(lambda: predict(sample), sum(len(p) + 1 for p in sample), 3)
    row["sm_b1"] = rate(lambda: serve([0]), steps, 5)
    row["sm_b64"] = rate(lambda: serve([0] * 64), 64 * steps, 3)
    latency_columns(
        row, lambda: predict(sample[:1]), lambda: serve([0]), max(10, args.latency_calls // 5)
    )
    stack = gen.model_.get_layer("recurrent")
    row["rec_fwd"], row["rec_train"], row["peak"] = recurrent_gflops(
        stack, gen.embedding_dim, gen.batch_size, gen.sequence_length
    )
    row["rec_shape"] = f"B={gen.batch_size}, T={gen.sequence_length}"
    row["infer_note"] = "predict scores pieces; SavedModel `generate` samples 64 events"
    return row


# ----------------------------------------------------------------------------- translator
# Joey NMT 2.3.0's RNN (BiLSTM 256 encoder, LSTM 256 decoder, Bahdanau attention, input feeding,
# 7.9M parameters) on Multi30k en->de, measured on this machine one job at a time on 2026-12-02
# with ../shared/peers/nmt_peer.sh (Joey is not installed here): training target tokens/s
# (validation excluded) and beam-5 sentences/s (alpha 1.0, batch 64, val 1,014 sentences).
JOEY = {"train": 1278.0, "beam5": 49.9}


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def bench_translator(args, tmp: Path) -> dict | None:
    """The Multi30k network of issue 14 (word level, lowercased, min count 2, embedding 256,
    BiLSTM 128/direction, LSTM 256 decoder with Bahdanau attention and input feeding, 7.1M
    parameters; the full training vocabularies, as Joey NMT's figures): training target
    tokens/s of the same batches through (a) the pipeline's network, (b) the same network on
    the code path before issue 14 (`fast_path = False`: Keras cells step by step, every
    position projected) and (c) the plain-Keras twin, in alternating rounds; then beam-5
    `predict` on the validation sentences, new and old decoding path, same model."""
    from benchmarks._translator_twin import PlainSeq2Seq
    from nlpkit import Translator

    base = DATA / "translation" / "multi30k"
    if not (base / "train.en.gz").exists():
        return None

    def read(name):
        with gzip.open(base / name, "rt", encoding="utf-8") as fh:
            return [line.rstrip("\n") for line in fh]

    joey = None
    if args.joey_minutes > 0:
        # Joey NMT measured here, before nlpkit's timings, when its venv exists (issue 14)
        from benchmarks import nmt_side_by_side as sbs

        if sbs.joey_available():
            work = tmp / "joey"
            work.mkdir(exist_ok=True)
            joey = sbs.run_joey(args.joey_minutes, work)
        else:
            print(f"Joey NMT not run: no venv at {sbs.PEERS}/joeynmt/venv.")
    src, tgt = read("train.en.gz"), read("train.de.gz")
    val = read("val.en.gz")[: args.translator_val]
    options = dict(level="word", lowercase=True, min_count=2, embedding_dim=256, hidden_size=128)
    # vocabularies of the whole training set; a few steps only (the engine's step budget; the
    # timing follows)
    tr = Translator(
        **options, seed=0, verbose=0, early_stopping=None, max_steps=args.translator_fit_steps
    )
    tr.fit(src, tgt, epochs=1)
    batches = [
        ((s.numpy(), i.numpy()), o.numpy())
        for (s, i), o in tr._dataset(src, tgt, shuffle=True).take(args.translator_batches)
    ]
    tokens = int(sum(np.count_nonzero(o) for _, o in batches))  # target tokens incl. </s>
    old = tr._build_model()
    old.fast_path = False
    keras.utils.set_random_seed(0)
    twin = PlainSeq2Seq(
        len(tr.source_vocabulary_), len(tr.target_vocabulary_), 256, 128, tr.dropout
    )
    twin.compile(
        optimizer=keras.optimizers.Adam(tr.learning_rate, clipnorm=tr.clipnorm),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
    )
    assert twin.count_params() == tr.model_.count_params(), "the twin must match the network"
    models = {"new": tr.model_, "old": old, "twin": twin}
    ds = in_memory(batches)
    for m in models.values():  # first epoch: traces every batch shape
        m.fit(ds, epochs=1, verbose=0)
    seconds: dict[str, list[float]] = {k: [] for k in models}
    loads = [_load()]
    for _ in range(args.translator_rounds):
        for name, m in models.items():
            timer = EpochTimer()
            m.fit(ds, epochs=1, verbose=0, callbacks=[timer])
            seconds[name].append(timer.times[-1])
        loads.append(_load())
    train = {k: tokens / float(np.median(v)) for k, v in seconds.items()}

    # beam 5 on the validation sentences: the new decoding path and the one before issue 14
    dec = Translator.load(args.translator_model) if args.translator_model else tr
    beam: dict[str, float] = {}
    outs = {}
    dec_loads = [_load()]
    for fast in (False, True, False, True)[: 2 * args.translator_decode_rounds]:
        dec._fast_decoding = dec.model_.fast_path = fast
        dec.predict(val[:64], beam_width=5)  # traces
        t = time.perf_counter()
        outs[fast] = dec.predict(val, beam_width=5, return_scores=True)
        sps = len(val) / (time.perf_counter() - t)
        beam["new" if fast else "old"] = max(beam.get("new" if fast else "old", 0.0), sps)
        dec_loads.append(_load())
    same = sum(a == b for a, b in zip(outs[False][0], outs[True][0], strict=True))
    score_diff = max(abs(a - b) for a, b in zip(outs[False][1], outs[True][1], strict=True))
    mean_len = float(np.mean([len(t.split()) + 1 for t in outs[True][0]]))

    row = {
        "task": "translator (Bahdanau, beam 5)",
        "data": f"Multi30k en-de, {len(batches)} batches of 64, {tokens} target tokens",
        "train_pipe": train["new"],
        "train_plain": train["twin"],
        "translator": {
            "train": train,
            "train_rounds_s": seconds,
            "train_loads": loads,
            "params": tr.model_.count_params(),
            "vocab": [len(tr.source_vocabulary_), len(tr.target_vocabulary_)],
            "beam5": beam,
            "beam_loads": dec_loads,
            "val": len(val),
            "identical": same,
            "score_diff": score_diff,
            "mean_len": mean_len,
            "model": args.translator_model or f"trained {args.translator_fit_steps} steps here",
            "joey": joey,
            "joey_minutes": args.joey_minutes,
        },
    }
    served = export(dec, tmp, "translator").signatures["translate"]
    produced = {}

    def count(batch):
        if len(batch) not in produced:
            produced[len(batch)] = sum(len(t.split()) + 1 for t in dec.predict(batch))
        return produced[len(batch)]

    sample = [s for s in val[:200] if len(s.split()) <= 15][:64]
    infer_row(
        row,
        dec.predict,
        lambda b: served(text=tf.constant(b))["translation"].numpy(),
        sample,
        count,
        max(10, args.latency_calls // 5),
        3,
    )
    stack = tr.model_.encoder
    row["rec_fwd"], row["rec_train"], row["peak"] = recurrent_gflops(
        stack, tr.embedding_dim, tr.batch_size, 15
    )
    row["rec_shape"] = f"B={tr.batch_size}, T=15 (encoder only)"
    row["infer_note"] = "target tokens produced (beam 5)"
    return row


def translator_notes(r: dict) -> list[str]:
    """The translator's before/after, twin and Joey NMT comparison, for the notes."""
    t = r["translator"]
    tr, bm = t["train"], t["beam5"]
    met = lambda v, goal: "met" if v >= goal else f"missed by {100 * (1 - v / goal):.0f}%"  # noqa: E731
    joey = t.get("joey")
    peer = (
        JOEY
        if joey is None
        else {"train": joey["train_tokens_per_s"], "beam5": joey["beam5_sentences_per_s"]}
    )
    ratio_train, ratio_beam = tr["new"] / peer["train"], bm["new"] / peer["beam5"]
    return [
        f"translator, network of issue 14 ({t['params']:,} parameters, vocabularies "
        f"{t['vocab'][0]:,} / {t['vocab'][1]:,}): training target tokens/s on the same batches, "
        f"median of alternating rounds (load average {' -> '.join(t['train_loads'])}): "
        f"**{tr['new']:,.0f}** now, {tr['old']:,.0f} on the code path before issue 14 "
        f"({tr['new'] / tr['old']:.2f}x), {tr['twin']:,.0f} the plain-Keras twin "
        f"({tr['new'] / tr['twin']:.2f}x).",
        f"translator: beam-5 `predict` on {t['val']} Multi30k validation sentences (model: "
        f"{t['model']}; {t['mean_len']:.1f} tokens per output; load average "
        f"{' -> '.join(t['beam_loads'])}): **{bm['new']:.1f}** sentences/s now, "
        f"{bm['old']:.1f} before ({bm['new'] / bm['old']:.2f}x); identical translations "
        f"{t['identical']}/{t['val']}, largest score difference {t['score_diff']:.1e}.",
        (
            f"translator vs Joey NMT's published figures ({JOEY['train']:,.0f} target tokens/s, "
            f"{JOEY['beam5']} beam-5 sentences/s; 2 quiet cores, 2026-12-02; Joey not rerun "
            "here (`--joey-minutes`, or `benchmarks/nmt_side_by_side.py`, measures it)): "
            if joey is None
            else f"translator vs Joey NMT measured in this run just before (`nmt_peer.sh "
            f"{t['joey_minutes']}`; load {joey['load_before']} -> {joey['load_after']}; "
            f"{peer['train']:,.0f} target tokens/s, {peer['beam5']} beam-5 sentences/s with its "
            f"{t['joey_minutes']}-minute model, BLEU {joey['bleu']}, "
            f"{joey['mean_output_tokens']} tokens per output): "
        )
        + f"training {ratio_train:.2f}x (target >= 3x: {met(ratio_train, 3.0)}), decoding "
        f"{ratio_beam:.2f}x (target >= 2x: {met(ratio_beam, 2.0)}), with this run's load.",
    ]


# ----------------------------------------------------------------------------- table
def fmt(v, digits=0):
    if v is None:
        return "n/a"
    return f"{v:,.{digits}f}"


def render(rows, peak, meta) -> str:
    lines = [
        "## Speed: every task's default architecture (`benchmarks/speed.py`, issue 14)",
        "",
        f"{meta['machine']}; TensorFlow {tf.__version__}, Keras {keras.__version__}, NumPy "
        f"{np.__version__}. Load average {meta['load_before']} before and {meta['load_after']} "
        f"after the run; {meta['others']} Total run time {meta['elapsed']:.0f} s. "
        f"float32 2048x2048 matmul rate, best measured in this run: **{peak:.1f} GFLOP/s** "
        "(each row's fraction uses the rate measured beside its own recurrent timing).",
        "",
        f"Training tokens/s: median epoch of {meta['epochs']} after the first (tracing "
        "excluded), the pipeline and its twin taking turns one epoch at a time; the twin is the same "
        "architecture written by hand in plain Keras, fed from in-memory batches. Inference "
        "tokens/s: median call time; `pred` = the pipeline's `predict`, `SM` = the exported "
        "SavedModel's signature called directly. Latency: one item per call, wall p50 / p99 and "
        "(CPU) the median process CPU time of a call. Recurrent GFLOP/s: "
        "the recurrent stack alone on random inputs of the shape given, matmul FLOPs only "
        "(forward; forward+backward counted as 3x forward).",
        "",
        "| task | data | train tok/s pipeline | train tok/s plain Keras | ratio (target >= 1.0) "
        "| pred tok/s b1 | pred tok/s b64 | SM tok/s b1 | SM tok/s b64 | pred p50/p99 ms "
        "| SM p50/p99 ms | rec. GFLOP/s fwd / train (shape) | % of peak fwd / train |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    notes = []
    for r in rows:
        ratio = None if r["train_plain"] is None else r["train_pipe"] / r["train_plain"]
        ratio_s = "n/a (no twin)" if ratio is None else f"{ratio:.2f}"
        if ratio is not None and ratio < 1.0:
            ratio_s += f" (misses by {100 * (1 - ratio):.0f}%)"
        p50 = f"{r['pred_p50']:.1f} / {r['pred_p99']:.1f} (CPU {r['pred_cpu50']:.1f})"
        s50 = f"{r['sm_p50']:.1f} / {r['sm_p99']:.1f} (CPU {r['sm_cpu50']:.1f})"
        if r.get("targets"):
            for label, v, c in (
                ("pred", r["pred_p50"], r["pred_cpu50"]),
                ("SM", r["sm_p50"], r["sm_cpu50"]),
            ):
                if v > 5.0:
                    notes.append(
                        f"{r['task']}: {label} p50 {v:.1f} ms wall misses the 5 ms target by "
                        f"{v - 5.0:.1f} ms ({v / 5.0:.1f}x); its CPU time per call is "
                        f"{c:.1f} ms" + (" (within 5 ms)." if c <= 5.0 else f" ({c / 5.0:.1f}x).")
                    )
        frac_f, frac_t = 100 * r["rec_fwd"] / r["peak"], 100 * r["rec_train"] / r["peak"]
        if r.get("targets"):
            best = max(frac_f, frac_t)
            if best < 25:
                notes.append(
                    f"{r['task']}: recurrent math at {frac_f:.1f}% (forward) / {frac_t:.1f}% "
                    f"(training) of the matmul peak misses the 25% target by "
                    f"{25 - best:.1f} points."
                )
        if r.get("infer_note"):
            notes.append(f"{r['task']}: inference columns count {r['infer_note']}.")
        if r.get("translator"):
            notes.extend(translator_notes(r))
        lines.append(
            f"| {r['task']} | {r['data']} | {fmt(r['train_pipe'])} | {fmt(r['train_plain'])} "
            f"| {ratio_s} | {fmt(r['pred_b1'])} | {fmt(r['pred_b64'])} | {fmt(r['sm_b1'])} "
            f"| {fmt(r['sm_b64'])} | {p50} | {s50} | {r['rec_fwd']:.1f} / {r['rec_train']:.1f} "
            f"({r['rec_shape']}) | {frac_f:.1f}% / {frac_t:.1f}% |"
        )
    counts = ", ".join(f"{r['task'].split(' ')[0]} {r['lat_n']}" for r in rows)
    lines += ["", f"Latency calls per figure: {counts}."]
    if notes:
        lines += ["", "Targets missed and notes:", ""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tasks", nargs="*", default=list(TASKS), choices=TASKS)
    ap.add_argument("--sentiment-examples", type=int, default=640)
    ap.add_argument("--ner-sentences", type=int, default=1280)
    ap.add_argument("--translator-batches", type=int, default=24, help="timed training batches")
    ap.add_argument("--translator-rounds", type=int, default=2, help="alternating timing rounds")
    ap.add_argument("--translator-fit-steps", type=int, default=20)
    ap.add_argument("--translator-val", type=int, default=1014, help="validation sentences")
    ap.add_argument("--translator-decode-rounds", type=int, default=1, choices=(1, 2))
    ap.add_argument(
        "--translator-model",
        default=None,
        help="a saved Translator (Multi30k, the same options) to decode with; default: the "
        "model trained for --translator-fit-steps steps here (its outputs run longer)",
    )
    ap.add_argument(
        "--joey-minutes",
        type=float,
        default=0.0,
        help="also run Joey NMT (../shared/peers/nmt_peer.sh) for this training budget before "
        "the translator row, when its venv exists, and compare with it (0: quote JOEY)",
    )
    ap.add_argument(
        "--epochs",
        type=int,
        default=3,
        help="epochs of each training timing (pipeline and twin alternate; the first is not counted)",
    )
    ap.add_argument(
        "--lm-copies",
        type=int,
        default=4,
        help="copies of the char LM's and music's training data per epoch (longer epochs time "
        "more steadily)",
    )
    ap.add_argument("--latency-calls", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument(
        "--others",
        default="Six other helpers' jobs (tests, benchmarks) shared the 2 cores during the run, "
        "so absolute figures are low and noisy; ratios are measured side by side.",
        help="what else was running, for the RESULTS note",
    )
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    keras.utils.set_random_seed(0)
    start = time.perf_counter()
    load_before = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    peak = matmul_peak()
    print(f"matmul peak {peak:.1f} GFLOP/s")
    benches = {
        "sentiment": bench_sentiment,
        "ner": bench_ner,
        "chargen": bench_chargen,
        "music": bench_music,
        "translator": bench_translator,
    }
    rows, failed = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.tasks:
            t = time.perf_counter()
            try:
                row = benches[name](args, Path(tmp))
            except Exception as e:  # one task's failure must not lose the other rows
                print(f"FAILED {name}: {type(e).__name__}: {e}")
                failed.append(f"{name}: {type(e).__name__}: {str(e)[:200]}")
                continue
            if row is None:
                print(f"SKIP {name}: data or optional dependency absent")
                continue
            print(name, f"{time.perf_counter() - t:.0f} s", json.dumps(row, default=str))
            rows.append(row)
    peak_after = matmul_peak()
    meta = {
        "machine": machine_line(),
        "load_before": load_before,
        "load_after": ", ".join(f"{v:.1f}" for v in os.getloadavg()),
        "others": args.others,
        "epochs": max(2, args.epochs),
        "elapsed": time.perf_counter() - start,
    }
    peak = max(peak, peak_after)
    md = render(rows, peak, meta)
    if failed:
        md += "\nTasks that failed in this run: " + "; ".join(failed) + "\n"
    print(md)
    if not args.no_write and rows:
        write_section("speed", md)


if __name__ == "__main__":
    main()
