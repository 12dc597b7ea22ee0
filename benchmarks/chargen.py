"""Character-level LM benchmark on tiny-shakespeare: validation nats/char and generation speed.

    python benchmarks/chargen.py --max-minutes 8

Data: ../shared/data/chargen/tinyshakespeare.txt (or $NLPKIT_DATA), first 90% train, last 10%
validation (the usual split). Training stops after `--max-minutes` of wall time (checked after
every batch) or `--epochs`, whichever comes first; validation cross-entropy is then measured on
the whole validation text, each character predicted from its `--seq-len` window. Generation
speed is measured for `CharGenerator.generate` and for the exported SavedModel's `generate`
signature on the same prompts in the same run. Figures go to the `chargen` section of
benchmarks/RESULTS.md with every setting used.

Anchors (validation nats/char): 1.88 small CPU recipe; 1.47 6-layer Transformer on a GPU.
Issue target: <= 1.60 within 30 minutes of CPU training.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks._results import data_path, machine_line, write_section  # noqa: E402
from nlpkit.data.text_lines import read_text  # noqa: E402
from nlpkit.pipelines.chargen import CharGenerator  # noqa: E402


class _CosineDecay(keras.callbacks.Callback):
    """Set the learning rate before every batch to a half cosine from `lr` to `min_lr` over the
    run's progress: the larger of the elapsed share of the time budget and of the epoch cap, so
    the rate reaches `min_lr` when training ends whichever limit ends it."""

    def __init__(self, seconds: float, lr: float, min_lr: float, epochs: int):
        super().__init__()
        self.seconds, self.lr, self.min_lr, self.epochs = seconds, lr, min_lr, epochs
        self.epoch = 0
        self.batches = 0

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        elapsed = time.perf_counter() - self.start
        frac = min(1.0, max(elapsed / self.seconds, self.epoch / self.epochs))
        lr = self.min_lr + 0.5 * (self.lr - self.min_lr) * (1 + math.cos(math.pi * frac))
        self.model.optimizer.learning_rate.assign(lr)


def _time(fn, repeats: int = 1) -> float:
    fn()  # warm up (tracing)
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--max-minutes", type=float, default=8.0, help="training wall-time budget")
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--max-train-chars", type=int, default=None, help="cap the training text")
    p.add_argument("--seq-len", type=int, default=100)
    p.add_argument("--cell", default="lstm")
    p.add_argument("--num-layers", type=int, default=1)
    p.add_argument("--hidden-size", type=int, default=256)
    p.add_argument("--embedding-dim", type=int, default=32)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--learning-rate", type=float, default=4e-3)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--gen-chars", type=int, default=300, help="characters per generated text")
    p.add_argument("--gen-batch", type=int, default=16, help="texts generated per call")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--dev-chars",
        type=int,
        default=0,
        help="hold out the last N training characters for early stopping (best epoch restored); 0: none",
    )
    p.add_argument("--patience", type=int, default=2, help="early-stopping patience in epochs")
    p.add_argument(
        "--windows",
        default="random",
        choices=["random", "fixed"],
        help="training windows: random start positions each epoch, or fixed non-overlapping cuts",
    )
    p.add_argument(
        "--lr-decay",
        default="none",
        choices=["none", "cosine"],
        help="cosine: the learning rate follows a half cosine from --learning-rate to --min-lr "
        "over the time budget (or --epochs, whichever ends training first)",
    )
    p.add_argument("--min-lr", type=float, default=1e-4)
    p.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    args = p.parse_args(argv)

    path = data_path("chargen", "tinyshakespeare.txt")
    text = read_text(path)
    cut = int(len(text) * 0.9)
    train, val = text[:cut], text[cut:]
    if args.max_train_chars:
        train = train[: args.max_train_chars]
    dev = None
    if args.dev_chars:
        # Early stopping watches the end of the training portion, never the reported validation text.
        train, dev = train[: -args.dev_chars], train[-args.dev_chars :]
    gen = CharGenerator(
        mode="stream",
        seq_len=args.seq_len,
        windows=args.windows,
        cell=args.cell,
        num_layers=args.num_layers,
        hidden_size=args.hidden_size,
        embedding_dim=args.embedding_dim,
        dropout=args.dropout,
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        early_stopping=args.patience,
        seed=args.seed,
        verbose=2,
        max_minutes=args.max_minutes,
    )
    callbacks = []
    if args.lr_decay == "cosine":
        callbacks.append(
            _CosineDecay(args.max_minutes * 60, args.learning_rate, args.min_lr, args.epochs)
        )
    load_at_start = os.getloadavg()[0]
    start = time.perf_counter()
    gen.fit(
        [train], validation_data=[dev] if dev else None, epochs=args.epochs, callbacks=callbacks
    )
    train_s = time.perf_counter() - start
    steps_per_epoch = -(-len(gen._items([train])) // args.batch_size)
    epochs_done = gen.training_.steps / steps_per_epoch
    start = time.perf_counter()
    metrics = gen.evaluate([val])
    eval_s = time.perf_counter() - start
    print("validation", metrics)

    prompts = ["ROMEO:\n"]
    n, length = args.gen_batch, args.gen_chars
    t_gen1 = _time(lambda: gen.generate(prompts[0], n=1, max_length=length, seed=1), 3)
    t_genb = _time(lambda: gen.generate(prompts[0], n=n, max_length=length, seed=1), 3)
    with tempfile.TemporaryDirectory() as tmp:
        export_dir = gen.export(Path(tmp) / "chargen")
        loaded = tf.saved_model.load(str(export_dir))
        sig = loaded.signatures["generate"]

        def run_export(batch):
            return sig(
                prompts=tf.constant(prompts * batch),
                max_length=tf.constant(length),
                temperature=tf.constant(1.0),
                seed=tf.constant(1),
            )["text"]

        t_exp1 = _time(lambda: run_export(1), 3)
        t_expb = _time(lambda: run_export(n), 3)
        same = [s.decode() for s in run_export(n).numpy()] == gen.generate(
            prompts[0], n=n, max_length=length, seed=1
        )
    sample = gen.generate(prompts[0], n=1, max_length=300, temperature=0.8, seed=0)[0]
    print(sample)

    nats = metrics["nats_per_char"]
    cps = {
        "generate_1": length / t_gen1,
        "generate_b": n * length / t_genb,
        "export_1": length / t_exp1,
        "export_b": n * length / t_expb,
    }
    settings = (
        f"cell={args.cell}, num_layers={args.num_layers}, hidden_size={args.hidden_size}, "
        f"embedding_dim={args.embedding_dim}, dropout={args.dropout}, seq_len={args.seq_len}, "
        f"windows={args.windows}, "
        f"batch_size={args.batch_size}, learning_rate={args.learning_rate}"
        + (
            f" (cosine decay to {args.min_lr:g} over the time budget)"
            if args.lr_decay == "cosine"
            else ""
        )
        + ", clipnorm=5, "
        f"seed={args.seed}, train chars={len(train):,}, validation chars={len(val):,}, "
        f"budget={args.max_minutes} min / {args.epochs} epochs, "
        + (
            f"early stopping on the last {len(dev):,} training chars (patience {args.patience}, best epoch restored)"
            if dev
            else "no early stopping (last epoch's weights)"
        )
    )
    epochs_run = len(gen.history_["loss"])
    if gen.training_.stop_reason == "max_minutes":
        stopped_by = "the time budget"
    elif dev and epochs_run < args.epochs:
        stopped_by = "early stopping"
    else:
        stopped_by = "the epoch cap"
    md = f"""## Character-level LM (`benchmarks/chargen.py`, issue 5)

CPU run ({machine_line()}; {os.cpu_count()} cores; 1-minute load average {load_at_start:.1f} when
training started, other jobs may have shared the CPU). tiny-shakespeare, first 90% train / last 10% validation.

Settings: {settings}.

| figure | value |
|---|---|
| validation nats/char | **{nats:.3f}** (bits/char {metrics["bits_per_char"]:.3f}, perplexity {metrics["perplexity"]:.2f}) |
| training wall time | {train_s / 60:.1f} min, {gen.training_.steps} batches = {epochs_done:.2f} epochs (stopped by {stopped_by}) |
| parameters | {gen.card_["num_parameters"]:,} |
| evaluation time (validation, {int(metrics["num_chars"]):,} chars) | {eval_s:.1f} s |
| generate(), 1 text x {length} chars | {cps["generate_1"]:,.0f} chars/s |
| generate(), {n} texts x {length} chars | {cps["generate_b"]:,.0f} chars/s |
| SavedModel `generate`, 1 text x {length} chars | {cps["export_1"]:,.0f} chars/s |
| SavedModel `generate`, {n} texts x {length} chars | {cps["export_b"]:,.0f} chars/s |
| SavedModel / generate() speed ratio (batch {n}) | {cps["export_b"] / cps["generate_b"]:.2f} |
| SavedModel samples identical to generate() (same seed) | {same} |

Anchors: 1.88 nats/char (small CPU recipe), 1.47 (6-layer Transformer, GPU); issue target
<= 1.60 within 30 min of CPU training. This run's budget was {args.max_minutes:g} min
({train_s / 60:.1f} min used): {"the target is met" if nats <= 1.60 else "the target is NOT met"}.

Sample (temperature 0.8, prompt "ROMEO:\\n"):

```
{sample}
```
"""
    print(md)
    if not args.no_write:
        write_section("chargen", md)


if __name__ == "__main__":
    main()
