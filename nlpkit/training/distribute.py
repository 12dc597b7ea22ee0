"""Choosing a `tf.distribute` strategy and starting local workers.

nlpkit never implements its own distributed runtime: the `distribution` setting of every
pipeline names one of TensorFlow's strategies, and several machines are described by the standard
`TF_CONFIG` environment variable that every launcher (plain processes, Kubernetes' TFJob, Ray
Train's TensorFlow trainer) sets.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import Any

import tensorflow as tf

__all__ = [
    "DISTRIBUTIONS",
    "check_distribution",
    "resolve_strategy",
    "cluster_info",
    "free_ports",
    "local_tf_configs",
    "launch_local_workers",
    "WorkerTimeoutError",
]

#: Values accepted by the `distribution` setting (besides a `tf.distribute.Strategy` instance).
DISTRIBUTIONS = (None, "mirrored", "multi_worker")

#: Seconds a worker waits for its peers before giving up (`NLPKIT_WORKER_TIMEOUT` overrides it).
DEFAULT_WORKER_TIMEOUT = 120.0

_STRATEGIES: dict[str, tf.distribute.Strategy] = {}


class WorkerTimeoutError(TimeoutError):
    """A multi-worker run could not reach every peer named in `TF_CONFIG` in time."""


def check_distribution(value: Any) -> Any:
    """Validate the `distribution` setting (cheap: creates nothing).

    Example:
        >>> check_distribution("mirrored")
        'mirrored'
    """
    if value in DISTRIBUTIONS or isinstance(value, tf.distribute.Strategy):
        return value
    raise ValueError(
        "`distribution` must be None, 'mirrored', 'multi_worker' or a tf.distribute.Strategy. "
        f"Received: distribution={value!r}"
    )


def cluster_info() -> dict[str, Any]:
    """The cluster described by `TF_CONFIG`: workers, this task's type/index, and `is_chief`.

    Without `TF_CONFIG` it describes a single local worker.

    Raises:
        ValueError: `TF_CONFIG` is not valid JSON or lacks `cluster`/`task`.

    Example:
        >>> cluster_info()["num_workers"] >= 1
        True
    """
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return {
            "workers": [],
            "num_workers": 1,
            "task_type": "worker",
            "index": 0,
            "is_chief": True,
        }
    try:
        cfg = json.loads(raw)
        cluster, task = cfg["cluster"], cfg["task"]
        task_type, index = task["type"], int(task["index"])
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
        raise ValueError(
            "TF_CONFIG must be JSON with 'cluster' (job name -> list of host:port) and 'task' "
            f"({{'type': ..., 'index': ...}}). Received: {raw[:200]!r}"
        ) from e
    workers = list(cluster.get("chief", [])) + list(cluster.get("worker", []))
    has_chief = bool(cluster.get("chief"))
    is_chief = task_type == "chief" or (not has_chief and task_type == "worker" and index == 0)
    return {
        "workers": workers,
        "num_workers": max(1, len(workers)),
        "task_type": task_type,
        "index": index,
        "is_chief": is_chief,
    }


def _worker_timeout() -> float:
    try:
        return float(os.environ.get("NLPKIT_WORKER_TIMEOUT", DEFAULT_WORKER_TIMEOUT))
    except ValueError as e:
        raise ValueError(
            "NLPKIT_WORKER_TIMEOUT must be a number of seconds. "
            f"Received: {os.environ['NLPKIT_WORKER_TIMEOUT']!r}"
        ) from e


#: The watchdog process of `_multi_worker_strategy`: waits `timeout` seconds for its stdin to
#: close (the strategy was created, or the parent died); else prints the message and stops the
#: parent (SIGTERM, then SIGKILL).
_WATCHDOG = """
import os, select, signal, sys, time
timeout, parent, message = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ready, _, _ = select.select([sys.stdin], [], [], timeout)
if not ready:
    sys.stderr.write(message + "\\n")
    sys.stderr.flush()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(parent, sig)
        except OSError:
            break
        time.sleep(5)
"""


def _cluster_message(info: dict[str, Any], timeout: float, said: str = "") -> str:
    me = f"{info['task_type']} {info['index']}"
    peers = ", ".join(info["workers"])
    return (
        f"nlpkit: WorkerTimeoutError: Multi-worker training: {me} could not form the cluster "
        f"{peers} within {timeout:g} s (TF_CONFIG). Check that every worker was started with the "
        "same cluster and its own task index, and that the ports are reachable; raise the limit "
        "with NLPKIT_WORKER_TIMEOUT=seconds." + (f" TensorFlow said: {said[:300]}" if said else "")
    )


def _multi_worker_strategy(timeout: float) -> tf.distribute.Strategy:
    """Create `MultiWorkerMirroredStrategy`, failing clearly when a peer never comes up.

    Non-leader tasks are bounded by the coordination service's registration deadline and raise
    `WorkerTimeoutError`. The leader's wait (task 0) has no bound in TensorFlow and holds the
    Python GIL, so no thread of this process can interrupt it: a small watchdog process prints
    the same message and ends this process if the cluster has not formed within `timeout`
    (plus a margin, so that the non-leaders' own error comes first).
    """
    info = cluster_info()
    if not info["workers"]:
        raise ValueError(
            "distribution='multi_worker' needs the TF_CONFIG environment variable describing the "
            "cluster (see docs/training.md), or `nlpkit run RECIPE --workers N` to start N local "
            "workers. TF_CONFIG is not set."
        )
    watchdog = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _WATCHDOG,
            str(timeout + 10.0),
            str(os.getpid()),
            _cluster_message(info, timeout + 10.0),
        ],
        stdin=subprocess.PIPE,
    )
    try:
        # The coordination service's own registration deadline covers non-leader tasks.
        from tensorflow.compiler.xla.tsl.protobuf import coordination_config_pb2
        from tensorflow.python.eager import context

        if context.context().coordination_service is None:
            raw = json.loads(os.environ["TF_CONFIG"])["cluster"]
            jobs = [
                coordination_config_pb2.CoordinatedJob(name=job, num_tasks=len(raw[job]))
                for job in ("chief", "worker")
                if raw.get(job)
            ]
            leader = "chief" if raw.get("chief") else "worker"
            context.context().configure_coordination_service(
                service_type="standalone",
                service_leader=f"/job:{leader}/replica:0/task:0",
                coordinated_jobs=jobs,
                cluster_register_timeout_in_ms=int(timeout * 1000),
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    except RuntimeError as e:
        if "program startup" in str(e):
            raise RuntimeError(
                "distribution='multi_worker' must be set up before TensorFlow runs anything in "
                "this process. Call `nlpkit.training.resolve_strategy('multi_worker')` at program "
                "start (pipelines do it first thing in `fit`), or start training in a fresh "
                "process."
            ) from e
        raise WorkerTimeoutError(_cluster_message(info, timeout, str(e))) from e
    except Exception as e:  # TensorFlow's own errors (DeadlineExceeded, Unavailable, ...)
        raise WorkerTimeoutError(_cluster_message(info, timeout, str(e))) from e
    finally:
        watchdog.stdin.close()  # cancels the watchdog
        watchdog.wait()


def resolve_strategy(distribution: Any) -> tf.distribute.Strategy | None:
    """The strategy a `distribution` setting names, or None for Keras `fit` on one device.

    One `MultiWorkerMirroredStrategy` is created per process (TensorFlow allows only one) and
    reused; `"mirrored"` uses all local devices (GPUs, else the CPU's logical devices).

    Example:
        >>> resolve_strategy(None) is None
        True
    """
    distribution = check_distribution(distribution)
    if distribution is None:
        return None
    if isinstance(distribution, tf.distribute.Strategy):
        return distribution
    if distribution not in _STRATEGIES:
        if distribution == "mirrored":
            gpus = tf.config.list_logical_devices("GPU")
            devices = [d.name for d in gpus] or [
                d.name for d in tf.config.list_logical_devices("CPU")
            ]
            _STRATEGIES[distribution] = tf.distribute.MirroredStrategy(devices)
        else:
            _STRATEGIES[distribution] = _multi_worker_strategy(_worker_timeout())
    return _STRATEGIES[distribution]


def free_ports(n: int) -> list[int]:
    """`n` TCP ports on 127.0.0.1 that are free right now."""
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def local_tf_configs(n: int, ports: Sequence[int] | None = None) -> list[str]:
    """One `TF_CONFIG` JSON string per local worker of an `n`-worker cluster on 127.0.0.1.

    Example:
        >>> json.loads(local_tf_configs(2, [5001, 5002])[1])["task"]
        {'type': 'worker', 'index': 1}
    """
    ports = list(ports) if ports is not None else free_ports(n)
    if len(ports) != n:
        raise ValueError(f"Need {n} ports for {n} workers. Received {len(ports)}: {ports}")
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    return [
        json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}}) for i in range(n)
    ]


def launch_local_workers(
    argv: Sequence[str],
    n: int,
    *,
    timeout: float | None = None,
    env: dict | None = None,
    extra_args: Any = None,
) -> list[int]:
    """Run `python argv...` as `n` local workers, each with its own generated `TF_CONFIG`.

    Worker 0 (the chief) writes to this process's stdout; the others' output is prefixed with
    their index and sent to stderr. If one worker fails, the others are stopped.

    Args:
        argv: Arguments after `python` (e.g. `["-m", "nlpkit.cli", "run", "recipe.toml"]`).
        n: Number of workers (>= 1).
        timeout: Seconds after which every worker still running is stopped.
        env: Extra environment variables.
        extra_args: Optional function `worker index -> list of extra arguments`.

    Returns:
        The exit codes, one per worker.
    """
    if n < 1:
        raise ValueError(f"`--workers` must be at least 1. Received: {n}")
    configs = local_tf_configs(n)
    procs = []
    for i, cfg in enumerate(configs):
        worker_env = {**os.environ, **(env or {}), "TF_CONFIG": cfg, "NLPKIT_WORKER": str(i)}
        procs.append(
            subprocess.Popen(
                [sys.executable, *argv, *(extra_args(i) if extra_args else [])],
                env=worker_env,
                stdout=None if i == 0 else subprocess.PIPE,
                stderr=None if i == 0 else subprocess.STDOUT,
                text=True,
            )
        )

    def relay(i, proc):
        for line in proc.stdout:
            sys.stderr.write(f"[worker {i}] {line}")

    threads = [
        threading.Thread(target=relay, args=(i, p), daemon=True)
        for i, p in enumerate(procs)
        if p.stdout is not None
    ]
    for t in threads:
        t.start()
    import time

    deadline = None if timeout is None else time.monotonic() + timeout
    codes: list[int | None] = [None] * n
    while any(c is None for c in codes):
        for i, p in enumerate(procs):
            if codes[i] is None:
                codes[i] = p.poll()
        failed = any(c not in (None, 0) for c in codes)
        late = deadline is not None and time.monotonic() > deadline
        if failed or late:
            for i, p in enumerate(procs):
                if codes[i] is None:
                    p.terminate()
            for i, p in enumerate(procs):
                if codes[i] is None:
                    try:
                        codes[i] = p.wait(10)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        codes[i] = p.wait()
            break
        time.sleep(0.2)
    for t in threads:
        t.join(5)
    return [int(c) for c in codes]  # type: ignore[arg-type]
