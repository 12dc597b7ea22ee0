"""Training at scale (issue 11): replicas side by side, and memory against corpus size.

Three benchmarks, each writing its own section of `benchmarks/RESULTS.md`:

`--replicas` (section `scale-replicas`): examples/s of the sentiment (`TextClassifier` on IMDB
reviews) and NER (`EntityTagger` on CoNLL-2003) pipelines trained with

- `fit`: 1 replica, the default (Keras `Model.fit`);
- `custom-1`: 1 replica through the engine's strategy loop (`OneDeviceStrategy`), to measure
  the loop's overhead against `fit` on one device;
- `custom-ckpt`: 1 replica through the engine's loop without a strategy (selected by a
  checkpoint folder; checkpoints only at epoch ends, after the epoch's timing);
- `mirrored-2`: `MirroredStrategy` over the CPU split into two logical devices;
- `workers-2`: `MultiWorkerMirroredStrategy`, two worker processes on loopback ports;

each in its own fresh process(es), rounds interleaved (the order reversed every other round).
Each run trains `--epochs` epochs (default 2); examples/s and CPU time per example are the
median epoch's after the first (no tracing, no vocabulary pass), timed by a Keras callback between `on_epoch_begin` and `on_epoch_end` (on the chief).

`--overhead` (section `scale-overhead`): `fit`, `custom-1` and `custom-ckpt` in one process,
taking turns one epoch at a time (`benchmarks._timing.alternating_epochs`): wall and CPU seconds
per epoch, the custom loop's overhead against `fit` on one device.

`--memory` (section `scale`): a generated text-classification corpus of about `--corpus-mb` MB
(CSV shards in a temporary folder, deleted afterwards) of long documents (about `--doc-bytes`
bytes each, like long reviews, truncated by the classifier's `max_length`); one streamed epoch
of a small `TextClassifier` on each size, each in a fresh process that samples its resident set
size (RSS, `/proc/self/status`) every 20 ms during `fit`: peak RSS, RSS before `fit`, examples/s.
With `--in-memory` the corpora are also read into lists and fitted from memory, for contrast
(only for small corpora).

`--memory --task music` (section `scale-music`; with `--input-only`, section
`scale-music-input`, the streamed input alone without a model): the same for a small piano-roll
`MusicGenerator` streaming generated JSB-Chorales-layout JSON shards (random chorales).

    python benchmarks/scale.py --replicas --rounds 2 --sentiment 2000 --ner 2000
    python benchmarks/scale.py --memory --corpus-mb 100,1000 --doc-bytes 3000
    python benchmarks/scale.py --memory --task music --corpus-mb 5,50 --shard-mb 5

The memory corpus is synthetic (a Zipf vocabulary of 20,000 words; the label follows cue words),
so its figures are about memory and throughput, not accuracy.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._results import data_path, machine_line, write_section  # noqa: E402

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
SETUPS = ("fit", "custom-1", "custom-ckpt", "mirrored-2", "workers-2")
TASKS = ("sentiment", "ner")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _env() -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    return {**e, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(Path(__file__).parents[1])}


def _result(stdout: str) -> dict | None:
    for line in stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    return None


# ---------------------------------------------------------------------- replicas side by side
def read_imdb(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    path = data_path("sentiment", "imdb", "train.jsonl.gz")
    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            obj = json.loads(line)
            rows.append((obj["text"], str(obj["label"])))
    random.Random(seed).shuffle(rows)
    rows = rows[:n]
    return [t for t, _ in rows], [lab for _, lab in rows]


def _pipeline(task: str, setup: str, n: int):
    """`(pipeline, x, y, checkpoint folder or None)` for a replicas set-up (see the module
    docstring): the sentiment or NER pipeline on `n` examples with that set-up's engine."""
    import tensorflow as tf

    from nlpkit import EntityTagger, TextClassifier

    engine: dict = {}
    if setup == "fit":
        distribution = None
    elif setup == "custom-ckpt":  # no strategy; a checkpoint folder selects the custom loop
        distribution = None
        engine = dict(
            checkpoint_dir=tempfile.mkdtemp(prefix="nlpkit-scale-ckpt-"), checkpoint_every=10**9
        )
    elif setup == "custom-1":
        distribution = tf.distribute.OneDeviceStrategy("/cpu:0")
    elif setup == "mirrored-2":
        devices = [d.name for d in tf.config.list_logical_devices("CPU")]
        distribution = tf.distribute.MirroredStrategy(devices)
    else:
        distribution = "multi_worker"
    common = dict(batch_size=32, early_stopping=None, seed=0, verbose=0)
    if task == "sentiment":
        x, y = read_imdb(n)
        pipe = TextClassifier(
            cell="gru",
            hidden_size=32,
            embedding_dim=32,
            max_length=128,
            distribution=distribution,
            **engine,
            **common,
        )
    else:
        from nlpkit.data.conll import read_conll

        x, y = read_conll(data_path("ner", "conll2003", "train.txt"))
        x, y = x[:n], y[:n]
        pipe = EntityTagger(
            embedding_dim=32, hidden_size=32, distribution=distribution, **engine, **common
        )
    return pipe, x, y, engine.get("checkpoint_dir")


def replicas_child(task: str, setup: str, n: int, epochs: int = 2) -> None:
    """Runs in a fresh process (one per worker for `workers-2`): fit `epochs` epochs, print a
    RESULT line with every epoch's wall and CPU seconds (the first includes tracing)."""
    if setup == "mirrored-2":
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
        )
    from benchmarks._timing import EpochTimer
    from nlpkit.training import cluster_info

    pipe, x, y, ckpt = _pipeline(task, setup, n)
    timer = EpochTimer()
    pipe.fit(x, y, epochs=epochs, callbacks=[timer])
    if ckpt:
        shutil.rmtree(ckpt, ignore_errors=True)
    if cluster_info()["is_chief"]:
        result = {
            "task": task,
            "setup": setup,
            "examples": len(x),
            "epoch_seconds": [round(s, 2) for s in timer.times],
            # Epochs after the first (which traces): the median epoch's rates.
            "examples_per_s": round(len(x) / float(np.median(timer.times[1:])), 1),
            "epoch_cpu_seconds": [round(s, 2) for s in timer.cpu],
            "cpu_ms_per_example": round(1000 * float(np.median(timer.cpu[1:])) / len(x), 3),
            "loop": pipe.training_.loop,
            "loss": [round(v, 4) for v in pipe.history_["loss"]],
        }
        print("RESULT " + json.dumps(result), flush=True)


def run_replicas(task: str, setup: str, n: int, epochs: int = 2, timeout: float = 1200) -> dict:
    cmd = [sys.executable, __file__, "--replicas-child", task, setup, str(n), str(epochs)]
    if setup != "workers-2":
        proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=timeout)
        result = _result(proc.stdout)
        if result is None:
            raise RuntimeError(f"{task}/{setup} failed:\n{proc.stderr[-3000:]}")
        return result
    from nlpkit.training import local_tf_configs

    procs = [
        subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**_env(), "TF_CONFIG": cfg},
        )
        for cfg in local_tf_configs(2)
    ]
    outs = []
    try:
        for p in procs:
            outs.append(p.communicate(timeout=timeout))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    result = _result(outs[0][0])
    if result is None or any(p.returncode for p in procs):
        raise RuntimeError(f"{task}/{setup} failed:\n{outs[0][1][-2000:]}\n{outs[1][1][-2000:]}")
    return result


def replicas(args) -> None:
    sizes = {"sentiment": args.sentiment, "ner": args.ner}
    setups = [s for s in args.setups.split(",") if s]
    for s in setups:
        if s not in SETUPS:
            raise SystemExit(f"--setups: expected some of {', '.join(SETUPS)}. Received: {s!r}")
    plan = [(t, s) for t in TASKS for s in setups]
    rows, loads = [], [load_average()]
    t0 = time.perf_counter()
    for r in range(args.rounds):
        for task, setup in plan if r % 2 == 0 else plan[::-1]:
            res = run_replicas(task, setup, sizes[task], args.epochs)
            res["round"] = r + 1
            rows.append(res)
            loads.append(load_average())
            print(json.dumps(res), flush=True)
    minutes = (time.perf_counter() - t0) / 60
    mean = {
        (t, s): sum(x["examples_per_s"] for x in rows if (x["task"], x["setup"]) == (t, s))
        / args.rounds
        for t, s in plan
    }
    cpu = {
        (t, s): sum(x["cpu_ms_per_example"] for x in rows if (x["task"], x["setup"]) == (t, s))
        / args.rounds
        for t, s in plan
    }
    lines = [
        "### Replicas side by side (`benchmarks/scale.py --replicas`)",
        "",
        f"Command: `python benchmarks/scale.py --replicas --rounds {args.rounds} "
        f"--epochs {args.epochs} "
        f"--sentiment {args.sentiment} --ner {args.ner} --setups {args.setups}`. "
        f"{machine_line()}; "
        f"{minutes:.0f} minutes; load average (1, 5, 15 min) {loads[0]} at the start, "
        f"{loads[-1]} at the end.",
        f"Sentiment: `TextClassifier(cell='gru', hidden_size=32, embedding_dim=32, max_length=128)` "
        f"on {args.sentiment:,} IMDB training reviews; NER: `EntityTagger(embedding_dim=32, "
        f"hidden_size=32)` (BiLSTM + char LSTM + CRF) on the first {args.ner:,} CoNLL-2003 training "
        f"sentences; global batch 32, {args.epochs} epochs, examples/s of the median epoch after "
        "the first. Each set-up in "
        "fresh processes, rounds interleaved. CPU ms/example: the median later epoch's CPU time of the "
        "(chief) process (`time.process_time`, all its threads) per example, which other jobs "
        "on a shared machine disturb less than the wall clock; for `workers-2` it leaves out "
        "the second worker's CPU.",
        "",
        "| task | set-up | replicas | loop | "
        + " | ".join(f"round {r + 1} ex/s" for r in range(args.rounds))
        + " | mean ex/s | vs fit | CPU ms/example | CPU vs fit |",
        "|---|---|---:|---|" + "---:|" * (args.rounds + 4),
    ]
    replicas_of = {"fit": 1, "custom-1": 1, "custom-ckpt": 1, "mirrored-2": 2, "workers-2": 2}
    for t, s in plan:
        per = [x for x in rows if (x["task"], x["setup"]) == (t, s)]
        per.sort(key=lambda x: x["round"])
        lines.append(
            f"| {t} | {s} | {replicas_of[s]} | {per[0]['loop']} | "
            + " | ".join(f"{x['examples_per_s']:.1f}" for x in per)
            + f" | {mean[t, s]:.1f} | "
            + (f"{mean[t, s] / mean[t, 'fit']:.2f} |" if (t, "fit") in mean else "- |")
            + f" {cpu[t, s]:.2f} | "
            + (f"{cpu[t, s] / cpu[t, 'fit']:.2f} |" if (t, "fit") in cpu else "- |")
        )
    lines.append("")
    for t, s in [(t, s) for t in TASKS for s in ("custom-1", "custom-ckpt")]:
        if not {"fit", s} <= set(setups):
            continue
        over = 1 - mean[t, s] / mean[t, "fit"]
        over_cpu = cpu[t, s] / cpu[t, "fit"] - 1
        lines.append(
            f"- {t}: custom loop on one device ({s}) against `fit`: {100 * over:+.1f}% by "
            f"examples/s, {100 * over_cpu:+.1f}% by CPU time per example (positive: the custom "
            "loop is slower; target within 5%)."
        )
    section = args.section or "scale-replicas"
    write_section(section, "\n".join(lines))
    (Path(tempfile.gettempdir()) / f"nlpkit-{section}.json").write_text(json.dumps(rows))
    print("\n".join(lines))


def _fit_epochs(pipe, x, y, epochs, callbacks):
    pipe.fit(x, y, epochs=epochs, callbacks=callbacks)


def overhead(args) -> None:
    """The custom loop against Keras `fit` on one device, in one process: `fit`, `custom-1` and
    `custom-ckpt` pipelines train side by side taking turns one epoch at a time
    (`benchmarks._timing.alternating_epochs`), so that load drift on a shared machine hits
    all three alike; per epoch, the wall and process CPU seconds of the one that worked."""
    from benchmarks._timing import alternating_epochs

    sizes = {"sentiment": args.sentiment, "ner": args.ner}
    setups = ("fit", "custom-1", "custom-ckpt")
    load0, t0 = load_average(), time.perf_counter()
    table, folders = {}, []
    for task in TASKS:
        fits = {}
        for setup in setups:
            pipe, x, y, ckpt = _pipeline(task, setup, sizes[task])
            folders.append(ckpt)
            fits[setup] = functools.partial(_fit_epochs, pipe, x, y)
        times, cpu = alternating_epochs(fits, args.epochs, cpu=True)
        table[task] = {s: (times[s][1:], cpu[s][1:], sizes[task]) for s in setups}
        print(task, json.dumps({s: [times[s], cpu[s]] for s in setups}), flush=True)
    for f in folders:
        if f:
            shutil.rmtree(f, ignore_errors=True)
    minutes = (time.perf_counter() - t0) / 60
    lines = [
        "### The custom loop against `fit`, taking turns (`benchmarks/scale.py --overhead`)",
        "",
        f"Command: `python benchmarks/scale.py --overhead --epochs {args.epochs} --sentiment "
        f"{args.sentiment} --ner {args.ner}`. {machine_line()}; {minutes:.0f} minutes; load "
        f"average (1, 5, 15 min) {load0} at the start, {load_average()} at the end. The "
        "sentiment and NER set-ups of `--replicas` (global batch 32), the three one-device "
        "set-ups in one process, taking turns one epoch at a time; the medians of the epochs "
        "after the first (tracing). CPU: the process's CPU seconds during the epoch (all "
        "threads; only the fit whose turn it is works).",
        "",
        "| task | set-up | loop | median s/epoch | median CPU s/epoch | CPU ms/example "
        "| wall vs fit | CPU vs fit | CPU vs fit, per epoch |",
        "|---|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for task, rows in table.items():
        wall_fit = float(np.median(rows["fit"][0]))
        cpu_fit = float(np.median(rows["fit"][1]))
        for setup, (wall, cpu, n) in rows.items():
            w, c = float(np.median(wall)), float(np.median(cpu))
            per = ", ".join(f"{a / b:.2f}" for a, b in zip(cpu, rows["fit"][1], strict=True))
            loop = "fit" if setup == "fit" else "custom"
            lines.append(
                f"| {task} | {setup} | {loop} | {w:.2f} | {c:.2f} | {1000 * c / n:.2f} "
                f"| {w / wall_fit:.3f} | {c / cpu_fit:.3f} | {per} |"
            )
    write_section(args.section or "scale-overhead", "\n".join(lines))
    print("\n".join(lines))


# ---------------------------------------------------------------------- memory against size
def write_corpus(
    folder: Path, target_mb: float, doc_bytes: int, shard_mb: float = 25.0, seed: int = 0
) -> list[Path]:
    """About `target_mb` MB of labelled long documents in CSV shards of about `shard_mb` MB.

    Each document is about `doc_bytes` bytes (uniform in [doc_bytes / 2, 3 * doc_bytes / 2]),
    like a long review: sentences of 8-30 words drawn from a pool of 20,000 sentences over a
    Zipf vocabulary of 20,000 words, and one cue word for the label among its first ten words
    (so that it survives the classifier's `max_length` truncation). Returns the shard paths.
    """
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(20_000)]
    cum = list(itertools.accumulate(1.0 / (i + 1) for i in range(len(words))))
    pool = [
        " ".join(rng.choices(words, cum_weights=cum, k=rng.randint(8, 30))) + " ."
        for _ in range(20_000)
    ]
    cues = {"pos": ["great", "superb", "loved"], "neg": ["awful", "dull", "hated"]}
    target, shard = int(target_mb * 2**20), int(shard_mb * 2**20)
    files: list[Path] = []
    written = 0
    while written < target:
        path = folder / f"part-{len(files):05d}.csv"
        size = 0
        with open(path, "w", encoding="utf-8") as f:
            size += f.write("text,label\n")
            while size < shard and written + size < target:
                label = rng.choice(("pos", "neg"))
                head = rng.choices(words, cum_weights=cum, k=10)
                head.insert(rng.randrange(len(head)), rng.choice(cues[label]))
                parts, n = [" ".join(head)], 0
                goal = rng.randint(doc_bytes // 2, 3 * doc_bytes // 2)
                while n < goal:
                    sentence = pool[rng.randrange(len(pool))]
                    parts.append(sentence)
                    n += len(sentence) + 1
                size += f.write(f"{' '.join(parts)},{label}\n")
        files.append(path)
        written += size
    return files


MUSIC_MODEL = dict(
    representation="piano_roll",
    hidden_size=16,
    num_layers=1,
    sequence_length=32,
    batch_size=256,
    early_stopping=None,
    seed=0,
    verbose=0,
)


def write_music_corpus(folder: Path, target_mb: float, shard_mb: float = 5.0, seed: int = 0):
    """About `target_mb` MB of random four-part chorales in JSB Chorales JSON shards of about
    `shard_mb` MB (`{"train": [piece, ...]}`; a piece is 32-192 quarter-note steps, each step
    the MIDI pitches of up to four voices moving by small intervals). Returns the shard paths."""
    rng = random.Random(seed)
    target, shard = int(target_mb * 2**20), int(shard_mb * 2**20)
    files: list[Path] = []
    written = 0
    while written < target:
        pieces, size = [], 0
        while size < shard and written + size < target:
            voices = [rng.randint(lo, lo + 12) for lo in (36, 48, 55, 62)]
            piece = []
            for _ in range(rng.randint(32, 192)):
                voices = [min(81, max(36, v + rng.choice((-2, -1, 0, 0, 1, 2)))) for v in voices]
                piece.append(sorted({v for v in voices if rng.random() > 0.1}))
            pieces.append(piece)
            size += len(json.dumps(piece)) + 2
        path = folder / f"jsb-{len(files):05d}.json"
        path.write_text(json.dumps({"train": pieces}))
        files.append(path)
        written += path.stat().st_size
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

    music = sorted(Path(folder).glob("jsb-*.json"))  # a list of paths (strings would be pieces)
    files = music or sorted(str(p) for p in Path(folder).glob("part-*.csv"))
    if music:
        from nlpkit import MusicGenerator

        clf = MusicGenerator(**MUSIC_MODEL)
    else:
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
    steps = None
    if mode == "data":
        # The streamed music input alone, as `fit` builds it for an epoch (pieces parsed, windows
        # cut, shuffle buffer, batches), iterated without a model: what the input costs.
        from nlpkit.data.streaming import shuffled

        _, windows = clf._stream(files, "x")
        ds = shuffled(windows(), clf.shuffle_buffer, clf.seed, 0).batch(clf.batch_size)
        steps = sum(1 for _ in ds.prefetch(tf.data.AUTOTUNE))
    elif mode == "stream":
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
    if mode == "data":
        n = sum(len(json.loads(Path(f).read_text())["train"]) for f in files)
        loss = None
    else:
        n = clf.card_["pieces"] if music else clf.card_["train_examples"]
        steps, loss = clf.training_.steps, round(clf.history_["loss"][-1], 4)
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
                "loss": loss,
                "steps": steps,
            }
        ),
        flush=True,
    )


def run_one(folder: Path, mode: str) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(folder), mode],
        capture_output=True,
        text=True,
        env=_env(),
    )
    result = _result(proc.stdout)
    if result is None:
        raise RuntimeError(f"{mode} fit failed:\n{proc.stderr[-3000:]}")
    return result


def memory(args) -> None:
    sizes = [float(s) for s in args.corpus_mb.split(",")]
    free = shutil.disk_usage(tempfile.gettempdir()).free / 2**20
    if free < 1.5 * max(sizes):
        raise SystemExit(f"Only {free:.0f} MB free in {tempfile.gettempdir()}: too little.")
    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="nlpkit-scale-") as tmp:
            t0 = time.perf_counter()
            if args.task == "music":
                files = write_music_corpus(Path(tmp), size, args.shard_mb)
            else:
                files = write_corpus(Path(tmp), size, args.doc_bytes, args.shard_mb)
            written = time.perf_counter() - t0
            mb = sum(f.stat().st_size for f in files) / 2**20
            modes = ["stream"]
            if args.in_memory and args.task == "classifier":
                modes.append("memory")
            if args.input_only and args.task == "music":
                modes = ["data"]
            for mode in modes:
                load = load_average()
                r = run_one(Path(tmp), mode)
                r.update(
                    corpus_mb=round(mb, 1),
                    files=len(files),
                    load_start=load,
                    load_end=load_average(),
                    write_seconds=round(written, 1),
                )
                rows.append(r)
                print(json.dumps(r), flush=True)
                write_memory(args, rows)  # after each size, so a long run leaves its figures


def write_memory(args, rows: list[dict]) -> None:
    if args.task == "music":
        return write_music_memory(args, rows)
    (Path(tempfile.gettempdir()) / "nlpkit-scale-memory.json").write_text(json.dumps(rows))
    first = {r["mode"]: r for r in rows if r["corpus_mb"] == rows[0]["corpus_mb"]}
    lines = [
        "## Streamed fit: memory against corpus size (`benchmarks/scale.py --memory`, issue 11)",
        "",
        f"Command: `python benchmarks/scale.py --memory --corpus-mb {args.corpus_mb} "
        f"--doc-bytes {args.doc_bytes}`. {machine_line()}. One epoch of a small GRU "
        f"`TextClassifier` ({json.dumps({k: MODEL[k] for k in ('hidden_size', 'max_tokens', 'max_length', 'batch_size')})}, "
        "default `shuffle_buffer` 10,000) on a generated CSV corpus of long documents (about "
        f"{args.doc_bytes:,} bytes each, like long reviews; truncated to `max_length` tokens, so "
        "an epoch is affordable here); each size in a fresh process, RSS sampled every 20 ms "
        "during `fit` (the vocabulary pass and the epoch). Peak vs first: the fit's peak RSS "
        "divided by that of the smallest corpus in the same mode.",
        "",
        "| mode | corpus MB | examples | files | RSS before fit MB | peak RSS in fit MB "
        "| peak vs first | examples/s | fit s | load at start / end |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        ratio = r["peak_rss_mb"] / first[r["mode"]]["peak_rss_mb"]
        lines.append(
            f"| {r['mode']} | {r['corpus_mb']} | {r['examples']:,} | {r['files']} "
            f"| {r['rss_before_mb']} | {r['peak_rss_mb']} | {ratio:.2f} "
            f"| {r['examples_per_s']} | {r['fit_seconds']} | {r['load_start']} / {r['load_end']} |"
        )
    lines += [
        "",
        "`stream`: `fit(list_of_csv_files)` (one vocabulary pass, then shuffle buffer and length "
        "buckets through tf.data). `memory`: the same files read into lists, then `fit(texts, "
        "labels)`. examples/s counts the whole `fit` (vocabulary pass included).",
    ]
    write_section("scale", "\n".join(lines))
    print("\n".join(lines))


def write_music_memory(args, rows: list[dict]) -> None:
    (Path(tempfile.gettempdir()) / "nlpkit-scale-music.json").write_text(json.dumps(rows))
    first = {r["mode"]: r["peak_rss_mb"] for r in reversed(rows)}
    settings = {k: MUSIC_MODEL[k] for k in ("hidden_size", "sequence_length", "batch_size")}
    lines = [
        "### Streamed music: memory against corpus size (`benchmarks/scale.py --memory "
        "--task music`)",
        "",
        f"Command: `python benchmarks/scale.py --memory --task music --corpus-mb {args.corpus_mb} "
        f"--shard-mb {args.shard_mb:g}{' --input-only' if args.input_only else ''}`. "
        f"{machine_line()}. One epoch of a small piano-roll "
        f"`MusicGenerator` ({json.dumps(settings)}, default transpositions and `shuffle_buffer`) "
        "streaming a generated JSB-Chorales-layout JSON corpus (random four-voice chorales of "
        "32-192 steps, in shards); each size in a fresh process, RSS sampled every 20 ms during "
        "`fit` (the piece-counting pass and the epoch). Peak vs first: peak RSS divided by the "
        "smallest corpus's. Mode `data` (`--input-only`): the same streamed input (pieces "
        "parsed, windows cut, shuffle buffer, batches) iterated for one epoch without a model.",
        "",
        "| mode | corpus MB | pieces | files | steps | RSS before fit MB | peak RSS in fit MB "
        "| peak vs first | pieces/s | fit s | load at start / end |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['mode']} | {r['corpus_mb']} | {r['examples']:,} | {r['files']} | {r['steps']:,} "
            f"| {r['rss_before_mb']} | {r['peak_rss_mb']} "
            f"| {r['peak_rss_mb'] / first[r['mode']]:.2f} "
            f"| {r['examples_per_s']} | {r['fit_seconds']} | {r['load_start']} / {r['load_end']} |"
        )
    write_section("scale-music-input" if args.input_only else "scale-music", "\n".join(lines))
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replicas", action="store_true", help="the replicas benchmark")
    parser.add_argument(
        "--overhead", action="store_true", help="custom loop against fit, in one process"
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--epochs", type=int, default=2, help="epochs per run (the median after the first counts)"
    )
    parser.add_argument("--sentiment", type=int, default=2000, help="IMDB reviews")
    parser.add_argument("--ner", type=int, default=2000, help="CoNLL-2003 sentences")
    parser.add_argument("--setups", default=",".join(SETUPS), help="comma-separated set-ups")
    parser.add_argument(
        "--section",
        default=None,
        help="RESULTS.md section (default: scale-replicas, or scale-overhead with --overhead)",
    )
    parser.add_argument("--memory", action="store_true", help="the memory benchmark")
    parser.add_argument("--corpus-mb", default="100,1000", help="corpus sizes in MB")
    parser.add_argument("--doc-bytes", type=int, default=3000, help="mean document size")
    parser.add_argument("--shard-mb", type=float, default=25.0, help="MB per CSV shard")
    parser.add_argument("--in-memory", action="store_true", help="also fit from Python lists")
    parser.add_argument(
        "--input-only",
        action="store_true",
        help="--task music: iterate the streamed input for an epoch without a model",
    )
    parser.add_argument(
        "--task",
        choices=("classifier", "music"),
        default="classifier",
        help="--memory: the TextClassifier on CSV shards, or MusicGenerator on JSB JSON shards",
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--replicas-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
    elif args.replicas_child:
        task, setup, n, epochs = args.replicas_child
        replicas_child(task, setup, int(n), int(epochs))
    else:
        if not (args.replicas or args.memory or args.overhead):
            parser.error("choose --replicas, --overhead, --memory or some of them")
        if args.overhead:
            overhead(args)
        if args.replicas:
            replicas(args)
        if args.memory:
            memory(args)


if __name__ == "__main__":
    main()
