"""JSB Chorales piano-roll benchmark for `MusicGenerator` (issue 6).

Trains piano-roll models (one per `--cells` x `--key-models` pair) on the Boulanger-Lewandowski 2012 training
split of JSB Chorales (quarter-note steps) and reports the negative log-likelihood per time step
(nats, binary cross-entropy summed over the 88 keys) on the validation split, next to a baseline
measured in the same run (independent per-key frequencies from the training split). Key models:
`independent` (88 sigmoid outputs, keys independent given the past, as in the LSTM/GRU/TCN
anchors) and `nade` (RNN-NADE: the keys of a step conditioned on the keys below them). Published
test-set anchors: LSTM ~8.5, GRU ~8.5, TCN 8.10 (independent keys); RNN-NADE 5.56
(Boulanger-Lewandowski et al. 2012); target <= 8.3 on validation.

    python benchmarks/music_jsb.py --max-minutes 10
    python benchmarks/music_jsb.py --cells lstm --key-models nade --max-minutes 60   # a full run

Data is read from ../shared/data/music/jsb_chorales (or $NLPKIT_DATA); the script exits cleanly
when it is absent. Figures go to the `music` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks._results import data_path, machine_line, write_section  # noqa: E402
from nlpkit.data.music import read_jsb_json  # noqa: E402
from nlpkit.data.music_events import steps_to_pianoroll  # noqa: E402
from nlpkit.pipelines.music import MusicGenerator  # noqa: E402

ANCHORS = (
    "LSTM ~8.5, GRU ~8.5, TCN 8.10 (independent keys), RNN-NADE 5.56 "
    "(Boulanger-Lewandowski et al. 2012) (published, test split)"
)


def marginal_baseline(train_rolls, valid_rolls) -> float:
    """NLL per step of independent Bernoulli keys with the training frequencies (add-0.5)."""
    counts = sum(r.sum(0) for r in train_rolls).astype(np.float64)
    steps = sum(len(r) for r in train_rolls)
    p = (counts + 0.5) / (steps + 1.0)
    total = 0.0
    for r in valid_rolls:
        total -= float((r * np.log(p) + (1 - r) * np.log1p(-p)).sum())
    return total / sum(len(r) for r in valid_rolls)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--max-minutes", type=float, default=10.0, help="wall-time budget for all training"
    )
    ap.add_argument("--epochs", type=int, default=200, help="maximum epochs per model")
    ap.add_argument("--cells", default="lstm", help="comma-separated cells to train")
    ap.add_argument(
        "--key-models",
        default="nade,independent",
        help="comma-separated key models to train (nade, independent)",
    )
    ap.add_argument("--nade-hidden", type=int, default=64)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--dropout", type=float, default=0.3)
    ap.add_argument("--attention-window", type=int, default=0)
    ap.add_argument("--transpose", type=int, default=3, help="augment with shifts -N..N semitones")
    ap.add_argument("--sequence-length", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=0.003)
    ap.add_argument("--patience", type=int, default=6)
    ap.add_argument(
        "--lr-decay-patience",
        type=int,
        default=0,
        help="halve the learning rate after this many epochs without improvement (0: off)",
    )
    ap.add_argument("--max-examples", type=int, default=0, help="cap training chorales (0: all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-write", action="store_true", help="print, do not write RESULTS.md")
    args = ap.parse_args(argv)

    path = data_path("music", "jsb_chorales", "jsb-chorales-quarter.train-valid.json")
    splits = read_jsb_json(path)
    train, valid = splits["train"], splits["valid"]
    if args.max_examples:
        train = train[: args.max_examples]
    train_rolls = [steps_to_pianoroll(p) for p in train]
    valid_rolls = [steps_to_pianoroll(p) for p in valid]
    baseline = marginal_baseline(train_rolls, valid_rolls)
    print(
        f"train {len(train)} chorales / {sum(map(len, train))} steps; valid {len(valid)} / "
        f"{sum(map(len, valid))} steps; marginal baseline {baseline:.3f} nats/step"
    )

    cells = [c.strip() for c in args.cells.split(",") if c.strip()]
    key_models = [k.strip() for k in args.key_models.split(",") if k.strip()]
    models = [(c, k) for c in cells for k in key_models]
    budget = args.max_minutes * 60.0 / len(models)
    rows = []
    for cell, key_model in models:
        gen = MusicGenerator(
            representation="piano_roll",
            cell=cell,
            key_model=key_model,
            nade_hidden=args.nade_hidden,
            hidden_size=args.hidden,
            num_layers=args.layers,
            dropout=args.dropout,
            attention_window=args.attention_window,
            transpositions=list(range(-args.transpose, args.transpose + 1)),
            sequence_length=args.sequence_length,
            batch_size=args.batch_size,
            learning_rate=args.lr,
            early_stopping=args.patience,
            seed=args.seed,
            verbose=2,
            max_minutes=budget / 60.0,
        )
        callbacks = []
        if args.lr_decay_patience:
            callbacks.append(
                keras.callbacks.ReduceLROnPlateau(
                    monitor="val_loss", factor=0.5, patience=args.lr_decay_patience, min_lr=1e-4
                )
            )
        t0 = time.perf_counter()
        gen.fit(train_rolls, validation_data=valid_rolls, epochs=args.epochs, callbacks=callbacks)
        train_s = time.perf_counter() - t0
        m = gen.evaluate(valid_rolls)
        best_epoch = int(np.argmin(gen.history_["val_loss"])) + 1
        t0 = time.perf_counter()
        sample = gen.generate_events(max_length=64, temperature=1.0, seed=args.seed)
        gen_s = time.perf_counter() - t0
        rows.append(
            {
                "cell": cell,
                "name": f"{cell.upper()} {args.layers}x{args.hidden}, {key_model} keys",
                "notes_per_step": float(sample.sum(1).mean()),
                "gen_steps_s": 64 / gen_s,
                "nll": m["nll_per_step"],
                "bits": m["bits_per_step"],
                "epochs": len(gen.history_["loss"]),
                "best_epoch": best_epoch,
                "train_s": train_s,
                "stopped_by": "time budget"
                if gen.training_.stop_reason == "max_minutes"
                else (
                    "early stopping" if len(gen.history_["loss"]) < args.epochs else "max epochs"
                ),
                "params": gen.model_.count_params(),
            }
        )
        print(rows[-1])

    settings = (
        f"hidden {args.hidden}, layers {args.layers}, dropout {args.dropout}, attention window "
        f"{args.attention_window}, NADE hidden {args.nade_hidden} (nade rows), transpositions -{args.transpose}..+{args.transpose}, windows of "
        f"{args.sequence_length} steps, batch {args.batch_size}, Adam lr {args.lr} (clipnorm 1), "
        f"early-stopping patience {args.patience}, "
        + (
            f"learning rate halved after {args.lr_decay_patience} epochs without improvement, "
            if args.lr_decay_patience
            else ""
        )
        + f"max {args.epochs} epochs, budget "
        f"{args.max_minutes:g} min shared by {len(models)} model(s), seed {args.seed}, "
        f"train chorales {len(train)}"
    )
    first = rows[0]
    lines = [
        "## Music generation: JSB Chorales piano roll (`benchmarks/music_jsb.py`)",
        "",
        f"Machine: {machine_line()}. Validation split ({len(valid)} chorales, "
        f"{sum(map(len, valid))} quarter-note steps); NLL per step in nats, summed binary "
        "cross-entropy over the 88 keys. "
        + (
            "**Reduced-budget CPU run** on a CPU shared with other jobs. "
            if any(r["stopped_by"] == "time budget" for r in rows)
            else ""
        )
        + f"Published anchors: {ANCHORS}. Target: <= 8.3 on validation.",
        "",
        f"Settings: {settings}.",
        "",
        "| model | valid NLL/step (nats) | bits/step | vs. marginal baseline | "
        "vs. first row | epochs (best) | stopped by | train time | parameters | "
        "sample: notes/step | generation steps/s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        f"| independent key frequencies (baseline, same run) | {baseline:.3f} | "
        f"{baseline / math.log(2):.3f} | 1.000 | - | - | - | - | 88 | - | - |",
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['nll']:.3f} | {r['bits']:.3f} | "
            f"{r['nll'] / baseline:.3f} | {r['nll'] / first['nll']:.3f} | {r['epochs']} ({r['best_epoch']}) | "
            f"{r['stopped_by']} | {r['train_s'] / 60:.1f} min | {r['params']:,} | "
            f"{r['notes_per_step']:.2f} | {r['gen_steps_s']:.0f} |"
        )
    best = min(rows, key=lambda r: r["nll"])
    verdict = "meets" if best["nll"] <= 8.3 else "does not meet"
    valid_notes = sum(float(r.sum()) for r in valid_rolls) / sum(len(r) for r in valid_rolls)
    lines += [
        "",
        f"Best: {best['name']} at {best['nll']:.3f} nats/step, which {verdict} the <= 8.3 "
        "validation target in this run. Early stopping watched this same validation split (the "
        "data has no separate test split), and its best epoch is the model reported. "
        f"'sample: notes/step' is the mean number of keys on in 64 steps generated at temperature "
        f"1 (validation chorales: {valid_notes:.2f}). Train-time ratios between rows are measured "
        "side by side on a shared CPU; absolute times drift with the load.",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section("music", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
