"""The FastAPI application: routes, the one error handler, health and readiness."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.concurrency import run_in_threadpool

from videoforge import __version__
from videoforge.engine import Services
from videoforge.errors import RangeNotSatisfiable, Unauthorized, VideoforgeError
from videoforge.http import (
    delivery,
    direct,
    imports,
    page,
    presets,
    previews,
    security,
    storyboards,
    tasks,
    tus,
    videos,
    webhooks,
    workers,
)
from videoforge.http.deps import authorize
from videoforge.http.feed import ChangeFeed
from videoforge.http.schemas import ErrorBody
from videoforge.jobs.metrics import RedisCollector
from videoforge.jobs.reads import AsyncJobReads
from videoforge.settings import Settings

log = logging.getLogger(__name__)


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    """The API over `services` (runtime.wiring builds them). Without services the app can
    only describe itself: its OpenAPI document needs no Redis, storage or ffmpeg."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if services is None:
            raise RuntimeError("create_app needs services to serve requests")
        app.state.services = services
        app.state.event_reads = anyio.CapacityLimiter(tasks.EVENT_READ_THREADS)
        # Twice the storage calls allowed at once: the extra threads fail fast (503) while
        # storage hangs, instead of leaving requests queued behind it.
        app.state.storage_threads = anyio.CapacityLimiter(2 * settings.api_storage_concurrency)
        # Webhooks go out from API processes: they render events as the API shows them.
        dispatcher = webhooks.dispatcher(services) if settings.webhook_dispatcher else None
        if dispatcher:
            dispatcher.start()
        app.state.feed = ChangeFeed(services.engine.jobs.client)  # wakes event streams
        # Status polls read on this loop (no thread each); without a URL, on threads.
        url = services.engine.settings.redis_url
        app.state.job_reads = AsyncJobReads.from_url(url) if url else None
        app.state.feed.start(asyncio.get_running_loop())
        tus_sweep = asyncio.create_task(tus.sweep_forever(services))  # expired tus uploads
        yield
        tus_sweep.cancel()
        if app.state.job_reads:
            await app.state.job_reads.close()
        await run_in_threadpool(app.state.feed.stop)
        if dispatcher:
            await run_in_threadpool(dispatcher.stop)
        services.executor.close()

    app = FastAPI(
        title="videoforge",
        version=__version__,
        description="Upload videos, transcode them to HLS, MP4 or WebM, and stream the results.",
        lifespan=lifespan,
        docs_url=None,  # page.install serves Swagger UI from local files, not a CDN
        redoc_url=None,
    )
    security.install(app, settings)
    # Tasks before files: `/videos/tasks` would otherwise match `/videos/{file_id}`.
    app.include_router(tasks.status_router)
    app.include_router(tasks.router)
    app.include_router(tasks.events_router)
    app.include_router(tus.router)
    app.include_router(imports.router)
    app.include_router(videos.router)
    app.include_router(delivery.router)
    app.include_router(previews.router)
    app.include_router(storyboards.router)
    app.include_router(workers.router)
    app.include_router(webhooks.router)
    app.include_router(direct.router)
    app.include_router(presets.router)
    page.install(app, settings)
    app.add_exception_handler(VideoforgeError, _videoforge_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected_error)
    app.add_api_route(
        "/metrics",
        metrics,
        methods=["GET"],
        tags=["health"],
        dependencies=[Depends(authorize)],
        response_class=PlainTextResponse,
        responses={200: {"content": {"text/plain": {}}}, 401: {"model": ErrorBody}},
    )
    app.add_api_route("/healthz", healthz, methods=["GET"], tags=["health"])
    app.add_api_route("/healthz", healthz, methods=["HEAD"], include_in_schema=False)
    app.add_api_route(
        "/readyz",
        readyz,
        methods=["GET"],
        tags=["health"],
        responses={503: {"description": "Not ready"}},
    )
    return app


async def _videoforge_error(_: Request, exc: VideoforgeError) -> JSONResponse:
    headers = {}
    if isinstance(exc, RangeNotSatisfiable):
        headers["content-range"] = f"bytes */{exc.size}"
    if isinstance(exc, Unauthorized):
        headers["www-authenticate"] = 'Bearer realm="videoforge"'

    return JSONResponse({"detail": exc.message}, status_code=exc.http_status, headers=headers)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"detail": "internal error; see the server log"}, status_code=500)


async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    problems = [_describe(error) for error in exc.errors()]
    return JSONResponse({"detail": "; ".join(problems)}, status_code=422)


def _describe(error: Any) -> str:
    """One readable phrase per validation error."""
    if error["type"] == "json_invalid":
        return "the request body is not valid JSON"
    if tuple(error["loc"]) == ("body",):
        return "send a JSON object with Content-Type: application/json"
    where = ".".join(str(part) for part in error["loc"] if part not in ("body", "query"))
    return f"{where}: {error['msg']}" if where else str(error["msg"])


async def metrics(request: Request) -> Response:
    """Prometheus text format: job counts, queue depth, durations, speed, bytes."""
    services: Services = request.app.state.services
    registry = CollectorRegistry()
    registry.register(RedisCollector(services.engine.metrics))
    registry.register(webhooks.BacklogCollector(webhooks.stores(services).deliveries))
    body = await run_in_threadpool(generate_latest, registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


async def readyz(request: Request) -> JSONResponse:
    """Readiness: Redis, storage, ffmpeg and a live worker all answer."""
    services: Services = request.app.state.services
    checks = await run_in_threadpool(_run_checks, services)
    ready = all(value == "ok" for value in checks.values())
    body: dict[str, Any] = {"status": "ready" if ready else "not ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503)


def _run_checks(services: Services) -> dict[str, str]:
    engine = services.engine
    probes: dict[str, Callable[[], None]] = {
        "redis": engine.jobs.ping,
        "storage": engine.storage.check,
        "ffmpeg": lambda: _require(
            all(os.access(b, os.X_OK) for b in (engine.binaries.ffmpeg, engine.binaries.ffprobe)),
            "ffmpeg or ffprobe is not executable",
        ),
        "worker": lambda: _require(services.executor.has_live_worker(), "no worker answered"),
    }
    checks = {}
    for name, probe in probes.items():
        try:
            probe()
            checks[name] = "ok"
        except Exception as exc:
            # Anonymous callers see which check failed, not addresses or stack details.
            log.warning("readiness check %s failed: %s", name, exc)
            shown = str(exc) if isinstance(exc, RuntimeError) else type(exc).__name__
            checks[name] = f"failed: {shown}"
    return checks


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise RuntimeError(message)
