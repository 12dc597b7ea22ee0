"""Translator vs Joey NMT 2.3.0, side by side in one sitting (issue 14).

Runs the peer (`../shared/peers/nmt_peer.sh`: Joey NMT's RNN, BiLSTM 256/direction encoder,
LSTM 256 decoder, Bahdanau attention, input feeding, 7.9M parameters) and nlpkit's `Translator`
(the network of issue 14: embedding 256, BiLSTM 128/direction, LSTM 256 decoder, Bahdanau
attention, input feeding, 7.1M parameters) one after the other, alternating (Joey, ours, Joey,
ours, ...), each in its own process, on the same data with the same protocol:

- Multi30k en->de (`../shared/data/translation/multi30k`), word level, lowercased, vocabulary
  min count 2 on each side (Joey tokenises with Moses, nlpkit with its own word tokenizer),
  batches of 64 sentences, Adam 1e-3;
- training target tokens/s (the end token counted, padding not; validation excluded): Joey over
  its wall-clock budget (`--minutes`); nlpkit over `--epochs` whole epochs of `Translator.fit`
  (its first epoch includes tracing the training step: the figure over all epochs is the
  headline, the last epoch's is given too);
- beam-5 decoding of the 1,014 validation sentences, GNMT length penalty alpha 1.0, batches of
  64 sentences, with the model each run trained: sentences/s (nlpkit: after one warm-up call on
  64 sentences that traces the decoder; the trace time is reported apart), with BLEU (sacreBLEU
  13a, detokenised hypotheses against the lowercased references) and mean output length, since
  decoding time depends on how long the outputs are.

When Joey's venv is absent (`$PEERS/joeynmt/venv`, see `../shared/peers/setup_nmt.sh`) only
nlpkit is measured and the section says so.

    python benchmarks/nmt_side_by_side.py --rounds 2 --minutes 3 --epochs 2

Figures go to the `nmt-side-by-side` section of benchmarks/RESULTS.md, with `uptime`'s load
average before and after each run (the machine is shared: compare the ratios of one sitting).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._results import DATA, machine_line, write_section  # noqa: E402

PEER_SCRIPTS = Path(os.environ.get("NLPKIT_PEERS", DATA.parent / "peers"))
PEERS = Path(os.environ.get("PEERS", Path.home() / ".cache" / "nlpkit-peers"))
MULTI30K = DATA / "translation" / "multi30k"


def _load() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def joey_available() -> bool:
    return (PEERS / "joeynmt" / "venv" / "bin" / "python").is_file() and (
        PEER_SCRIPTS / "nmt_peer.sh"
    ).is_file()


def _read(name: str) -> list[str]:
    with gzip.open(MULTI30K / name, "rt", encoding="utf-8") as fh:
        return [line.rstrip("\n") for line in fh]


def _bleu(hyps: list[str], refs: list[str]) -> float:
    import sacrebleu

    return round(sacrebleu.corpus_bleu(hyps, [[r.lower() for r in refs]]).score, 2)


# ----------------------------------------------------------------------------- the two runs
def run_joey(minutes: float, work: Path, threads: int = 0) -> dict:
    out = work / "joey.json"
    env = dict(os.environ, WORK=str(work / "joey"), PEERS=str(PEERS))
    if threads:
        # nmt_peer.sh does not pass --threads on: the same call, with it
        cmd = [
            str(PEERS / "joeynmt" / "venv" / "bin" / "python"),
            str(PEER_SCRIPTS / "nmt_peer.py"),
            *(
                "--data-dir",
                str(MULTI30K),
                "--config",
                str(PEER_SCRIPTS / "joey_multi30k_rnn.yaml"),
            ),
            *("--work", str(work / "joey"), "--minutes", str(minutes), "--out", str(out)),
            *("--limit", "0", "--threads", str(threads)),
        ]
    else:
        cmd = ["bash", str(PEER_SCRIPTS / "nmt_peer.sh"), str(minutes), str(out)]
    load_before = _load()
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"nmt_peer.sh failed ({proc.returncode}): {proc.stderr[-2000:]}")
    r = json.loads(out.read_text(encoding="utf-8"))
    hyps = (work / "joey" / "val.hyp.de").read_text(encoding="utf-8").rstrip("\n").split("\n")
    return {
        "who": "Joey NMT",
        "load_before": load_before,
        "load_after": _load(),
        "wall_s": round(time.perf_counter() - t, 1),
        "train_tokens_per_s": r["training"]["target_tokens_per_s"],
        "train_detail": f"{r['training']['steps']} steps in "
        f"{r['training']['train_s_excl_validation']} s (validation excluded), "
        f"{r['training']['epochs_fractional_est']} epochs",
        "beam5_sentences_per_s": r["translation"]["sentences_per_s"],
        "beam5_seconds": r["translation"]["seconds"],
        "bleu": r["bleu"]["sacrebleu_lowercased_refs"],
        "mean_output_tokens": round(sum(len(h.split()) for h in hyps) / len(hyps), 2),
        "params": r["config"]["trainable_params"],
        "versions": r["versions"],
    }


def run_ours(epochs: int, work: Path, save: str | None = None, threads: int = 0) -> dict:
    out = work / "ours.json"
    load_before = _load()
    t = time.perf_counter()
    cmd = [sys.executable, __file__, "--child", str(out), "--epochs", str(epochs)]
    cmd += ["--threads", str(threads)]
    if save:
        cmd += ["--save-model", save]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"nlpkit child failed ({proc.returncode}): {proc.stderr[-3000:]}")
    r = json.loads(out.read_text(encoding="utf-8"))
    r.update(load_before=load_before, load_after=_load(), wall_s=round(time.perf_counter() - t, 1))
    return r


def child(out: Path, epochs: int, save: str | None = None, threads: int = 0) -> None:
    """nlpkit's run (in its own process, as Joey's): train, then beam 5 on the validation set."""
    import keras
    import numpy as np
    import tensorflow as tf

    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)

    from benchmarks._timing import EpochTimer
    from nlpkit import Translator

    src, tgt = _read("train.en.gz"), _read("train.de.gz")
    val_src, val_ref = _read("val.en.gz"), _read("val.de.gz")
    tr = Translator(
        level="word",
        lowercase=True,
        min_count=2,
        embedding_dim=256,
        hidden_size=128,
        batch_size=64,
        learning_rate=1e-3,
        early_stopping=None,
        seed=0,
        verbose=0,
    )
    timer = EpochTimer()
    t = time.perf_counter()
    tr.fit(src, tgt, epochs=epochs, callbacks=[timer])
    fit_s = time.perf_counter() - t
    # every pair is seen once per epoch: target tokens (+ the end token) per epoch
    tokens = sum(len(t) + 1 for t in tr._token_lists(tgt, "target"))
    per_epoch = [tokens / s for s in timer.times]
    t = time.perf_counter()
    tr.predict(val_src[:64], beam_width=5, length_penalty=1.0)  # traces the decoder
    trace_s = time.perf_counter() - t
    t = time.perf_counter()
    hyps = tr.predict(val_src, beam_width=5, length_penalty=1.0)
    decode_s = time.perf_counter() - t
    result = {
        "who": "nlpkit Translator",
        "train_tokens_per_s": round(tokens * len(timer.times) / sum(timer.times), 1),
        "train_tokens_per_s_last_epoch": round(per_epoch[-1], 1),
        "train_detail": f"{len(timer.times)} epoch{'s' * (len(timer.times) != 1)} of {tokens} "
        "target tokens in "
        + " + ".join(f"{s:.1f}" for s in timer.times)
        + f" s (fit {fit_s:.1f} s with vocabularies and model building)",
        "beam5_sentences_per_s": round(len(val_src) / decode_s, 2),
        "beam5_seconds": round(decode_s, 2),
        "decoder_trace_s": round(trace_s, 2),
        "bleu": _bleu(hyps, val_ref),
        "mean_output_tokens": round(float(np.mean([len(h.split()) for h in hyps])), 2),
        "params": int(tr.model_.count_params()),
        "versions": {"keras": keras.__version__},
    }
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    if save:
        tr.save(save)


# ----------------------------------------------------------------------------- report
def render(runs: list[dict], args, joey: bool) -> str:
    lines = [
        "## Translator vs Joey NMT, side by side (`benchmarks/nmt_side_by_side.py`, issue 14)",
        "",
        f"{machine_line()}. Command: `python benchmarks/nmt_side_by_side.py --rounds "
        f"{args.rounds} --minutes {args.minutes} --epochs {args.epochs}"
        + (f" --threads {args.threads}" if args.threads else "")
        + "`. Runs in the order "
        "listed, one at a time, each in its own process; load average (1, 5, 15 min) from "
        "`os.getloadavg()` before and after each run.",
        "",
        "Same data and protocol: Multi30k en->de, word level, lowercased, min count 2, batches "
        "of 64 sentences, Adam 1e-3; training target tokens/s with validation excluded (Joey "
        f"over a {args.minutes}-minute budget; nlpkit over {args.epochs} "
        f"epoch{'s' * (args.epochs != 1)}, the first including tracing, last epoch alone in "
        "brackets); beam 5, alpha 1.0, batch 64 on the "
        "1,014 validation sentences with the model just trained (nlpkit after one warm-up call "
        "that traces the decoder), BLEU = sacreBLEU 13a against the lowercased references.",
        "",
        "| # | system | load before -> after | train tok/s | training | beam-5 sent/s "
        "| BLEU | mean output tokens |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(runs, 1):
        tok = f"{r['train_tokens_per_s']:,.0f}"
        if "train_tokens_per_s_last_epoch" in r:
            tok += f" ({r['train_tokens_per_s_last_epoch']:,.0f})"
        beam = f"{r['beam5_sentences_per_s']:.1f}"
        if "decoder_trace_s" in r:
            beam += f" (trace {r['decoder_trace_s']:.1f} s)"
        lines.append(
            f"| {i} | {r['who']} ({r['params']:,} params) | {r['load_before']} -> "
            f"{r['load_after']} | {tok} | {r['train_detail']} | {beam} | {r['bleu']} "
            f"| {r['mean_output_tokens']} |"
        )
    lines.append("")
    if not joey:
        lines.append(
            "Joey NMT was not run (`--only ours`)."
            if args.only == "ours"
            else f"Joey NMT was not run: no venv at {PEERS}/joeynmt/venv (`bash "
            "../shared/peers/setup_nmt.sh` builds it)."
        )
        return "\n".join(lines)
    joeys = [r for r in runs if r["who"] == "Joey NMT"]
    ours = [r for r in runs if r["who"] != "Joey NMT"]
    for n, (j, o) in enumerate(zip(joeys, ours, strict=False), 1):  # round by round
        lines.append(
            f"- Round {n}: training {o['train_tokens_per_s'] / j['train_tokens_per_s']:.2f}x "
            "Joey over all epochs"
            + (
                f", {o['train_tokens_per_s_last_epoch'] / j['train_tokens_per_s']:.2f}x in the "
                "last epoch"
                if "train_tokens_per_s_last_epoch" in o
                else ""
            )
            + f" (target >= 3x); beam-5 decoding "
            f"{o['beam5_sentences_per_s'] / j['beam5_sentences_per_s']:.2f}x (target >= 2x)."
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=2, help="rounds of (Joey, nlpkit)")
    ap.add_argument("--minutes", type=float, default=3.0, help="Joey's training budget")
    ap.add_argument("--epochs", type=int, default=2, help="nlpkit's training epochs")
    ap.add_argument("--only", choices=("joey", "ours"), help="run one side only")
    ap.add_argument(
        "--threads",
        type=int,
        default=0,
        help="threads of both sides (torch.set_num_threads; TensorFlow intra- and inter-op); "
        "0: their defaults. On a busy machine torch's OpenMP threads spin-wait for each other "
        "(a 64x512 @ 512x1024 matmul took 22 ms with 2 threads, 1.2 ms with 1): 1 keeps "
        "that out of the comparison",
    )
    ap.add_argument("--json", help="also write every run's figures to this file")
    ap.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    ap.add_argument("--save-model", help="save nlpkit's last trained Translator here")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(Path(args.child), args.epochs, args.save_model, args.threads)
        return
    if not (MULTI30K / "train.en.gz").exists():
        print(f"SKIP: {MULTI30K} not found (set NLPKIT_DATA to the shared data folder).")
        return
    joey = joey_available() and args.only != "ours"
    if not joey and args.only != "ours":
        print(f"Joey NMT not run: no venv at {PEERS}/joeynmt/venv (see setup_nmt.sh).")
    runs = []
    with tempfile.TemporaryDirectory(prefix="nmt-sbs-") as tmp:
        for r in range(args.rounds):
            work = Path(tmp) / f"round{r}"
            work.mkdir()
            if joey:
                runs.append(run_joey(args.minutes, work, args.threads))
                print(json.dumps(runs[-1]), flush=True)
            if args.only != "joey":
                runs.append(run_ours(args.epochs, work, args.save_model, args.threads))
                print(json.dumps(runs[-1]), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=2), encoding="utf-8")
    text = render(runs, args, joey)
    print(text)
    if not args.no_write:
        write_section("nmt-side-by-side", text)


if __name__ == "__main__":
    main()
