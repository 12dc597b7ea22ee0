"""Neural machine translation benchmark (issue 7).

1. Dates: train the character-level date translator on generated pairs, then measure exact-match
   accuracy on 2,000 freshly generated dates (a different seed; target >= 99.5%).
2. Multi30k en->de (`../shared/data/translation/multi30k`): validation BLEU with beam 5 (anchor
   ~20 for an RNN with Bahdanau attention, target >= 30), training target tokens/s and SavedModel
   sentences/s, under a wall-clock budget.

    python benchmarks/nmt.py --max-minutes 8 --dates-epochs 3
    python benchmarks/nmt.py --skip-dates --max-minutes 60 --epochs 15   # a longer run
    python benchmarks/nmt.py --skip-dates --keep-skipped --max-minutes 12  # Multi30k only; keep
                                                    # the dates figures already in RESULTS.md

Figures go to the `nmt` section of benchmarks/RESULTS.md with the settings used.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks._results import DATA, RESULTS, machine_line, write_section  # noqa: E402
from nlpkit.data.dates import generate_dates  # noqa: E402
from nlpkit.data.parallel import read_parallel  # noqa: E402
from nlpkit.metrics.translation import translation_metrics  # noqa: E402
from nlpkit.pipelines.translator import Translator  # noqa: E402


class _Clock(keras.callbacks.Callback):
    """Counts steps and training wall time (the budget itself is the pipeline's `max_minutes`)."""

    def __init__(self):
        super().__init__()
        self.steps = 0

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1

    def on_train_end(self, logs=None):
        self.elapsed = time.perf_counter() - self.start


def _savedmodel_speed(
    translator: Translator, sources: list[str], batch: int, tmp: Path
) -> tuple[float, list[str]]:
    path = translator.export(tmp)
    fn = tf.saved_model.load(str(path)).signatures["translate"]
    fn(text=tf.constant(sources[:batch]))  # warm-up
    out: list[str] = []
    start = time.perf_counter()
    for i in range(0, len(sources), batch):
        out += [
            t.decode() for t in fn(text=tf.constant(sources[i : i + batch]))["translation"].numpy()
        ]
    return len(sources) / (time.perf_counter() - start), out


def run_dates(args) -> str:
    human, iso = generate_dates(args.dates_train, seed=0)
    val_h, val_i = generate_dates(500, seed=1)
    test_h, test_i = generate_dates(2000, seed=12345)  # fresh dates, unseen seed
    tr = Translator(
        level="char",
        hidden_size=args.dates_hidden,
        embedding_dim=32,
        dropout=0.0,
        beam_width=3,
        batch_size=64,
        learning_rate=3e-3,
        seed=0,
        verbose=2,
        max_minutes=args.max_minutes,
    )
    budget = _Clock()
    tr.fit(human, iso, validation_data=(val_h, val_i), epochs=args.dates_epochs, callbacks=[budget])
    tokens = sum(len(t) + 1 for t in iso) * len(tr.history_["loss"])
    t0 = time.perf_counter()
    greedy = tr.evaluate(test_h, test_i, beam_width=1)
    beam = tr.evaluate(test_h, test_i, beam_width=3)
    eval_s = time.perf_counter() - t0
    preds = tr.predict(test_h, beam_width=3)
    errors = [
        f"`{h}` -> `{p}` (expected `{i}`)"
        for h, p, i in zip(test_h, preds, test_i, strict=True)
        if p != i
    ]
    sps, exported = _savedmodel_speed(tr, test_h, 64, Path(args.tmp) / "dates")
    same = exported == tr.predict(test_h)
    overlap = len(set(test_h) & set(human))
    return "\n".join(
        [
            "### Dates (human-readable -> ISO), character level",
            "",
            f"Settings: {args.dates_train} generated training pairs (seed 0), 500 validation, "
            f"{len(tr.history_['loss'])} epochs, BiLSTM {args.dates_hidden}/direction, Bahdanau attention, "
            f"embedding 32, batch 64, Adam 3e-3. Test: 2,000 freshly generated dates (seed 12345; "
            f"{overlap} of them also occur verbatim among the training strings).",
            "",
            "| metric | greedy | beam 3 |",
            "|---|---|---|",
            f"| exact match (target >= 99.5%) | {100 * greedy['exact_match']:.2f}% | {100 * beam['exact_match']:.2f}% |",
            f"| character accuracy | {100 * greedy['token_accuracy']:.2f}% | {100 * beam['token_accuracy']:.2f}% |",
            "",
            f"Training: {budget.elapsed:.0f} s wall, {tokens / budget.elapsed:,.0f} target characters/s "
            f"(incl. graph tracing and validation). Evaluation of 2 x 2,000 dates: {eval_s:.0f} s. "
            f"SavedModel `translate` (beam 3, batch 64): {sps:,.0f} sentences/s; "
            f"outputs identical to `predict`: {same}.",
            "",
            f"Beam-3 errors ({len(errors)}), first three: " + "; ".join(errors[:3]),
        ]
    )


def run_multi30k(args) -> str:
    root = DATA / "translation" / "multi30k"
    if not root.exists():
        return f"### Multi30k en->de\n\nSKIPPED: {root} not found."
    src, tgt = read_parallel(
        root / "train.en.gz", root / "train.de.gz", max_examples=args.max_examples
    )
    val_src, val_tgt = read_parallel(root / "val.en.gz", root / "val.de.gz")
    val_src, val_tgt = val_src[: args.max_eval], val_tgt[: args.max_eval]
    tr = Translator(
        level="word",
        lowercase=True,
        min_count=2,
        hidden_size=args.hidden,
        embedding_dim=args.hidden,
        dropout=args.dropout,
        label_smoothing=args.label_smoothing,
        beam_width=5,
        length_penalty=0.6,
        batch_size=args.batch_size,
        learning_rate=2e-3,
        seed=0,
        verbose=2,
        early_stopping=None,
        max_minutes=args.max_minutes,
    )
    budget = _Clock()
    tr.fit(src, tgt, epochs=args.epochs, callbacks=[budget])
    n_tokens = sum(len(t) + 1 for t in tr._token_lists(tgt))
    steps_per_epoch = -(-len(src) // args.batch_size)
    trained_tokens = n_tokens * budget.steps / steps_per_epoch
    refs = tr.normalize(val_tgt)
    t0 = time.perf_counter()
    beam_preds = tr.predict(val_src, beam_width=5)
    eval_s = time.perf_counter() - t0
    greedy_preds = tr.predict(val_src, beam_width=1)
    beam = translation_metrics(beam_preds, refs, level="word")
    greedy = translation_metrics(greedy_preds, refs, level="word")

    def ratio(preds):
        return sum(len(p.split()) for p in preds) / sum(len(r.split()) for r in refs)

    sps, _ = _savedmodel_speed(tr, val_src, 64, Path(args.tmp) / "multi30k")
    epochs_done = budget.steps / steps_per_epoch
    return "\n".join(
        [
            "### Multi30k en->de (word level, lowercased)",
            "",
            f"Settings: {len(src):,} training pairs, vocab min_count 2 (en {len(tr.source_vocabulary_):,}, "
            f"de {len(tr.target_vocabulary_):,}), BiLSTM {args.hidden}/direction + LSTM {2 * args.hidden} "
            f"decoder with Bahdanau attention, a linear attentional layer and input feeding, embedding {args.hidden}, dropout "
            f"{args.dropout:g}, label smoothing {args.label_smoothing:g}, batch {args.batch_size}, Adam 2e-3; training stopped by the "
            f"{args.max_minutes:g}-minute budget after {budget.steps} steps ({epochs_done:.2f} epochs). "
            f"Validation: first {len(val_src)} of 1,014 pairs, references lowercased and tokenised "
            "like the output (sacrebleu 13a BLEU on top).",
            "",
            "| metric | greedy | beam 5 (alpha 0.6) |",
            "|---|---|---|",
            f"| BLEU (anchor ~20, target >= 30) | {greedy['bleu']:.2f} | {beam['bleu']:.2f} |",
            f"| chrF | {greedy['chrf']:.2f} | {beam['chrf']:.2f} |",
            f"| exact match | {100 * greedy['exact_match']:.2f}% | {100 * beam['exact_match']:.2f}% |",
            f"| output / reference length (tokens) | {ratio(greedy_preds):.2f} | {ratio(beam_preds):.2f} |",
            "",
            f"Example (beam 5): `{val_src[0]}` -> `{beam_preds[0]}` (reference `{refs[0]}`).",
            "",
            "Training loss (cross-entropy per target token, mean over each epoch; the last may be "
            "a partial epoch): " + ", ".join(f"{v:.2f}" for v in tr.history_["loss"]) + ".",
            "",
            f"Training: {trained_tokens / budget.elapsed:,.0f} target tokens/s ({budget.elapsed:.0f} s wall "
            f"incl. tracing). Beam-5 evaluation of {len(val_src)} sentences: {eval_s:.0f} s. SavedModel "
            f"`translate` (beam 5, batch 64): {sps:,.1f} sentences/s.",
            "",
            f"This is a reduced-budget run on a 2-core CPU shared with other jobs: the model trained "
            f"for {epochs_done:.1f} epochs (beam-5 BLEU {beam['bleu']:.1f}: "
            + ("above the >= 30 target" if beam["bleu"] >= 30 else "below the >= 30 target")
            + f"). A full run (15 epochs, about "
            f"{15 * len(src) * (budget.elapsed / max(budget.steps * args.batch_size, 1)) / 3600:.1f} h "
            "of this CPU at the measured speed, ideally with early stopping on validation loss) was "
            "not run.",
        ]
    )


def previous_part(heading: str) -> str:
    """The subsection starting with `heading` in the current `nmt` section of RESULTS.md, with
    the run line it was measured in (for a run that re-measures only the other part)."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    begin, end = "<!-- begin:nmt -->", "<!-- end:nmt -->"
    section = text.split(begin, 1)[1].split(end, 1)[0] if begin in text and end in text else ""
    if heading not in section:
        return f"{heading}\n\nNot measured (no earlier figures in RESULTS.md)."
    run_line = next((ln for ln in section.splitlines() if " run " in ln and "UTC" in ln), "")
    part = heading + section.split(heading, 1)[1].split("\n### ", 1)[0].rstrip()
    part = part.split("\n\n(Carried over unchanged", 1)[0]
    return part + "\n\n(Carried over unchanged from the run: " + run_line.strip() + ")"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--max-minutes", type=float, default=5.0, help="training budget of each part")
    p.add_argument("--dates-train", type=int, default=16000)
    p.add_argument("--dates-epochs", type=int, default=5)
    p.add_argument("--dates-hidden", type=int, default=64)
    p.add_argument("--skip-dates", action="store_true")
    p.add_argument("--skip-multi30k", action="store_true")
    p.add_argument(
        "--keep-skipped",
        action="store_true",
        help="keep the figures of a skipped part as already written in RESULTS.md",
    )
    p.add_argument("--max-examples", type=int, default=None, help="Multi30k training pairs")
    p.add_argument("--max-eval", type=int, default=1014, help="Multi30k validation pairs scored")
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--dropout", type=float, default=0.1, help="Multi30k model dropout")
    p.add_argument("--label-smoothing", type=float, default=0.0, help="Multi30k label smoothing")
    p.add_argument("--tmp", default="saved_models/bench-nmt")
    args = p.parse_args()
    parts = [
        "## Neural machine translation (benchmarks/nmt.py)",
        "",
        f"{machine_line()}. Command: `python benchmarks/nmt.py "
        + " ".join(sys.argv[1:])
        + "`. Reduced-budget CPU run (2 cores shared by six engineers).",
    ]
    if not args.skip_dates:
        parts += ["", run_dates(args)]
    elif args.keep_skipped:
        parts += ["", previous_part("### Dates")]
    if not args.skip_multi30k:
        parts += ["", run_multi30k(args)]
    elif args.keep_skipped:
        parts += ["", previous_part("### Multi30k")]
    text = "\n".join(parts)
    print(text)
    write_section("nmt", text)


if __name__ == "__main__":
    main()
