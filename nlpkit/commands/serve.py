"""`nlpkit serve DIR`: the HTTP server (see `nlpkit serve --help` and docs/serving.md)."""

from __future__ import annotations

import argparse

__all__ = ["main", "add_arguments", "config_from_args"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", metavar="DIR", help="folder of models, e.g. saved_models/")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (127.0.0.1)")
    p.add_argument("--port", type=int, default=8501, help="TCP port (8501)")
    p.add_argument(
        "--no-batching", action="store_true", help="run each request alone (no server batching)"
    )
    p.add_argument(
        "--batch-window-ms",
        type=float,
        default=2.0,
        help="how long a batch waits for more requests (2.0 ms)",
    )
    p.add_argument("--max-batch-size", type=int, default=64, help="rows per batch at most (64)")
    p.add_argument(
        "--max-concurrent-batches",
        type=int,
        default=1,
        help="batches of one model running at once; later requests form the next batch (1)",
    )
    p.add_argument("--threads", type=int, default=4, help="inference threads (4)")
    p.add_argument("--max-body-bytes", type=int, default=1 << 20, help="request body limit (1 MiB)")
    p.add_argument("--max-instances", type=int, default=256, help="rows per request (256)")
    p.add_argument(
        "--max-input-length",
        type=int,
        default=10_000,
        help="characters per string / positions per sequence (10000)",
    )
    p.add_argument(
        "--max-generate-steps",
        type=int,
        default=1_000,
        help="largest max_length/steps a generator may be asked for (1000)",
    )


def config_from_args(args):
    from nlpkit.serving.app import ServerConfig
    from nlpkit.serving.rest import Limits

    for name in (
        "max_batch_size",
        "max_concurrent_batches",
        "threads",
        "max_body_bytes",
        "max_instances",
        "max_input_length",
        "max_generate_steps",
    ):
        if getattr(args, name) < 1:
            raise ValueError(
                f"--{name.replace('_', '-')} must be at least 1. Received: {getattr(args, name)}"
            )
    if args.batch_window_ms < 0:
        raise ValueError(f"--batch-window-ms must be >= 0. Received: {args.batch_window_ms}")
    return ServerConfig(
        host=args.host,
        port=args.port,
        batching=not args.no_batching,
        batch_window_ms=args.batch_window_ms,
        max_batch_size=args.max_batch_size,
        max_concurrent_batches=args.max_concurrent_batches,
        threads=args.threads,
        limits=Limits(
            max_body_bytes=args.max_body_bytes,
            max_instances=args.max_instances,
            max_input_length=args.max_input_length,
            max_generate_steps=args.max_generate_steps,
        ),
    )


def main(args) -> int:
    from nlpkit.serving.app import serve

    serve(args.dir, config_from_args(args))
    return 0
