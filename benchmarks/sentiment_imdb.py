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
import tensorflow as tf  # noqa: E402

from benchmarks._results import data_path, machine_line, write_section  # noqa: E402
from nlpkit import SentimentClassifier  # noqa: E402
from nlpkit.data.classification import read_jsonl  # noqa: E402


class EpochTimer(keras.callbacks.Callback):
    """Seconds spent on the training batches of each epoch (validation excluded)."""

    def on_train_begin(self, logs=None):
        self.times = []
        self._t = None

    def on_epoch_begin(self, epoch, logs=None):
        self._t = time.perf_counter()

    def _stop(self):
        if self._t is not None:
            self.times.append(time.perf_counter() - self._t)
            self._t = None

    def on_test_begin(self, logs=None):
        self._stop()

    def on_epoch_end(self, epoch, logs=None):
        self._stop()


def count_tokens(clf, texts) -> int:
    ds = tf.data.Dataset.from_tensor_slices(texts).batch(512).map(clf._vectorize)
    return int(sum(int(tf.math.count_nonzero(b)) for b in ds))


def plain_keras_epoch(clf, train_texts, train_ids, args) -> float:
    """One epoch of a hand-written Keras model of the same architecture; returns seconds.

    Uses the same vectorised tf.data pipeline (the fitted vectoriser) so that the comparison
    measures the model and training loop, not tokenisation.
    """
    keras.utils.set_random_seed(args.seed)
    ids = keras.Input((None,), dtype="int64")
    x = keras.layers.Embedding(len(clf.vocabulary_), 50, mask_zero=True, trainable=True)(ids)
    layer_cls = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU, "rnn": keras.layers.SimpleRNN}[
        args.cell
    ]
    x = keras.layers.Bidirectional(layer_cls(args.hidden))(keras.layers.Dropout(args.dropout)(x))
    out = keras.layers.Dense(2, activation="softmax")(keras.layers.Dropout(args.dropout)(x))
    model = keras.Model(ids, out)
    model.compile(
        optimizer=keras.optimizers.Adam(args.lr),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    ds = clf._dataset(train_texts, train_ids, shuffle=True)
    timer = EpochTimer()
    model.fit(ds, epochs=1, verbose=0, callbacks=[timer], shuffle=False)
    return timer.times[0]


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

    clf = SentimentClassifier(
        cell=args.cell,
        bidirectional=True,
        hidden_size=args.hidden,
        dropout=args.dropout,
        embeddings="glove-6B-50d",
        trainable_embeddings=True,
        max_length=args.max_length,
        max_tokens=30000,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        early_stopping=2,
        seed=args.seed,
        verbose=2,
    )
    timer = EpochTimer()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    clf.fit(*train, validation_data=val, epochs=args.epochs, callbacks=[timer])
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    metrics = clf.evaluate(*val)
    tokens = count_tokens(clf, train[0])
    nlpkit_tps = tokens / timer.times[0]

    # Side by side: the same epoch through a plain Keras model, right after.
    plain_seconds = plain_keras_epoch(clf, train[0], clf._label_ids(train[1], "y"), args)
    plain_tps = tokens / plain_seconds
    ratio = nlpkit_tps / plain_tps

    settings = (
        f"cell={args.cell}, bidirectional, hidden={args.hidden}, GloVe 6B 50d (fine-tuned), "
        f"max_length={args.max_length}, batch={args.batch_size}, lr={args.lr}, epochs<= {args.epochs} "
        f"(ran {len(timer.times)}), train reviews={len(train[0])}, validation reviews={len(val[0])}"
    )
    md = f"""## Sentiment: IMDB (`benchmarks/sentiment_imdb.py`)

{machine_line()}. Settings: {settings}.

| figure | value |
|---|---|
| validation accuracy | {metrics["accuracy"]:.4f} |
| validation macro-F1 | {metrics["macro_f1"]:.4f} |
| training wall time (validation passes included) | {wall:.0f} s ({len(timer.times)} epochs; training part of each epoch {", ".join(f"{t:.0f}" for t in timer.times)} s) |
| training process CPU time | {cpu:.0f} s |
| training tokens/s, nlpkit (epoch 1) | {nlpkit_tps:,.0f} |
| training tokens/s, plain Keras, same architecture and input pipeline (1 epoch, right after) | {plain_tps:,.0f} |
| ratio nlpkit / plain Keras | {ratio:.3f} |

Anchors: 84% (keras.io 2-layer BiLSTM, 2 epochs), 87% (BiLSTM at max length 500); target >= 89%.
"""
    print(md)
    if not args.no_write:
        write_section("sentiment_imdb", md)


if __name__ == "__main__":
    main()
