"""The HTTP server: TensorFlow Serving's REST API and the demo page, on Starlette + uvicorn.

`ModelServer(root, ...)` finds every model under `root` (see `discover_models`), loads each one
once (in a background thread, so `/healthz` answers at once and `/readyz` turns 200 when all are
loaded), and serves:

- `GET /v1/models/{name}` and `GET /v1/models/{name}/versions/{v}`: status, TF Serving's shape;
- `GET /v1/models/{name}/metadata`: signatures, TF Serving's shape;
- `POST /v1/models/{name}:predict` (also `/versions/{v}:predict`): row or columnar requests;
- `GET /healthz`, `GET /readyz`; `GET /api/models` (the demo page's model list); `GET /` the page.

Starlette and uvicorn are the optional extra `serve`: `pip install "nlpkit[serve]"`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlpkit.errors import MissingDependencyError
from nlpkit.serving.batching import Batcher
from nlpkit.serving.models import MODEL_NAME_PATTERN, RequestError, ServedModel, discover_models
from nlpkit.serving.rest import Limits, check_limits, format_predict, parse_predict

__all__ = ["ServerConfig", "ModelServer", "create_app", "serve", "running_server"]

log = logging.getLogger("nlpkit.serving")
STATIC_DIR = Path(__file__).with_name("static")


def _require_starlette():
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as e:
        raise MissingDependencyError("starlette/uvicorn", "serve", "`nlpkit serve`") from e


@dataclass
class ServerConfig:
    """Server settings (the `nlpkit serve` options).

    Args:
        host: Interface to bind; loopback by default. Use 0.0.0.0 only behind a firewall.
        port: TCP port (8501 is TF Serving's REST port; 0 picks a free one).
        batching: Batch concurrent requests to the same model and signature.
        batch_window_ms: How long the first request of a batch waits for more.
        max_batch_size: Rows per batch at most.
        max_concurrent_batches: Batches of one model signature running at once at most
            (TF Serving's `num_batch_threads`); requests arriving meanwhile form the next batch.
        threads: Worker threads running model calls.
        limits: Request caps (`nlpkit.serving.rest.Limits`).
    """

    host: str = "127.0.0.1"
    port: int = 8501
    batching: bool = True
    batch_window_ms: float = 2.0
    max_batch_size: int = 64
    max_concurrent_batches: int = 1
    threads: int = 4
    limits: Limits = field(default_factory=Limits)


class ModelServer:
    """The models under one folder, their batchers and the ASGI app that serves them.

    Args:
        root: Folder of models (`saved_models/`), or one model's folder of versions.
        config: Server settings.

    Example:
        >>> server = ModelServer("saved_models")  # doctest: +SKIP
        >>> server.load()                          # doctest: +SKIP
        >>> uvicorn.run(server.app, host="127.0.0.1", port=8501)  # doctest: +SKIP
    """

    def __init__(self, root: str | os.PathLike, config: ServerConfig | None = None):
        _require_starlette()
        self.root = Path(root)
        self.config = config or ServerConfig()
        self.paths = discover_models(self.root)
        self.models: dict[str, ServedModel] = {}
        self.failed: dict[str, str] = {}
        self.ready = threading.Event()
        self._loading: threading.Thread | None = None
        self.executor = ThreadPoolExecutor(
            max_workers=max(1, self.config.threads), thread_name_prefix="nlpkit-infer"
        )
        self.batchers: dict[tuple[str, str], Batcher] = {}
        self.app = create_app(self)

    # ------------------------------------------------------------------ loading
    def load(self) -> None:
        """Load every model now (blocking). Failures are kept in `failed` and logged."""
        for name, path in self.paths.items():
            if name in self.models:
                continue
            try:
                self.models[name] = ServedModel.load(name, path)
                _warm_up(self.models[name])
                log.info("loaded model %s from %s", name, self.models[name].path)
            except Exception as e:  # noqa: BLE001 - one broken export must not stop the others
                self.failed[name] = f"{type(e).__name__}: {e}"
                log.error("could not load model %s from %s: %s", name, path, e)
        self.ready.set()

    def load_in_background(self) -> None:
        if self._loading is None and not self.ready.is_set():
            self._loading = threading.Thread(target=self.load, name="nlpkit-load", daemon=True)
            self._loading.start()

    def batcher(self, model: ServedModel, signature: str) -> Batcher:
        key = (model.name, signature)
        if key not in self.batchers:
            self.batchers[key] = Batcher(
                lambda arrays: model.run(signature, arrays),
                self.executor,
                window_s=self.config.batch_window_ms / 1000.0,
                max_batch_size=self.config.max_batch_size,
                max_concurrent_batches=self.config.max_concurrent_batches,
            )
        return self.batchers[key]

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


def _warm_up(model: ServedModel) -> None:
    """Call the task signature once, so the first real request does not pay for graph set-up."""
    sig = model.signatures.get(model.task_signature or "")
    if sig is None or not sig.batchable or any(t.dtype != "string" for t in sig.inputs.values()):
        return
    try:
        model.run(sig.name, model.to_arrays(sig, {k: ["warm up"] for k in sig.inputs}))
    except Exception as e:  # noqa: BLE001 - a failed warm-up only costs time later
        log.warning("warm-up of %s/%s failed: %s", model.name, sig.name, e)


# ---------------------------------------------------------------------------- the ASGI app
def _error(message: str, status: int):
    from starlette.responses import JSONResponse

    return JSONResponse({"error": message}, status_code=status)


def create_app(server: ModelServer):
    """Build the Starlette app for `server` (see the module docstring for the routes)."""
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import FileResponse, JSONResponse
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    limits = server.config.limits

    def find_model(request: Request) -> ServedModel:
        name = request.path_params["name"]
        version = request.path_params.get("version")
        if not MODEL_NAME_PATTERN.match(name) or (name not in server.models):
            if name in server.failed:
                raise RequestError(f"Model {name!r} failed to load: {server.failed[name]}", 503)
            if name in server.paths and not server.ready.is_set():
                raise RequestError(f"Model {name!r} is still loading; retry shortly.", 503)
            raise RequestError(
                f"Servable not found for request: Latest({name[:100]}). Models served: "
                f"{sorted(server.models)}.",
                404,
            )
        model = server.models[name]
        if version is not None and str(model.version) != version:
            raise RequestError(
                f"Servable not found for request: Specific({name}, {version[:20]}). "
                f"Version served: {model.version}.",
                404,
            )
        return model

    async def read_json(request: Request) -> Any:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limits.max_body_bytes:
            raise RequestError(
                f"Request body of {declared} bytes is larger than the limit of "
                f"{limits.max_body_bytes} bytes (server option --max-body-bytes).",
                413,
            )
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limits.max_body_bytes:
                raise RequestError(
                    f"Request body is larger than the limit of {limits.max_body_bytes} bytes "
                    "(server option --max-body-bytes).",
                    413,
                )
            chunks.append(chunk)
        try:
            return json.loads(b"".join(chunks))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise RequestError(f"The request body is not valid JSON: {e}") from e

    async def model_status(request: Request):
        model = find_model(request)
        return JSONResponse(
            {
                "model_version_status": [
                    {
                        "version": str(model.version if model.version is not None else ""),
                        "state": "AVAILABLE",
                        "status": {"error_code": "OK", "error_message": ""},
                    }
                ]
            }
        )

    async def model_metadata(request: Request):
        return JSONResponse(find_model(request).metadata())

    async def predict(request: Request):
        model = find_model(request)
        verb = request.path_params["verb"]
        if verb != "predict":
            raise RequestError(
                f"The ':{verb[:20]}' API is not served; nlpkit serves ':predict' only.", 404
            )
        body = await read_json(request)
        req = parse_predict(body, model)
        check_limits(req, limits)
        if req.rows == 0 and req.row_format:
            return JSONResponse({"predictions": []})
        if server.config.batching and req.signature.batchable:
            outputs = await server.batcher(model, req.signature.name).submit(req.arrays)
        else:
            loop = asyncio.get_running_loop()
            outputs = await loop.run_in_executor(
                server.executor, model.run, req.signature.name, req.arrays
            )
        return JSONResponse(format_predict(req, outputs))

    async def healthz(request: Request):
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request):
        if not server.ready.is_set():
            return JSONResponse(
                {"status": "loading", "models": sorted(server.models)}, status_code=503
            )
        batching = {
            f"{m}/{sig}": {
                "batches": b.stats.batches,
                "requests": b.stats.requests,
                "rows": b.stats.rows,
                "largest": b.stats.largest,
                "run_seconds": round(b.stats.run_seconds, 3),
            }
            for (m, sig), b in sorted(server.batchers.items())
        }
        return JSONResponse(
            {
                "status": "ready",
                "models": sorted(server.models),
                "failed": server.failed,
                "batching": batching,
            }
        )

    async def list_models(request: Request):
        return JSONResponse(
            {
                "ready": server.ready.is_set(),
                "models": [server.models[n].describe() for n in sorted(server.models)],
                "failed": server.failed,
            }
        )

    async def index(request: Request):
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")

    async def on_request_error(request: Request, exc: RequestError):
        return _error(str(exc), exc.status)

    async def on_http_error(request: Request, exc: HTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404:
            detail = f"Not found: {request.url.path[:200]}"
        return _error(detail, exc.status_code)

    async def on_any_error(request: Request, exc: Exception):
        log.exception("error serving %s", request.url.path)
        return _error(f"Internal error: {type(exc).__name__}: {exc}", 500)

    @asynccontextmanager
    async def lifespan(app):
        server.load_in_background()
        yield

    routes = [
        Route("/", index),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/api/models", list_models),
        Route("/v1/models/{name}", model_status),
        Route("/v1/models/{name}/metadata", model_metadata),
        Route("/v1/models/{name}/versions/{version}", model_status),
        Route("/v1/models/{name}/versions/{version}/metadata", model_metadata),
        Route("/v1/models/{name}:{verb}", predict, methods=["POST"]),
        Route("/v1/models/{name}/versions/{version}:{verb}", predict, methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            RequestError: on_request_error,
            HTTPException: on_http_error,
            Exception: on_any_error,
        },
    )


# ---------------------------------------------------------------------------- running it
def serve(root: str | os.PathLike, config: ServerConfig | None = None) -> None:
    """Serve the models under `root` until interrupted (what `nlpkit serve` runs)."""
    import uvicorn

    server = ModelServer(root, config)
    cfg = server.config
    if not server.paths:
        raise ValueError(
            f"No models found under {root}: expected subfolders with numbered SavedModel "
            "versions (<name>/<n>/saved_model.pb), as `pipeline.export()` writes."
        )
    try:
        uvicorn.run(server.app, host=cfg.host, port=cfg.port, log_level="info")
    finally:
        server.close()


@contextmanager
def running_server(
    root: str | os.PathLike, config: ServerConfig | None = None, *, timeout: float = 120.0
):
    """Run a server in a background thread (for tests and benchmarks); yield `(url, server)`.

    The server binds `config.host` (loopback by default) on `config.port` (0: a free port), and
    the block starts once every model is loaded. Leaving the block stops the server.

    Example:
        >>> with running_server("saved_models", ServerConfig(port=0)) as (url, _):  # doctest: +SKIP
        ...     httpx.get(url + "/readyz").json()["status"]
        'ready'
    """
    import uvicorn

    server = ModelServer(root, config or ServerConfig(port=0))
    server.load()
    uv = uvicorn.Server(
        uvicorn.Config(
            server.app,
            host=server.config.host,
            port=server.config.port,
            log_level="warning",
            lifespan="on",
        )
    )
    thread = threading.Thread(target=uv.run, name="nlpkit-uvicorn", daemon=True)
    thread.start()
    deadline = timeout
    import time

    start = time.monotonic()
    while not uv.started:
        if not thread.is_alive() or time.monotonic() - start > deadline:
            uv.should_exit = True
            raise RuntimeError("The test server did not start.")
        time.sleep(0.02)
    port = uv.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{server.config.host}:{port}", server
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        server.close()
