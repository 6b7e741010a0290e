"""What every router depends on: the process's Services, the API-key check, and the threads
that work touching storage runs on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from videoforge.engine import Services
from videoforge.errors import Unauthorized
from videoforge.http.schemas import ErrorBody

T = TypeVar("T")


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
# Paging of the listings.
Limit = Annotated[int, Query(ge=1, le=100, description="Items per page")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip")]

# The error answers routes document; each is `{"detail": ...}` (see app.py's handler).
ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody} for code in (401, 404, 409, 413, 415, 422, 503)
}


async def in_storage_threads(request: Request, call: Callable[[], T]) -> T:
    """Run blocking work that touches storage on the API's own storage threads. While
    storage hangs they fill up, and the shared pool that every other route runs on does not."""
    limiter: anyio.CapacityLimiter = request.app.state.storage_threads
    return await anyio.to_thread.run_sync(call, limiter=limiter)


async def chunks_in_storage_threads(
    chunks: Iterator[bytes], limiter: anyio.CapacityLimiter
) -> AsyncIterator[bytes]:
    """A response body read from storage a chunk at a time on the storage threads."""
    try:
        while (
            chunk := await anyio.to_thread.run_sync(next, chunks, None, limiter=limiter)
        ) is not None:
            yield chunk
    finally:  # the client may have gone: let the reader finish its bookkeeping off the loop
        close = getattr(chunks, "close", None)
        if close is not None:
            await anyio.to_thread.run_sync(close, limiter=limiter)


def presented_key(request: Request) -> str | None:
    """The API key of a request: `Authorization: Bearer <key>` or `X-API-Key: <key>`."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        return token.strip()
    return request.headers.get("x-api-key")


async def authorize(request: Request) -> None:
    """Let the request through if keys are not required, or it carries a valid key."""
    # Async and with no dependencies of its own: every route runs it, so an open server's
    # requests take no thread and no extra solving for it; a key is checked on a thread.
    services: Services = request.app.state.services
    if services.auth_required:
        await run_in_threadpool(check_key, request, services)


def check_key(request: Request, services: Services) -> None:
    """Unauthorized unless the request carries a valid API key (reads Redis: off the loop)."""
    key = presented_key(request)
    if key and services.keys.verify(key):
        return
    raise Unauthorized("an API key is required: send Authorization: Bearer <key> or X-API-Key")
