"""Previews of a file made on demand: a thumbnail (one frame) or a short animation.

Each is made once, by FFmpeg, and kept in storage under `previews/{file_id}/` with a name
of its parameters (defaults filled in), so the same URL is served from there afterwards;
the file's DELETE removes them. At most PREVIEW_CONCURRENCY are made at once per API
process; a request that waits past PREVIEW_WAIT_S for a turn answers 503 with Retry-After.
Two first requests of the same preview make it once (a lock per name), and storage writes
are atomic, so replicas racing on one name are safe too.

The source is read in place: the stored file on local storage, a presigned URL on S3.
Access follows /videos/stream: an API key, or a URL signature (`exp`, `sig`) of
`previews/{file_id}`, when keys are required."""

from __future__ import annotations

import collections
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Annotated

import anyio
import anyio.to_thread
from fastapi import APIRouter, Query, Request
from starlette.responses import JSONResponse, Response

from videoforge import sources
from videoforge.engine import Engine
from videoforge.errors import NotFound
from videoforge.http.delivery import allow
from videoforge.http.deps import ERRORS, ServicesDep, in_storage_threads
from videoforge.media import stills
from videoforge.media.filters import VideoPrep
from videoforge.models import MediaInfo, SourceFile
from videoforge.storage import Storage, meta_key, preview_key

# ffmpeg runs making previews at once in one API process (a constant: settings are shared
# with the workers; previews are small, and two keep a core or two for the API itself).
PREVIEW_CONCURRENCY = 2
# How long a request waits for a turn before it answers 503 instead of queueing.
PREVIEW_WAIT_S = 5.0
RETRY_AFTER_S = 5
# One preview's ffmpeg run at most (seconds).
PREVIEW_TIMEOUT_S = 60.0

router = APIRouter(prefix="/videos", tags=["previews"])
_IMAGES: dict[int | str, dict[str, object]] = {
    200: {
        "description": "The image; `x-videoforge-cache` says `hit` or `miss`",
        "content": {kind: {} for kind in ("image/jpeg", "image/png", "image/webp", "image/gif")},
    },
    **{code: ERRORS[code] for code in (401, 404, 422)},
    503: {**ERRORS[503], "description": "Too many previews in the making: retry after a while"},
}
Seconds = Annotated[float | None, Query(description="Seconds from the start")]


class _Makers:
    """Per app: the turns to run ffmpeg, their threads, and one lock per preview name."""

    def __init__(self) -> None:
        self.turns = anyio.CapacityLimiter(PREVIEW_CONCURRENCY)
        self.threads = anyio.CapacityLimiter(PREVIEW_CONCURRENCY)
        self._locks: dict[str, anyio.Lock] = {}
        self._users: collections.Counter[str] = collections.Counter()

    @contextlib.asynccontextmanager
    async def only_one(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, anyio.Lock())
        self._users[key] += 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]


def _makers(request: Request) -> _Makers:
    # Made on first use, on the event loop (one thread: no race); kept in app.state.
    state = request.app.state
    if getattr(state, "preview_makers", None) is None:
        state.preview_makers = _Makers()
    makers: _Makers = state.preview_makers
    return makers


@router.get("/{file_id}/thumbnail.{extension}", responses=_IMAGES, response_class=Response)
async def thumbnail(
    file_id: str,
    extension: str,
    request: Request,
    services: ServicesDep,
    time: Seconds = None,
    width: Annotated[int | None, Query(description="Pixels; the height keeps the aspect")] = None,
) -> Response:
    """One frame of a file as `jpg`, `png` or `webp`: at `time` seconds (default: a tenth
    into the video), `width` pixels wide (default: the video's displayed width, at most
    3840; sides are made even). 422 names a bad parameter: a time below 0 or past the end,
    a width below 2 or above the video's or 3840."""
    if extension not in stills.STILL_TYPES:
        raise NotFound(f"no thumbnail type {extension[:16]!r}: use jpg, png or webp")
    return await _preview(
        request, services, file_id, lambda media: stills.plan_still(media, extension, time, width)
    )


@router.get("/{file_id}/animated.{extension}", responses=_IMAGES, response_class=Response)
async def animated(
    file_id: str,
    extension: str,
    request: Request,
    services: ServicesDep,
    start: Seconds = None,
    end: Seconds = None,
    width: Annotated[int | None, Query(description="Pixels, at most 640")] = None,
    fps: Annotated[int | None, Query(description="Frames per second, at most 30")] = None,
) -> Response:
    """An animated `webp` or `gif` of a file, looping: from `start` (default 0) to `end`
    (default 3 s later, or the end), `width` pixels wide (default 320, or the video's width
    if smaller), at `fps` frames a second (default 10). Limits (422 beyond them): at most
    10 s long, 640 wide (and the video's width), 30 fps; end after start, both within the
    video."""
    if extension not in stills.ANIMATED_TYPES:
        raise NotFound(f"no animation type {extension[:16]!r}: use webp or gif")
    return await _preview(
        request,
        services,
        file_id,
        lambda media: stills.plan_animation(media, extension, start, end, width, fps),
    )


async def _preview(
    request: Request,
    services: ServicesDep,
    file_id: str,
    plan: Callable[[MediaInfo], stills.Preview],
) -> Response:
    engine = services.engine

    def look_up() -> tuple[int | None, SourceFile, stills.Preview]:
        expires = allow(request, services, (scope(file_id),))
        source = sources.lookup(engine, file_id)
        return expires, source, plan(source.media)

    expires, source, preview = await in_storage_threads(request, look_up)
    key = preview_key(file_id, preview.name)
    body = await in_storage_threads(request, lambda: cached(engine.storage, key))
    hit = body is not None
    if body is None:
        makers = _makers(request)
        async with makers.only_one(key):
            # Whoever held the lock before may have just made it.
            body = await in_storage_threads(request, lambda: cached(engine.storage, key))
            hit = body is not None
            if body is None:
                body = await _make(request, engine, makers, source, preview, key)
    if body is None:
        return JSONResponse(
            {"detail": "too many previews are being made: try again shortly"},
            status_code=503,
            headers={"retry-after": str(RETRY_AFTER_S)},
        )
    headers = {
        # The same URL always gives the same image. Images that needed a key or a
        # signature are for this client's cache only.
        "cache-control": f"{'public' if expires is None else 'private'}, max-age=31536000, "
        "immutable",
        "x-videoforge-cache": "hit" if hit else "miss",
    }
    return Response(body, media_type=preview.content_type, headers=headers)


def scope(file_id: str) -> str:
    """What a signature for a file's previews signs (no output name has a slash)."""
    return f"previews/{file_id}"


def cached(storage: Storage, key: str) -> bytes | None:
    try:
        return b"".join(storage.read(key))
    except NotFound:
        return None


async def _make(
    request: Request,
    engine: Engine,
    makers: _Makers,
    source: SourceFile,
    preview: stills.Preview,
    key: str,
) -> bytes | None:
    """Make and store a preview; None if no turn came within PREVIEW_WAIT_S."""
    try:
        with anyio.fail_after(PREVIEW_WAIT_S):
            await makers.turns.acquire()
    except TimeoutError:
        return None
    try:
        where = await in_storage_threads(request, lambda: sources.in_place(engine.storage, source))
        body = await anyio.to_thread.run_sync(
            _render, engine, source, preview, where, limiter=makers.threads
        )
    finally:
        makers.turns.release()
    await in_storage_threads(request, lambda: _store(engine.storage, source.file_id, key, body))
    return body


def _render(
    engine: Engine, source: SourceFile, preview: stills.Preview, where: Path | str | None
) -> bytes:
    prep, max_pixels = VideoPrep.of(source.media), engine.settings.max_input_pixels
    return sources.render(
        engine, source, where, preview.name,
        lambda at: stills.preview_argv(engine.binaries.ffmpeg, at, preview, prep, max_pixels),
        PREVIEW_TIMEOUT_S,
    )  # fmt: skip


def _store(storage: Storage, file_id: str, key: str, body: bytes) -> None:
    storage.put_bytes(key, body)
    # A DELETE of the file that ran meanwhile must not leave this one behind.
    try:
        storage.size(meta_key(file_id))
    except NotFound:
        storage.delete(key)
