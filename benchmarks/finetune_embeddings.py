"""Fine-tuned pretrained vectors on a few thousand short texts (issue 16, part 2).

Short sentiment texts: the last `--words` words of IMDB training reviews (the reviews' endings,
where the verdict usually is; the review's label), `--train` for training, `--validation` for
early stopping and `--test` held out, drawn once with a fixed seed from the 25,000 reviews.
`TextClassifier` defaults (BiLSTM 64, Adam 1e-3, batch 32, early stopping 3 on validation loss,
best weights restored) over GloVe 6B 50d, with:

- `frozen`: the vectors frozen (the default, `trainable_embeddings=False`);
- `finetune-same-lr`: fine-tuned at the network's learning rate (`embedding_learning_rate`'s
  default);
- `finetune-tenth-lr`: fine-tuned with `embedding_learning_rate=1e-4`, a tenth.

    python benchmarks/finetune_embeddings.py --seeds 2

Writes benchmarks/RESULTS.md section `finetune`.
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

SETUPS = {
    "frozen": dict(trainable_embeddings=False),
    "finetune-same-lr": dict(trainable_embeddings=True),
    "finetune-tenth-lr": dict(trainable_embeddings=True, embedding_learning_rate=1e-4),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", type=int, default=3000)
    ap.add_argument("--validation", type=int, default=500)
    ap.add_argument("--test", type=int, default=2000)
    ap.add_argument("--words", type=int, default=40)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--setups", default=",".join(SETUPS))
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    names = [s for s in args.setups.split(",") if s]

    from nlpkit import TextClassifier
    from nlpkit.data.classification import read_jsonl
    from nlpkit.embeddings import load

    texts, labels = read_jsonl(data_path("sentiment", "imdb", "train.jsonl.gz"))
    order = np.random.default_rng(0).permutation(len(texts))
    short = [" ".join(texts[i].replace("<br />", " ").split()[-args.words :]) for i in order]
    lab = [labels[i] for i in order]
    a, b = args.train, args.train + args.validation
    train, val = (short[:a], lab[:a]), (short[a:b], lab[a:b])
    test = (short[b : b + args.test], lab[b : b + args.test])
    vectors = load("glove-6B-50d")
    load_start = os.getloadavg()[0]
    results = {}
    for name in names:
        runs = []
        for seed in range(args.seeds):
            clf = TextClassifier(
                embeddings=vectors, max_length=args.words, seed=seed, verbose=0, **SETUPS[name]
            )
            t0 = time.perf_counter()
            clf.fit(*train, validation_data=val, epochs=args.epochs)
            seconds = time.perf_counter() - t0
            h = clf.history_
            best = int(np.argmin(h["val_loss"]))
            run = dict(
                val_loss=[round(v, 3) for v in h["val_loss"]],
                train_acc=[round(100 * v, 1) for v in h["accuracy"]],
                val_acc=[round(100 * v, 1) for v in h["val_accuracy"]],
                best_epoch=best + 1,
                test_acc=100 * clf.evaluate(*test)["accuracy"],
                seconds=seconds,
            )
            print(name, seed, run, flush=True)
            runs.append(run)
        results[name] = runs

    lines = [
        "| set-up | seed | val loss per epoch | train acc per epoch | best epoch (val loss) | "
        "test acc (best weights) | s |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in names:
        for seed, r in enumerate(results[name]):
            lines.append(
                f"| {name} | {seed} | {', '.join(map(str, r['val_loss']))} | "
                f"{', '.join(map(str, r['train_acc']))} | {r['best_epoch']} | "
                f"{r['test_acc']:.1f} | {r['seconds']:.0f} |"
            )
    for name in names:
        accs = [r["test_acc"] for r in results[name]]
        lines.append(f"| **{name} mean** | | | | | **{np.mean(accs):.1f}** | |")
    table = "\n".join(lines)
    print(table)
    if args.no_write:
        return
    write_section(
        "finetune",
        f"""## Fine-tuned vectors on a few thousand short texts (`benchmarks/finetune_embeddings.py`, issue 16)

The last {args.words} words of IMDB training reviews (label of the review): {args.train} for
training, {args.validation} for validation (early stopping, patience 3, best weights restored),
{args.test} held out; one fixed draw. `TextClassifier` defaults (BiLSTM 64, Adam 1e-3, batch
32, GloVe 6B 50d with 50,000 words), epoch cap {args.epochs}. `frozen` is the default;
`finetune-same-lr` fine-tunes the vectors at the network's learning rate (the default of
`embedding_learning_rate`), `finetune-tenth-lr` at a tenth of it.

{table}

{machine_line()}; load average {load_start:.2f} at the start (other sessions' jobs shared the
2 cores). Command: `python benchmarks/finetune_embeddings.py --seeds {args.seeds} --epochs {args.epochs}`.
""",
    )


if __name__ == "__main__":
    main()
