"""CoNLL-2003 NER benchmark: BiLSTM-CRF + char features + GloVe 6B 50d vs a plain BiLSTM-softmax.

Trains `EntityTagger` on `../shared/data/ner/conll2003/train.txt`, scores entity F1 on `dev.txt`
(conlleval rules), and, in the same run and on the same batches, a plain Keras BiLSTM-softmax
baseline (same frozen GloVe vectors, no characters, no casing, no CRF). Reports:

- dev entity precision / recall / F1 of both models;
- training throughput (tokens/s, after a warm-up of `--warmup-batches`) of both, and their ratio;
- inference words/s through the exported SavedModel (raw sentences in, spans out).

Each model trains for at most `--epochs` epochs and at most its share of `--max-minutes`
(batch-granular stop), so a reduced CPU budget gives reduced-budget figures: the settings used
are written next to every number in `benchmarks/RESULTS.md` (section `ner`).

    python benchmarks/ner_conll2003.py --max-minutes 10
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._results import data_path, machine_line, write_section  # noqa: E402


class _Budget:
    """Keras callback: stop after `seconds`; measure tokens/s after `warmup` batches."""

    def __init__(self, seconds: float, warmup: int, tokens_per_batch: float):
        import keras

        outer = self

        class CB(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                outer.start = time.perf_counter()

            def on_epoch_begin(self, epoch, logs=None):
                # Time between epochs (validation loss and F1) is not training time.
                if outer.t_last is not None and outer.t_warm is not None:
                    outer.paused += time.perf_counter() - outer.t_last

            def on_train_batch_end(self, batch, logs=None):
                outer.batches += 1
                now = time.perf_counter()
                if outer.batches == warmup:
                    outer.t_warm = now
                outer.t_last = now
                if now - outer.start > seconds:
                    self.model.stop_training = True

            def on_epoch_end(self, epoch, logs=None):
                outer.epochs += 1

        self.callback = CB()
        self.batches = 0
        self.epochs = 0
        self.start = self.t_warm = self.t_last = None
        self.paused = 0.0
        self.warmup = warmup
        self.tokens_per_batch = tokens_per_batch

    def tokens_per_second(self) -> float:
        if self.t_warm is None or self.batches <= self.warmup:
            return float("nan")
        busy = self.t_last - self.t_warm - self.paused
        return (self.batches - self.warmup) * self.tokens_per_batch / busy

    def seconds(self) -> float:
        return (self.t_last or self.start) - self.start


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--max-minutes", type=float, default=10.0, help="total wall-time budget")
    ap.add_argument("--epochs", type=int, default=30, help="epoch cap per model")
    ap.add_argument(
        "--max-sentences", type=int, default=0, help="cap on training sentences (0 = all)"
    )
    ap.add_argument("--embeddings", default="glove-6B-50d")
    ap.add_argument("--char-encoder", default="lstm", choices=["lstm", "cnn", "none"])
    ap.add_argument("--hidden-size", type=int, default=100)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--learning-rate", type=float, default=0.003)
    ap.add_argument(
        "--lr-decay",
        type=float,
        default=0.0,
        help="epoch-wise decay: epoch t uses lr / (1 + lr_decay * t) (Ma & Hovy 2016)",
    )
    ap.add_argument("--dropout", type=float, default=0.5)
    ap.add_argument(
        "--pretrained-words",
        default="50000",
        help="pretrained words added to the vocabulary: a count, or 'all' (every GloVe word)",
    )
    ap.add_argument(
        "--trainable-embeddings", action="store_true", help="fine-tune the GloVe vectors"
    )
    ap.add_argument(
        "--select-on-dev",
        action="store_true",
        help="give dev as validation_data: dev F1 after every epoch, the best epoch's weights "
        "are restored (Lample et al. 2016); the reported dev F1 is then optimistic",
    )
    ap.add_argument(
        "--select-on-train-slice",
        type=int,
        default=0,
        metavar="N",
        help="hold the last N training sentences out of training and choose the epoch by their "
        "entity F1; dev stays unseen, so the reported dev F1 is a held-out figure",
    )
    ap.add_argument(
        "--patience",
        type=int,
        default=0,
        help="with --select-on-dev, stop after this many epochs without a better dev F1 "
        "(0 = no early stop, only the selection)",
    )
    ap.add_argument("--warmup-batches", type=int, default=20)
    ap.add_argument(
        "--baseline-share",
        type=float,
        default=0.35,
        help="share of the training budget for the baseline (it trains as many epochs as the "
        "tagger did, within this share)",
    )
    ap.add_argument(
        "--timing-batches", type=int, default=40, help="batches per interleaved timing round"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--no-write", action="store_true", help="print the results; leave RESULTS.md alone"
    )
    args = ap.parse_args(argv)
    if args.pretrained_words == "all":
        pretrained_words = None
    elif args.pretrained_words.isdigit():
        pretrained_words = int(args.pretrained_words)
    else:
        ap.error(f"--pretrained-words must be a count or 'all'. Received: {args.pretrained_words}")

    base = data_path("ner", "conll2003")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np
    import tensorflow as tf

    from nlpkit import embeddings as emb
    from nlpkit.data.conll import read_conll
    from nlpkit.metrics.entities import entity_scores, format_report
    from nlpkit.pipelines.tagger import EntityTagger
    from nlpkit.text.tags import convert_tags

    t_all = time.perf_counter()
    load_start = os.getloadavg()
    x_train, y_train = read_conll(base / "train.txt")
    x_dev, y_dev = read_conll(base / "dev.txt")
    if args.max_sentences:
        x_train, y_train = x_train[: args.max_sentences], y_train[: args.max_sentences]
    if args.select_on_dev and args.select_on_train_slice:
        ap.error("use --select-on-dev or --select-on-train-slice, not both")
    selection = None
    if args.select_on_dev:
        selection = (x_dev, y_dev)
    elif args.select_on_train_slice:
        n_sel = args.select_on_train_slice
        selection = (x_train[-n_sel:], y_train[-n_sel:])
        x_train, y_train = x_train[:-n_sel], y_train[:-n_sel]
    n_tokens = sum(map(len, x_train))
    kv = emb.load(args.embeddings)
    budget = args.max_minutes * 60
    # Leave time for loading, evaluation, export and inference (measured below).
    train_budget = max(60.0, budget - 180.0)
    crf_seconds = train_budget * (1 - args.baseline_share)
    base_seconds = train_budget * args.baseline_share

    # ------------------------------------------------------------------ BiLSTM-CRF
    tagger = EntityTagger(
        embeddings=kv,
        trainable_embeddings=args.trainable_embeddings,
        pretrained_words=pretrained_words,
        char_encoder=args.char_encoder,
        hidden_size=args.hidden_size,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        learning_rate_decay=args.lr_decay,
        dropout=args.dropout,
        early_stopping=args.patience or None,
        output="crf",
        seed=args.seed,
        verbose=2,
    )
    n_batches = -(-len(x_train) // args.batch_size)
    crf_budget = _Budget(crf_seconds, args.warmup_batches, n_tokens / n_batches)
    tagger.fit(
        x_train,
        y_train,
        epochs=args.epochs,
        callbacks=[crf_budget.callback],
        validation_data=selection,
    )
    crf_scores = tagger.evaluate(x_dev, y_dev)
    print(format_report(crf_scores))
    dev_curve = tagger.history_.get("val_f1", [])
    if args.select_on_dev:
        last_f1 = dev_curve[-1]  # scored with the last epoch's weights, before the restore
        print(
            f"dev F1 per epoch: {[round(100 * f, 2) for f in dev_curve]}; selected epoch "
            f"{tagger.best_epoch_}: {100 * crf_scores['f1']:.2f}; last epoch: {100 * last_f1:.2f}"
        )
    else:
        last_f1 = crf_scores["f1"]

    # ------------------------------------------------------------------ baseline
    keras.utils.set_random_seed(args.seed)
    if args.trainable_embeddings:  # the baseline gets the pretrained vectors, not fine-tuned ones
        table, _ = emb.embedding_matrix(tagger.vocabulary_, kv, seed=args.seed, log=False)
    else:
        table = tagger.model_.get_layer("word_embedding").embeddings.numpy()
    words_in = keras.Input((None,), dtype="int32")
    h = keras.layers.Embedding(
        table.shape[0],
        table.shape[1],
        mask_zero=True,
        trainable=False,
        embeddings_initializer=keras.initializers.Constant(table),
    )(words_in)
    h = keras.layers.Dropout(0.5)(h)
    h = keras.layers.Bidirectional(keras.layers.LSTM(args.hidden_size, return_sequences=True))(h)
    h = keras.layers.Dropout(0.5)(h)
    out = keras.layers.Dense(len(tagger.tags_), activation="softmax")(h)
    baseline = keras.Model(words_in, out)
    baseline.compile(
        optimizer=keras.optimizers.Adam(args.learning_rate, clipnorm=5.0),
        loss="sparse_categorical_crossentropy",
    )
    internal = [convert_tags(t, tagger.scheme) for t in y_train]
    train_ds = tagger._dataset(x_train, internal, shuffle=True).map(
        lambda feats, tags: (feats[0], tags)
    )
    base_budget = _Budget(base_seconds, args.warmup_batches, n_tokens / n_batches)
    crf_epochs = max(1, round(crf_budget.batches / n_batches))
    baseline.fit(train_ds, epochs=crf_epochs, callbacks=[base_budget.callback], verbose=2)
    base_pred = []
    for i in range(0, len(x_dev), 128):
        sents = x_dev[i : i + 128]
        words, _, _ = tagger._encode_batch(sents)
        ids = np.asarray(baseline.predict_on_batch(words)).argmax(-1)
        base_pred += [
            convert_tags([tagger.tags_[k] for k in ids[r, : len(s)]], "iob1")
            for r, s in enumerate(sents)
        ]
    base_scores = entity_scores(y_dev, base_pred)
    print("baseline:", format_report(base_scores))

    # ------------------------------------------------------------------ export + inference
    with tempfile.TemporaryDirectory() as tmp:
        path = tagger.export(Path(tmp) / "ner")
        serve = tf.saved_model.load(str(path)).signatures["serving_default"]
        raw = [" ".join(s) for s in x_dev]
        serve(sentences=tf.constant(raw[:64]))  # warm-up
        t0 = time.perf_counter()
        words = 0
        for i in range(0, len(raw), 64):
            out = serve(sentences=tf.constant(raw[i : i + 64]))
            words += int(tf.reduce_sum(out["lengths"]))
        infer_s = time.perf_counter() - t0
    words_per_s = words / infer_s

    # Interleaved timing: the same batches through one more training step of each model,
    # alternating rounds, so that the load of the shared machine hits both alike.
    from nlpkit.models.sequence_tagger import TaggerTrainer

    network = keras.Model(tagger.model_.inputs, tagger.model_.get_layer("potentials").output)
    trainer = TaggerTrainer(network, tagger.model_.get_layer("crf"), name="timing_trainer")
    trainer.compile(optimizer=keras.optimizers.Adam(args.learning_rate, clipnorm=5.0))
    batches = list(tagger._dataset(x_train, internal, shuffle=True).take(args.timing_batches))
    for feats, tags in batches[:3]:  # trace both step functions first
        trainer.train_on_batch(feats, tags)
        baseline.train_on_batch(feats[0], tags)
    round_tokens = sum(int(np.count_nonzero(f[0].numpy())) for f, _ in batches)
    ratios, crf_rounds, base_rounds = [], [], []
    for _ in range(3):
        t0 = time.perf_counter()
        for feats, tags in batches:
            trainer.train_on_batch(feats, tags)
        t1 = time.perf_counter()
        for feats, tags in batches:
            baseline.train_on_batch(feats[0], tags)
        t2 = time.perf_counter()
        crf_rounds.append(round_tokens / (t1 - t0))
        base_rounds.append(round_tokens / (t2 - t1))
        ratios.append((t2 - t1) / (t1 - t0))
    ratio_interleaved = float(np.median(ratios))
    total_min = (time.perf_counter() - t_all) / 60

    crf_tps, base_tps = crf_budget.tokens_per_second(), base_budget.tokens_per_second()
    load = os.getloadavg()
    vectors = "fine-tuned" if args.trainable_embeddings else "frozen"
    added = (
        "every pretrained word added"
        if pretrained_words is None
        else f"+{pretrained_words} most frequent pretrained words"
    )
    settings = (
        f"train {len(x_train)} sentences / {n_tokens} tokens, dev {len(x_dev)} sentences; "
        f"GloVe `{args.embeddings}` {vectors}, {added} (vocabulary "
        f"{len(tagger.vocabulary_):,}); char-{args.char_encoder}, hidden {args.hidden_size}, "
        f"batch {args.batch_size}, Adam lr {args.learning_rate} (decay {args.lr_decay} per epoch), "
        f"dropout {args.dropout}, "
        f"epoch cap {args.epochs}, seed {args.seed}"
    )
    per_type = ", ".join(
        f"{k.split('/')[0]} {100 * v:.2f}" for k, v in crf_scores.items() if k.endswith("/f1")
    )
    epochs_done = crf_budget.batches / n_batches
    f1 = crf_scores["f1"]
    stop = (
        f"early stop after {args.patience} epochs without improvement"
        if args.patience
        else "no early stop"
    )
    if args.select_on_dev:
        protocol = (
            f"**Model selection on dev** (`--select-on-dev`, {stop}): dev entity F1 was computed "
            f"after every epoch and the weights of the best epoch (epoch {tagger.best_epoch_} of "
            f"{len(dev_curve)}) were restored, as Lample et al. 2016 did (early stopping on dev). "
            "The dev F1 in the table is therefore measured on the data that chose the epoch: it "
            "is optimistic, not a held-out figure. The dev F1 of the last epoch's weights (the "
            f"weights at the end of training, no selection) was **{100 * last_f1:.2f}**. Dev F1 "
            "per epoch (the last one cut short if the time budget ran out): "
            + ", ".join(f"{100 * v:.2f}" for v in dev_curve)
            + "."
        )
        which = f"selected epoch {tagger.best_epoch_}; last epoch {100 * last_f1:.2f}"
    elif args.select_on_train_slice:
        n_sel_tokens = sum(map(len, selection[0]))
        protocol = (
            f"**Model selection on a held-out slice of the training data** "
            f"(`--select-on-train-slice {args.select_on_train_slice}`, {stop}): the last "
            f"{len(selection[0]):,} training sentences ({n_sel_tokens:,} tokens) were held out of "
            "training; their entity F1 after every epoch chose the epoch whose weights were "
            f"restored (epoch {tagger.best_epoch_} of {len(dev_curve)}). Dev was not used during "
            "training or selection, so the dev F1 in the table is a held-out figure. Slice F1 "
            "per epoch: " + ", ".join(f"{100 * v:.2f}" for v in dev_curve) + "."
        )
        which = f"epoch {tagger.best_epoch_} selected on the training slice; dev unseen"
    else:
        protocol = (
            "No model selection: the reported dev F1 is that of the weights after the last "
            "training step; dev was not used during training."
        )
        which = "last-epoch weights, dev not used"
    if f1 >= 0.94:
        verdict = f"reached in this run ({100 * f1:.2f}, {which})."
    else:
        verdict = (
            f"not reached in this run ({100 * f1:.2f}, {which}; {epochs_done:.1f} epochs / "
            f"{crf_budget.seconds() / 60:.1f} min of training)."
        )
    flags = " ".join(argv if argv is not None else sys.argv[1:])
    md = f"""## NER: CoNLL-2003 dev (`benchmarks/ner_conll2003.py`)

**CPU run** ({args.max_minutes:g}-minute budget, {total_min:.1f} min used; the machine was
shared: load average {load_start[0]:.2f} / {load_start[1]:.2f} / {load_start[2]:.2f} (1/5/15 min)
at the start of the run, {load[0]:.2f} at the end, on {os.cpu_count()} cores, so absolute speeds
are low and noisy; the ratio is measured side by side in the same run). {machine_line()}.
Command: `python benchmarks/ner_conll2003.py {flags}`.

Settings: {settings}.

{protocol}

| model | training | dev P | dev R | dev F1 | train tokens/s |
|---|---|---|---|---|---|
| EntityTagger: BiLSTM-CRF + char-{args.char_encoder} + casing + GloVe | {epochs_done:.1f} epochs ({crf_budget.batches} batches), {crf_budget.seconds() / 60:.1f} min | {100 * crf_scores["precision"]:.2f} | {100 * crf_scores["recall"]:.2f} | **{100 * f1:.2f}** ({which}) | {crf_tps:,.0f} |
| plain Keras BiLSTM-softmax + GloVe (baseline) | {base_budget.batches / n_batches:.1f} epochs ({base_budget.batches} batches), {base_budget.seconds() / 60:.1f} min | {100 * base_scores["precision"]:.2f} | {100 * base_scores["recall"]:.2f} | {100 * base_scores["f1"]:.2f} (last epoch) | {base_tps:,.0f} |

- Training speed, BiLSTM-CRF+chars relative to the baseline: **{ratio_interleaved:.2f}x** its
  tokens/s (median of 3 interleaved rounds of the same {args.timing_batches} batches per model:
  {np.median(crf_rounds):,.0f} vs {np.median(base_rounds):,.0f} tokens/s). Over the whole training
  windows above (after {args.warmup_batches} warm-up batches, time between epochs for validation
  excluded; not simultaneous, so the machine's load differed): {crf_tps / base_tps:.2f}x.
- The baseline trains for as many epochs as the tagger did, capped at {base_seconds / 60:.1f} min
  (here {base_budget.batches / n_batches:.1f} epochs); same batches, same vectors (frozen), no
  characters, casing, CRF or model selection.
- Inference through the exported SavedModel (raw sentences in, tokens + tags + spans out, batch
  64, dev set): **{words_per_s:,.0f} words/s**.
- Per-type dev F1 (EntityTagger): {per_type}.
- Anchors: Lample et al. 2016 test F1 90.94 (dev about 94), 83.63 without pretrained vectors;
  issue target dev F1 >= 94.0 with CRF and character features: {verdict}
"""
    if not args.no_write:
        write_section("ner", md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
