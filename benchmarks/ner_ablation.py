"""NER ablation (issue 16, part 3): each generalisation idea judged by CoNLL-2003 dev F1.

The epoch is chosen on a slice held out of the training data (the last `--slice` training
sentences, never trained on except by the refit), so dev is never seen during training or
selection: dev F1 is a held-out figure for every row. Rows:

- `base`: `EntityTagger` with char CNN, casing and GloVe 6B 50d (the top `--pretrained-words`
  words, training rows fine-tuned), epoch selected on the slice;
- `word_dropout`: base + `word_dropout=0.5` (training singletons -> [UNK], Lample et al. 2016);
- `char_both`: base with `char_encoder="both"` (char CNN and char BiLSTM side by side);
- `average`: base + `AverageLastEpochs(3, monitor="val_f1")` (the mean of the weights of the 3
  epochs ending at the selected one);
- `refit`: base's selected epoch count, retrained from scratch on train + slice (`refit`), the
  stand-in for the final train + dev refit (which cannot be judged on dev).

    python benchmarks/ner_ablation.py --train 3000 --slice 500 --epochs 15
    python benchmarks/ner_ablation.py --rows base,average --no-write

Reduced-size runs (a subset of the training file, one seed) on a shared CPU: differences of a
few tenths of a point are within seed noise. Writes benchmarks/RESULTS.md section `ner_ablation`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._results import data_path, machine_line, write_section  # noqa: E402

ROWS = ("base", "word_dropout", "char_both", "average", "refit")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", type=int, default=3000, help="training sentences (0 = all)")
    ap.add_argument("--slice", type=int, default=500, help="selection slice (end of train)")
    ap.add_argument("--epochs", type=int, default=15, help="epoch cap")
    ap.add_argument("--patience", type=int, default=4, help="early stopping on slice F1")
    ap.add_argument("--pretrained-words", type=int, default=50_000)
    ap.add_argument("--hidden-size", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rows", default=",".join(ROWS))
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    bad = [r for r in rows if r not in ROWS]
    if bad:
        ap.error(f"unknown rows {bad}; choose from {list(ROWS)}")

    from nlpkit.data.conll import read_conll
    from nlpkit.embeddings import load
    from nlpkit.metrics.entities import entity_scores
    from nlpkit.pipelines.tagger import EntityTagger
    from nlpkit.utils.weight_averaging import AverageLastEpochs

    base_dir = data_path("ner", "conll2003")
    x_all, y_all = read_conll(base_dir / "train.txt")
    x_dev, y_dev = read_conll(base_dir / "dev.txt")
    x_slice, y_slice = x_all[-args.slice :], y_all[-args.slice :]
    x_tr, y_tr = x_all[: -args.slice], y_all[: -args.slice]
    if args.train:
        x_tr, y_tr = x_tr[: args.train], y_tr[: args.train]
    kv = load("glove-6B-50d")
    config = dict(
        embeddings=kv,
        trainable_embeddings=True,
        pretrained_words=args.pretrained_words,
        char_encoder="cnn",
        hidden_size=args.hidden_size,
        dropout=0.5,
        learning_rate=0.003,
        batch_size=32,
        early_stopping=args.patience,
        seed=args.seed,
        verbose=0,
    )
    variants = {
        "base": ({}, None),
        "word_dropout": ({"word_dropout": 0.5}, None),
        "char_both": ({"char_encoder": "both"}, None),
        "average": ({}, "average"),
    }
    load_start = os.getloadavg()
    results: dict[str, dict] = {}
    base_tagger = None
    for name in rows:
        t0 = time.perf_counter()
        if name == "refit":
            if base_tagger is None:
                base_tagger = EntityTagger(**config).fit(
                    x_tr, y_tr, validation_data=(x_slice, y_slice), epochs=args.epochs
                )
            tagger = base_tagger.refit(x_tr + x_slice, y_tr + y_slice)
            selected = base_tagger.best_epoch_
            note = f"{selected} epochs (base's selection), train + slice"
        else:
            extra, how = variants[name]
            callbacks = [AverageLastEpochs(3, monitor="val_f1")] if how == "average" else None
            tagger = EntityTagger(**{**config, **extra}).fit(
                x_tr,
                y_tr,
                validation_data=(x_slice, y_slice),
                epochs=args.epochs,
                callbacks=callbacks,
            )
            if name == "base":
                base_tagger = tagger
            selected = tagger.best_epoch_
            note = f"epoch {selected} of {len(tagger.history_['loss'])}"
            if how == "average":
                note += f", weights of epochs {callbacks[0].averaged_epochs} averaged"
        slice_f1 = max(tagger.history_["val_f1"]) if "val_f1" in tagger.history_ else float("nan")
        dev = entity_scores(y_dev, tagger.predict(x_dev))
        results[name] = dict(
            note=note,
            slice_f1=slice_f1,
            dev_p=dev["precision"],
            dev_r=dev["recall"],
            dev_f1=dev["f1"],
            minutes=(time.perf_counter() - t0) / 60,
        )
        print(name, results[name], flush=True)
    load_end = os.getloadavg()

    lines = [
        "| row | training / selection | slice F1 (selection) | dev P | dev R | dev F1 | minutes |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in rows:
        r = results[name]
        slice_f1 = "-" if r["slice_f1"] != r["slice_f1"] else f"{100 * r['slice_f1']:.2f}"
        lines.append(
            f"| {name} | {r['note']} | {slice_f1} | {100 * r['dev_p']:.2f} | "
            f"{100 * r['dev_r']:.2f} | **{100 * r['dev_f1']:.2f}** | {r['minutes']:.1f} |"
        )
    table = "\n".join(lines)
    print(table)
    if args.no_write:
        return
    n_train = len(x_tr)
    write_section(
        "ner_ablation",
        f"""## NER ablation: CoNLL-2003 dev (`benchmarks/ner_ablation.py`, issue 16)

Reduced size: the first {n_train} training sentences, the epoch chosen on the last
{args.slice} training sentences (the selection slice; dev never seen in training or selection),
epoch cap {args.epochs}, early stopping after {args.patience} epochs without slice-F1 gain, one
seed ({args.seed}). Base: char CNN + casing + GloVe 6B 50d (top {args.pretrained_words:,} words,
training rows fine-tuned), hidden {args.hidden_size}, dropout 0.5, Adam 0.003, batch 32.

{table}

{machine_line()}; load average {load_start[0]:.2f} at the start, {load_end[0]:.2f} at the end
(other sessions' jobs shared the 2 cores).
Command: `python benchmarks/ner_ablation.py --train {args.train} --slice {args.slice} --epochs {args.epochs} --patience {args.patience} --rows {",".join(rows)}`.
""",
    )


if __name__ == "__main__":
    main()
