"""Peak memory of a streamed `fit` as the corpus grows (issue 11).

Writes a generated text-classification corpus of `--base` examples times 1, 4 and 16 (CSV
shards of `--shard` rows in a temporary folder, deleted afterwards), and trains one epoch of a
small `TextClassifier` on each, every size in a fresh process. Each process samples its resident
set size (RSS, `/proc/self/status`) every 20 ms while `fit` runs, and reports the peak, the RSS
just before `fit`, and examples/s. With `--in-memory` the same corpora are also read into Python
lists first and fitted from memory, for contrast. Figures go to `benchmarks/RESULTS.md`
(section `scale`).

    python benchmarks/scale.py                       # 20k, 80k, 320k examples
    python benchmarks/scale.py --base 5000 --in-memory

The corpus is synthetic (a Zipf vocabulary of 20,000 words; the label follows cue words), so
the figures are about memory and throughput, not accuracy.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._results import machine_line, write_section  # noqa: E402

MODEL = dict(
    cell="gru",
    hidden_size=16,
    embedding_dim=16,
    max_tokens=20_000,
    max_length=32,
    batch_size=256,
    early_stopping=None,
    seed=0,
    verbose=0,
)


def write_corpus(folder: Path, n: int, shard: int, seed: int = 0) -> list[Path]:
    """`n` labelled rows in CSV shards of `shard` rows; returns the shard paths."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(20_000)]
    weights = [1.0 / (i + 1) for i in range(len(words))]
    cues = {"pos": ["great", "superb", "loved"], "neg": ["awful", "dull", "hated"]}
    files, written = [], 0
    while written < n:
        path = folder / f"part-{len(files):05d}.csv"
        rows = min(shard, n - written)
        with open(path, "w", encoding="utf-8") as f:
            f.write("text,label\n")
            for _ in range(rows):
                label = rng.choice(("pos", "neg"))
                text = rng.choices(words, weights, k=rng.randint(10, 40))
                text.insert(rng.randrange(len(text)), rng.choice(cues[label]))
                f.write(f"{' '.join(text)},{label}\n")
        files.append(path)
        written += rows
    return files


def child(folder: str, mode: str) -> None:
    """Runs in a fresh process: fit once, print a JSON line of measurements."""
    import threading

    from nlpkit import TextClassifier

    def rss_mb() -> float:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    files = sorted(str(p) for p in Path(folder).glob("part-*.csv"))
    clf = TextClassifier(**MODEL)
    import tensorflow as tf  # noqa: F401  (imported by nlpkit; here to settle its memory)

    before = rss_mb()
    peak = [before]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.02)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    start = time.perf_counter()
    if mode == "stream":
        clf.fit(files, epochs=1)
    else:
        from nlpkit.data.classification import read_csv

        texts, labels = [], []
        for f in files:
            t, y = read_csv(f)
            texts += t
            labels += y
        clf.fit(texts, labels, epochs=1)
    seconds = time.perf_counter() - start
    stop.set()
    thread.join()
    n = clf.card_["train_examples"]
    print(
        "RESULT "
        + json.dumps(
            {
                "mode": mode,
                "examples": n,
                "rss_before_mb": round(before, 1),
                "peak_rss_mb": round(peak[0], 1),
                "fit_seconds": round(seconds, 1),
                "examples_per_s": round(n / seconds, 1),
                "loss": round(clf.history_["loss"][-1], 4),
                "steps": clf.training_.steps,
            }
        ),
        flush=True,
    )


def run_one(folder: Path, mode: str) -> dict:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(Path(__file__).parents[1])}
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(folder), mode],
        capture_output=True,
        text=True,
        env=env,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise RuntimeError(f"{mode} fit failed:\n{proc.stderr[-3000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=int, default=20_000, help="examples at 1x")
    parser.add_argument("--scales", default="1,4,16", help="multiples of --base")
    parser.add_argument("--shard", type=int, default=20_000, help="rows per CSV shard")
    parser.add_argument("--in-memory", action="store_true", help="also fit from Python lists")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    scales = [int(s) for s in args.scales.split(",")]
    rows = []
    for scale in scales:
        with tempfile.TemporaryDirectory(prefix="nlpkit-scale-") as tmp:
            files = write_corpus(Path(tmp), args.base * scale, args.shard)
            mb = sum(f.stat().st_size for f in files) / 2**20
            for mode in ("stream", "memory") if args.in_memory else ("stream",):
                r = run_one(Path(tmp), mode)
                r.update(scale=scale, corpus_mb=round(mb, 1), files=len(files))
                rows.append(r)
                print(json.dumps(r), flush=True)
    first = {r["mode"]: r for r in rows if r["scale"] == scales[0]}
    lines = [
        "## Streamed fit: memory against corpus size (`benchmarks/scale.py`, issue 11)",
        "",
        machine_line() + ". One epoch of a small GRU `TextClassifier` "
        f"({json.dumps({k: MODEL[k] for k in ('hidden_size', 'max_tokens', 'batch_size')})}, "
        "default `shuffle_buffer` 10,000) on a generated CSV corpus; each run in a fresh "
        "process, RSS sampled every 20 ms during `fit`. Peak growth is the fit's peak RSS "
        "divided by that of the smallest corpus in the same mode.",
        "",
        "| mode | examples | corpus MB | files | RSS before fit MB | peak RSS in fit MB "
        "| peak vs 1x | examples/s | fit s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        ratio = r["peak_rss_mb"] / first[r["mode"]]["peak_rss_mb"]
        lines.append(
            f"| {r['mode']} | {r['examples']:,} | {r['corpus_mb']} | {r['files']} "
            f"| {r['rss_before_mb']} | {r['peak_rss_mb']} | {ratio:.2f} "
            f"| {r['examples_per_s']} | {r['fit_seconds']} |"
        )
    lines += [
        "",
        "`stream`: `fit(list_of_csv_files)` (one vocabulary pass, then shuffle buffer and length "
        "buckets through tf.data). `memory`: the same files read into lists, then `fit(texts, "
        "labels)`.",
    ]
    write_section("scale", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
