"""Resumable uploads: tus 1.0.0 (core, creation, creation-with-upload, termination,
expiration) at /videos/tus/. Every refusal is decided from the headers and the upload's state,
before a byte of the body is read. Bytes are staged on this API's disk; the last one sends
the file through the same accept path as POST /videos/upload."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from videoforge.engine import Services
from videoforge.errors import Unauthorized, UploadTooLarge, VideoforgeError
from videoforge.http.deps import ERRORS, ServicesDep, authorize
from videoforge.http.schemas import TusUploadStatus
from videoforge.http.tus_receive import LOCK_TTL_S, locked, receive
from videoforge.resumable import protocol
from videoforge.resumable.store import RECEIVING, UploadStore

log = logging.getLogger(__name__)


class TusRoute(APIRoute):
    """Every answer carries Tus-Resumable, refusals included (as tus clients expect)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                response = await handler(request)
            except VideoforgeError as exc:
                response = _refusal(request, exc)
            except ClientDisconnect:  # what arrived is kept; nobody is left to answer
                response = Response(status_code=400)
            response.headers["tus-resumable"] = protocol.VERSION
            return response

        return answer


def _refusal(request: Request, exc: VideoforgeError) -> Response:
    headers = {}
    if isinstance(exc, protocol.PreconditionFailed):
        headers["tus-version"] = protocol.VERSION
    if isinstance(exc, Unauthorized):
        headers["www-authenticate"] = 'Bearer realm="videoforge"'
    if request.method == "HEAD":
        return Response(status_code=exc.http_status, headers=headers)
    return JSONResponse({"detail": exc.message}, status_code=exc.http_status, headers=headers)


_TUS_ERRORS: dict[int | str, dict[str, object]] = {
    **ERRORS,
    400: {**ERRORS[409], "description": "A malformed tus header"},
    412: {**ERRORS[409], "description": "No Tus-Resumable: 1.0.0 (Tus-Version lists it)"},
}
router = APIRouter(
    prefix="/videos/tus", tags=["files"], responses=_TUS_ERRORS, route_class=TusRoute
)
_AUTH = [Depends(authorize)]


def store(services: Services) -> UploadStore:
    """The resumable uploads of this cluster (state in Redis, bytes under DATA_DIR/tus)."""
    settings = services.engine.settings
    return UploadStore(services.engine.jobs.client, settings.data_dir / "tus",
                       settings.tus_expiry_s, LOCK_TTL_S)  # fmt: skip


@router.options("/", status_code=204, response_class=Response)
async def discover(services: ServicesDep) -> Response:
    """What this server speaks: tus version, extensions and the largest upload."""
    return Response(status_code=204, headers={
        "tus-version": protocol.VERSION,
        "tus-extension": ",".join(protocol.EXTENSIONS),
        "tus-max-size": str(services.engine.settings.max_upload_bytes),
    })  # fmt: skip


@router.post("/", status_code=201, response_class=Response, dependencies=_AUTH)
async def create(request: Request, services: ServicesDep) -> Response:
    """Start an upload (Upload-Length, Upload-Metadata filename and filetype); with an
    application/offset+octet-stream body, its first bytes too. 201 with Location."""
    headers = request.headers
    protocol.check_version(headers.get("tus-resumable"))
    if "upload-defer-length" in headers:
        raise protocol.BadHeader("Upload-Defer-Length is not supported: send Upload-Length")
    length = protocol.parse_count("Upload-Length", headers.get("upload-length"))
    limit = services.engine.settings.max_upload_bytes
    if length > limit:
        raise UploadTooLarge(f"the upload exceeds the limit of {limit} bytes")
    if length == 0:
        raise protocol.BadHeader("Upload-Length must be at least 1: an empty file is no video")
    metadata = protocol.parse_metadata(headers.get("upload-metadata"))
    declared = protocol.parse_optional_count("Content-Length", headers.get("content-length"))
    with_body = bool(declared) or (declared is None and "content-type" in headers)
    if with_body:
        protocol.check_chunk_type(headers.get("content-type"))
        protocol.check_room(0, length, declared)
    uploads = store(services)
    upload = await run_in_threadpool(
        uploads.create, length, metadata.get("filename", ""), metadata.get("filetype", "")
    )
    answer = {"location": f"/videos/tus/{upload.upload_id}",
              "upload-expires": protocol.http_date(upload.expires_at)}  # fmt: skip
    if with_body:
        offset, expires_at = await receive(request, services, uploads, upload, 0, declared)
        answer |= {"upload-offset": str(offset), "upload-expires": protocol.http_date(expires_at)}
    return Response(status_code=201, headers=answer)


# Not in the OpenAPI document (as HEAD routes here are not): its answers have no body.
@router.head("/{upload_id}", response_class=Response, dependencies=_AUTH, include_in_schema=False)
async def offset(upload_id: str, request: Request, services: ServicesDep) -> Response:
    """Where to resume: Upload-Offset and Upload-Length (never cached)."""
    protocol.check_version(request.headers.get("tus-resumable"))
    upload = await run_in_threadpool(store(services).get, upload_id)
    headers = {"upload-offset": str(upload.offset), "upload-length": str(upload.length),
               "cache-control": "no-store"}  # fmt: skip
    if upload.state == RECEIVING:
        headers["upload-expires"] = protocol.http_date(upload.expires_at)
    return Response(status_code=200, headers=headers)


@router.patch("/{upload_id}", status_code=204, response_class=Response, dependencies=_AUTH)
async def append(upload_id: str, request: Request, services: ServicesDep) -> Response:
    """Append application/offset+octet-stream bytes at Upload-Offset; 204 with the new one."""
    headers = request.headers
    protocol.check_version(headers.get("tus-resumable"))
    protocol.check_chunk_type(headers.get("content-type"))
    at = protocol.parse_count("Upload-Offset", headers.get("upload-offset"))
    declared = protocol.parse_optional_count("Content-Length", headers.get("content-length"))
    uploads = store(services)
    upload = await run_in_threadpool(uploads.get, upload_id)
    offset, expires_at = await receive(request, services, uploads, upload, at, declared)
    answer = {"upload-offset": str(offset)}
    if offset < upload.length:
        answer["upload-expires"] = protocol.http_date(expires_at)
    return Response(status_code=204, headers=answer)


@router.delete("/{upload_id}", status_code=204, response_class=Response, dependencies=_AUTH)
async def terminate(upload_id: str, request: Request, services: ServicesDep) -> Response:
    """End an upload and drop its bytes (a file it already became stays); 409 mid-PATCH."""
    protocol.check_version(request.headers.get("tus-resumable"))
    uploads = store(services)
    await run_in_threadpool(uploads.get, upload_id)
    async with locked(uploads, upload_id):
        await run_in_threadpool(uploads.end, upload_id)
    return Response(status_code=204)


@router.get("/{upload_id}", response_model=TusUploadStatus, dependencies=_AUTH)
async def status(upload_id: str, services: ServicesDep) -> TusUploadStatus:
    """How far an upload got, and the file it became (or why it was refused)."""
    upload = await run_in_threadpool(store(services).get, upload_id)
    return TusUploadStatus(upload_id=upload.upload_id, offset=upload.offset,
                           length=upload.length, state=upload.state, file_id=upload.file_id,
                           error=upload.error)  # fmt: skip


async def sweep_forever(services: Services) -> None:
    """End expired unfinished uploads, on every API replica (the store makes it safe): their
    bytes are on the API's disk, which workers may not share."""
    uploads = store(services)
    interval_s = min(60.0, max(0.5, services.engine.settings.tus_expiry_s / 4))
    while True:
        await asyncio.sleep(interval_s)
        try:
            swept = await run_in_threadpool(uploads.sweep)
            if swept:
                log.info("swept %d expired resumable upload(s)", len(swept))
        except Exception as exc:  # a Redis outage must not end the loop
            log.warning("resumable upload sweep failed: %s", exc)
