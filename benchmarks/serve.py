"""Load test of `nlpkit serve` on loopback: requests/s and latency, batching on vs off.

Trains a small sentiment classifier (IMDB slice) and a small NER tagger (CoNLL-2003 slice) from
`../shared/data` (or reuses exports given with `--models DIR`), then for each setting starts
`python -m nlpkit serve` in a subprocess on 127.0.0.1 and sends `--requests` single-instance
requests (half sentiment, half NER, interleaved) from `--clients` concurrent clients (httpx). Each
round runs batching off, then batching on with every combination of `--window-ms`,
`--max-batch-size` and `--max-concurrent-batches` given, side by side (`--rounds` times), and
writes the figures to benchmarks/RESULTS.md, with the batchers' counters from `/readyz`
(requests per model call, the largest batch, seconds spent in model calls).

    python benchmarks/serve.py                      # ~2,000 requests x 2 settings x 1 round
    python benchmarks/serve.py --window-ms 2 10 --max-batch-size 16 64   # off + 4 settings
    python benchmarks/serve.py --models saved_models --rounds 2 --no-write

Every run is bounded: each setting has a time limit (`--limit-s`) and the script stops its
servers on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import itertools
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import DATA, ROOT, machine_line, write_section  # noqa: E402


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def read_imdb(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    path = DATA / "sentiment" / "imdb" / "train.jsonl.gz"
    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            obj = json.loads(line)
            rows.append((obj["text"], str(obj["label"])))
    random.Random(seed).shuffle(rows)
    rows = rows[:n]
    return [t for t, _ in rows], [lab for _, lab in rows]


def train_models(root: Path, n_sentiment: int, n_ner: int) -> dict[str, str]:
    """Fit and export the two models; return a description of what was trained."""
    import keras

    from nlpkit import EntityTagger, SentimentClassifier
    from nlpkit.data.conll import read_conll

    keras.utils.set_random_seed(0)
    texts, labels = read_imdb(n_sentiment)
    texts = [t[:600] for t in texts]
    clf = SentimentClassifier(hidden_size=32, embedding_dim=32, max_length=128, seed=0, verbose=0)
    clf.fit(texts, labels, epochs=1)
    clf.export(root / "sentiment" / "1")
    x, y = read_conll(DATA / "ner" / "conll2003" / "train.txt")
    tagger = EntityTagger(embedding_dim=32, hidden_size=32, seed=0, verbose=0)
    tagger.fit(x[:n_ner], y[:n_ner], epochs=1)
    tagger.export(root / "ner" / "1")
    return {
        "sentiment": f"SentimentClassifier (GRU 32) on {n_sentiment} IMDB reviews, 1 epoch",
        "ner": f"EntityTagger (BiLSTM 32 + CRF) on {n_ner} CoNLL-2003 sentences, 1 epoch",
    }


def request_texts(n: int) -> tuple[list[str], list[str]]:
    reviews, _ = read_imdb(n, seed=1)
    sentiment = [r[:300] for r in reviews]
    x, _ = read_conll_dev()
    ner = [" ".join(s) for s in x[:n]]
    return sentiment, ner


def read_conll_dev():
    from nlpkit.data.conll import read_conll

    return read_conll(DATA / "ner" / "conll2003" / "dev.txt")


def process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of process `pid` and all its threads (Linux /proc), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(models: Path, setting: dict, args) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "nlpkit",
        "serve",
        str(models),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--threads",
        str(args.threads),
    ]
    if setting["batching"]:
        cmd += [
            "--batch-window-ms",
            str(setting["window_ms"]),
            "--max-batch-size",
            str(setting["max_batch_size"]),
            "--max-concurrent-batches",
            str(setting["concurrent"]),
        ]
    else:
        cmd.append("--no-batching")
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode}")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise RuntimeError("server did not become ready in 300 s")


async def load(url: str, jobs: list[tuple[str, str]], clients: int, limit_s: float):
    import httpx

    latencies: list[float] = []
    errors: list[str] = []
    queue: asyncio.Queue = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)

    async def worker(client):
        while True:
            try:
                model, text = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            t0 = time.perf_counter()
            try:
                r = await client.post(f"/v1/models/{model}:predict", json={"instances": [text]})
                if r.status_code != 200 or "predictions" not in r.json():
                    errors.append(f"{r.status_code}: {r.text[:100]}")
            except httpx.HTTPError as e:
                errors.append(repr(e))
            latencies.append(time.perf_counter() - t0)

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        # warm-up: first calls of each signature build graphs
        for model in ("sentiment", "ner"):
            await client.post(f"/v1/models/{model}:predict", json={"instances": ["warm up"]})
        t0 = time.perf_counter()
        await asyncio.wait_for(
            asyncio.gather(*(worker(client) for _ in range(clients))), timeout=limit_s
        )
        wall = time.perf_counter() - t0
    return wall, latencies, errors


def run_setting(models: Path, setting: dict, jobs, args) -> dict:
    import httpx

    proc, url = start_server(models, setting, args)
    try:
        cpu0 = process_cpu_s(proc.pid)
        wall, lat, errors = asyncio.run(load(url, jobs, args.clients, args.limit_s))
        cpu1 = process_cpu_s(proc.pid)
        stats = httpx.get(url + "/readyz", timeout=10).json().get("batching", {})
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    lat_ms = np.array(lat) * 1000
    batches = sum(v["batches"] for v in stats.values())
    requests = sum(v["requests"] for v in stats.values())
    return {
        **setting,
        "requests": len(lat),
        "errors": len(errors),
        "error_examples": errors[:3],
        "wall_s": wall,
        "rps": len(lat) / wall,
        "p50_ms": float(np.percentile(lat_ms, 50)),
        "p99_ms": float(np.percentile(lat_ms, 99)),
        "mean_batch": (requests / batches) if batches else 1.0,
        "largest": max((v["largest"] for v in stats.values()), default=1),
        "model_s": sum(v.get("run_seconds", 0.0) for v in stats.values()),
        # the server's CPU time per request: what other processes on the machine do not change
        "cpu_ms": None if cpu0 is None or cpu1 is None else (cpu1 - cpu0) * 1000 / max(len(lat), 1),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", type=Path, help="serve these exports (needs sentiment/ and ner/)")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=1, help="off/on pairs, alternating")
    ap.add_argument("--window-ms", type=float, nargs="+", default=[2.0])
    ap.add_argument("--max-batch-size", type=int, nargs="+", default=[64])
    ap.add_argument("--max-concurrent-batches", type=int, nargs="+", default=[1])
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--limit-s", type=float, default=600, help="time limit per setting")
    ap.add_argument("--train-sentiment", type=int, default=2000)
    ap.add_argument("--train-ner", type=int, default=1000)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    if not (DATA / "sentiment" / "imdb").exists() or not (DATA / "ner" / "conll2003").exists():
        print(f"SKIP: IMDB or CoNLL-2003 not found under {DATA}.")
        return 0
    start_load = load_average()
    with tempfile.TemporaryDirectory(prefix="nlpkit-serve-bench-") as tmp:
        if args.models:
            models, trained = args.models, {"models": f"exports under {args.models}"}
        else:
            models = Path(tmp)
            t0 = time.time()
            trained = train_models(models, args.train_sentiment, args.train_ner)
            print(f"trained in {time.time() - t0:.0f} s: {trained}", flush=True)
        half = args.requests // 2
        sent, ner = request_texts(half)
        jobs = [
            j
            for pair in zip(
                [("sentiment", t) for t in sent], [("ner", t) for t in ner], strict=False
            )
            for j in pair
        ]
        settings = [{"batching": False}] + [
            {"batching": True, "window_ms": w, "max_batch_size": m, "concurrent": c}
            for w, m, c in itertools.product(
                args.window_ms, args.max_batch_size, args.max_concurrent_batches
            )
        ]
        results = []
        for r in range(args.rounds):
            for setting in settings:
                res = run_setting(models, setting, jobs, args)
                res["round"] = r + 1
                res["load"] = load_average()
                print(json.dumps(res), flush=True)
                results.append(res)
    end_load = load_average()

    def label(r):
        if not r["batching"]:
            return "off", "", "", ""
        return "on", f"{r['window_ms']:g}", str(r["max_batch_size"]), str(r["concurrent"])

    off = {r["round"]: r["rps"] for r in results if not r["batching"]}
    rows = "\n".join(
        "| {} | {} | {} | {} | {} | {} | {} | {:.1f} | {} | {:.0f} | {:.0f} | {:.2f} | {} | {} | {} | {} |".format(
            r["round"],
            *label(r),
            r["requests"],
            r["errors"],
            r["rps"],
            f"{r['rps'] / off[r['round']]:.2f}x" if r["batching"] else "",
            r["p50_ms"],
            r["p99_ms"],
            r["mean_batch"],
            r["largest"] if r["batching"] else "",
            f"{r['model_s']:.1f}" if r["batching"] else "",
            "" if r["cpu_ms"] is None else f"{r['cpu_ms']:.1f}",
            r["load"],
        )
        for r in results
    )
    on = [r for r in results if r["batching"]]
    first = (args.window_ms[0], args.max_batch_size[0], args.max_concurrent_batches[0])
    default_on = [r for r in on if (r["window_ms"], r["max_batch_size"], r["concurrent"]) == first]
    ratio = np.mean([r["rps"] / off[r["round"]] for r in default_on])
    cpu_off = [r["cpu_ms"] for r in results if not r["batching"] and r["cpu_ms"] is not None]
    cpu_on = [r["cpu_ms"] for r in default_on if r["cpu_ms"] is not None]
    cpu_line = (
        f" Server CPU per request, mean over rounds: {np.mean(cpu_off):.1f} ms off, "
        f"{np.mean(cpu_on):.1f} ms on ({np.mean(cpu_off) / np.mean(cpu_on):.2f}x less)."
        if cpu_off and cpu_on
        else ""
    )
    md = f"""## Serving load test (`benchmarks/serve.py`, issue 13)

Command: `python benchmarks/serve.py {" ".join(argv if argv is not None else sys.argv[1:])}`.
{args.requests} single-instance requests per setting (half sentiment, half NER, interleaved; IMDB review openings
of up to 300 characters and CoNLL-2003 dev sentences) from {args.clients} concurrent httpx
clients to `nlpkit serve` in a subprocess on 127.0.0.1 ({args.threads} inference threads).
Models: {"; ".join(trained.values())}. Batching settings: window (ms), most rows per
batch, most batches of one model running at once. "model s": seconds spent inside model calls
(batching on only; from `/readyz`); server CPU ms/request: the server process's user + system
CPU time during the load divided by the requests (the figure other processes on the machine
change least); load: 1/5/15-minute load average after the setting.

| round | batching | window ms | max batch | concurrent | requests | errors | requests/s | on/off | p50 ms | p99 ms | requests per model call | largest batch | model s | server CPU ms/request | load |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
{rows}

Batching on ({first[0]:g} ms, {first[1]} rows, {first[2]} at a time) / off throughput ratio:
**{ratio:.2f}x** (mean over rounds, measured side by side).{cpu_line}
Machine: {machine_line()}; load average {start_load} at the start and {end_load} at the end (other
sessions' training and test runs shared the 2 cores, so requests/s and latencies swing by 2x or more
from one setting to the next; server CPU per request and requests per model call are the steadier
figures).
"""
    print(md)
    if not args.no_write:
        write_section("serve", md)
    return 0 if all(r["errors"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
