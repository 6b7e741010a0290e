"""A file's storyboard: the sprite of evenly spaced tiles a worker makes after the upload
(see sources.make_storyboard), and its descriptions for players: WebVTT, whose cue texts
are `storyboard.jpg#xywh=x,y,w,h`, and JSON. Before the worker is done: 202 with
Retry-After (the work is queued again, in case its message was lost). Access as for the
file's other previews."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from videoforge import sources
from videoforge.auth import sign
from videoforge.errors import NotFound
from videoforge.http.delivery import allow
from videoforge.http.deps import ERRORS, ServicesDep, in_storage_threads
from videoforge.http.previews import RETRY_AFTER_S, cached, scope
from videoforge.media import storyboard
from videoforge.storage import preview_key

router = APIRouter(prefix="/videos", tags=["previews"])
TYPES = {"vtt": "text/vtt", "json": "application/json", "jpg": "image/jpeg"}
_ANSWERS: dict[int | str, dict[str, object]] = {
    200: {"description": "The storyboard", "content": {kind: {} for kind in TYPES.values()}},
    202: {**ERRORS[404], "description": "Not made yet: retry after `Retry-After` seconds"},
    **{code: ERRORS[code] for code in (401, 404)},
}


@router.get("/{file_id}/storyboard.{extension}", responses=_ANSWERS, response_class=Response)
async def storyboard_file(
    file_id: str, extension: str, request: Request, services: ServicesDep
) -> Response:
    """The storyboard as `vtt` (WebVTT: cues from 0 to the duration, back to back), `json`
    (`url`, `tile_width`, `tile_height`, `duration`, `tiles: [{start, x, y}]`) or `jpg`
    (the sprite: 50 tiles for videos under 15 minutes, 100 above, ten to a row)."""
    if extension not in TYPES:
        raise NotFound(f"no storyboard type {extension[:16]!r}: use vtt, json or jpg")
    storage = services.engine.storage

    def read() -> tuple[int | None, bytes | None, bytes | None]:
        expires = allow(request, services, (scope(file_id),))
        sources.lookup(services.engine, file_id)  # 404 for unknown files
        described = cached(storage, preview_key(file_id, storyboard.LAYOUT))
        if described is None or extension != "jpg":
            return expires, described, described
        return expires, described, cached(storage, preview_key(file_id, storyboard.SPRITE))

    expires, described, body = await in_storage_threads(request, read)
    if described is None or body is None:
        await run_in_threadpool(services.executor.make_storyboard, file_id)
        return JSONResponse(
            {"detail": "the storyboard is being made: try again shortly"},
            status_code=202,
            headers={"retry-after": str(RETRY_AFTER_S)},
        )
    # Made once, never changed. With keys, the sprite's URL inside carries a signature that
    # expires: such answers are this client's, and short-lived.
    cache = "public, max-age=31536000, immutable" if expires is None else "private, max-age=300"
    if extension == "jpg":
        return Response(body, media_type=TYPES["jpg"], headers={"cache-control": cache})
    layout: dict[str, Any] = json.loads(described)
    if expires is not None:
        signature = sign(services.keys.signing_key(), scope(file_id), expires)
        layout["url"] = f"{storyboard.SPRITE}?exp={expires}&sig={signature}"
    if extension == "json":
        return JSONResponse(layout, headers={"cache-control": cache})
    return Response(storyboard.vtt(layout), media_type=TYPES["vtt"],
                    headers={"cache-control": cache})  # fmt: skip
