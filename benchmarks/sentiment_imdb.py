"""IMDB sentiment benchmark: nlpkit TextClassifier vs a hand-written Keras model.

Trains `SentimentClassifier` on ../shared/data/sentiment/imdb/train.jsonl.gz (10% held out for
validation, seeded), reports validation accuracy, training time (wall and process CPU) and
training tokens/s, and in the same run the tokens/s of a plain Keras model of the same
architecture fed by the same tf.data pipeline (ratio should be >= 0.95: no toolkit overhead).

    python benchmarks/sentiment_imdb.py                  # full run (slow on a 2-core CPU)
    python benchmarks/sentiment_imdb.py --max-train 5000 --epochs 1   # reduced budget

Writes its figures to benchmarks/RESULTS.md (section `sentiment_imdb`).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks._results import data_path, machine_line, write_section  # noqa: E402
from benchmarks._timing import EpochTimer  # noqa: E402
from nlpkit import SentimentClassifier  # noqa: E402
from nlpkit.data.classification import read_jsonl  # noqa: E402


def count_tokens(clf, texts) -> int:
    ds = tf.data.Dataset.from_tensor_slices(texts).batch(512).map(clf._vectorize)
    return int(sum(int(tf.math.count_nonzero(b)) for b in ds))


def make_classifier(vectors, args, **overrides) -> SentimentClassifier:
    """The benchmark's classifier; the same settings for the quality run and the speed rounds."""
    config = dict(
        cell=args.cell,
        bidirectional=True,
        hidden_size=args.hidden,
        dropout=args.dropout,
        embeddings=vectors,
        trainable_embeddings=True,
        max_length=args.max_length,
        max_tokens=args.max_tokens,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        seed=args.seed,
        verbose=0,
    )
    config.update(overrides)
    return SentimentClassifier(**config)


def nlpkit_run(texts, labels, vectors, args) -> SentimentClassifier:
    """The toolkit path: raw text in, one epoch of training."""
    return make_classifier(vectors, args).fit(texts, labels, epochs=1)


def plain_keras_run(texts, labels, vectors, args) -> None:
    """The same job written by hand in plain Keras + tf.data: adapt a TextVectorization,
    build an embedding matrix from the same vectors, a BiLSTM classifier, one epoch."""
    keras.utils.set_random_seed(args.seed)
    vectorizer = keras.layers.TextVectorization(max_tokens=args.max_tokens)
    vectorizer.adapt(tf.data.Dataset.from_tensor_slices(texts).batch(512))
    vocab = vectorizer.get_vocabulary()
    rng = np.random.default_rng(args.seed)
    matrix = np.stack(
        [vectors[w] if w in vectors else rng.normal(0, 0.4, vectors.vector_size) for w in vocab]
    ).astype("float32")
    matrix[0] = 0
    classes = sorted(set(labels))
    y = np.array([classes.index(v) for v in labels], "int32")
    ds = (
        tf.data.Dataset.from_tensor_slices((texts, y))
        .shuffle(len(texts), seed=args.seed)
        .batch(args.batch_size)
        .map(lambda t, y: (vectorizer(t)[:, : args.max_length], y))
        .prefetch(tf.data.AUTOTUNE)
    )
    ids = keras.Input((None,), dtype="int64")
    emb = keras.layers.Embedding(len(vocab), vectors.vector_size, mask_zero=True)
    x = keras.layers.Dropout(args.dropout)(emb(ids))
    layer_cls = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU, "rnn": keras.layers.SimpleRNN}[
        args.cell
    ]
    x = keras.layers.Bidirectional(layer_cls(args.hidden))(x)
    out = keras.layers.Dense(len(classes), activation="softmax")(
        keras.layers.Dropout(args.dropout)(x)
    )
    model = keras.Model(ids, out)
    emb.set_weights([matrix])
    model.compile(
        optimizer=keras.optimizers.Adam(args.lr),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(ds, epochs=1, verbose=0)


def timed(fn, *a):
    w, c = time.perf_counter(), time.process_time()
    fn(*a)
    return time.perf_counter() - w, time.process_time() - c


def throughput(train, vectors, args) -> dict:
    """Alternate toolkit and plain-Keras runs on the same subset; median ratios of tokens/s."""
    texts, labels = train[0][: args.speed_examples], train[1][: args.speed_examples]
    tokens = count_tokens(
        nlpkit_run(texts[:64], labels[:64], vectors, args), texts
    )  # also warms up
    rows = []
    for _ in range(args.speed_rounds):
        rows.append(
            (
                timed(nlpkit_run, texts, labels, vectors, args),
                timed(plain_keras_run, texts, labels, vectors, args),
            )
        )
    wall_ratio = float(np.median([p[0] / n[0] for n, p in rows]))
    cpu_ratio = float(np.median([p[1] / n[1] for n, p in rows]))
    return {
        "examples": len(texts),
        "tokens": tokens,
        "nlpkit_tps": float(np.median([tokens / n[0] for n, _ in rows])),
        "plain_tps": float(np.median([tokens / p[0] for _, p in rows])),
        "wall_ratio": wall_ratio,
        "cpu_ratio": cpu_ratio,
        "rounds": rows,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument(
        "--max-train", type=int, default=None, help="cap on training reviews (reduced budget)"
    )
    ap.add_argument("--max-length", type=int, default=400)
    ap.add_argument("--cell", default="lstm")
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--dropout", type=float, default=0.3)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-tokens", type=int, default=30000)
    ap.add_argument(
        "--speed-examples", type=int, default=3000, help="reviews in each throughput run"
    )
    ap.add_argument(
        "--speed-rounds", type=int, default=3, help="alternating throughput rounds (0 skips)"
    )
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()

    texts, labels = read_jsonl(data_path("sentiment", "imdb", "train.jsonl.gz"))
    order = list(range(len(texts)))
    random.Random(args.seed).shuffle(order)
    n_val = len(order) // 10
    val_idx, train_idx = order[:n_val], order[n_val:]
    if args.max_train:
        train_idx = train_idx[: args.max_train]
    train = [texts[i] for i in train_idx], [labels[i] for i in train_idx]
    val = [texts[i] for i in val_idx], [labels[i] for i in val_idx]
    print(f"train {len(train[0])} reviews, validation {len(val[0])}")

    from nlpkit.embeddings import load

    vectors = load("glove-6B-50d")
    speed = throughput(train, vectors, args) if args.speed_rounds else None

    clf = make_classifier(vectors, args, early_stopping=2, verbose=2)
    timer = EpochTimer()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    clf.fit(*train, validation_data=val, epochs=args.epochs, callbacks=[timer])
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    metrics = clf.evaluate(*val)
    tokens = count_tokens(clf, train[0])

    settings = (
        f"cell={args.cell}, bidirectional, hidden={args.hidden}, GloVe 6B 50d (fine-tuned), "
        f"max_length={args.max_length}, max_tokens={args.max_tokens}, batch={args.batch_size}, lr={args.lr}, "
        f"dropout={args.dropout}, epochs<={args.epochs} (ran {len(timer.times)}, early stopping patience 2, "
        f"best epoch restored), train reviews={len(train[0])}, validation reviews={len(val[0])}"
    )
    speed_md = ""
    if speed:
        speed_md = (
            f"| throughput subset | {speed['examples']} reviews, {speed['tokens']:,} tokens, "
            f"{args.speed_rounds} alternating rounds of raw text -> 1 epoch (adapt + build + train) |\n"
            f"| training tokens/s, nlpkit (median) | {speed['nlpkit_tps']:,.0f} |\n"
            f"| training tokens/s, hand-written Keras + tf.data, same architecture (median) | {speed['plain_tps']:,.0f} |\n"
            f"| ratio nlpkit / plain Keras, wall time (median of rounds) | {speed['wall_ratio']:.3f} |\n"
            f"| ratio nlpkit / plain Keras, process CPU time (median of rounds) | {speed['cpu_ratio']:.3f} |\n"
        )
    md = f"""## Sentiment: IMDB (`benchmarks/sentiment_imdb.py`)

{machine_line()}. Settings: {settings}.

| figure | value |
|---|---|
| validation accuracy | {metrics["accuracy"]:.4f} |
| validation macro-F1 | {metrics["macro_f1"]:.4f} |
| training wall time (validation passes included) | {wall:.0f} s ({len(timer.times)} epochs; training part of each epoch {", ".join(f"{t:.0f}" for t in timer.times)} s) |
| training process CPU time | {cpu:.0f} s |
| training tokens/s over the full fit | {tokens * len(timer.times) / sum(timer.times):,.0f} |
{speed_md}
Anchors: 84% (keras.io 2-layer BiLSTM, 2 epochs), 87% (BiLSTM at max length 500); target >= 89%.
"""
    print(md)
    if not args.no_write:
        write_section("sentiment_imdb", md)


if __name__ == "__main__":
    main()
