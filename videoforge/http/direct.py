"""Direct uploads to S3: the client PUTs the parts of an S3 multipart upload itself, to
presigned URLs, and the API never carries the bytes. Then `complete` checks the size,
probes the object in place under the input rules, and keeps it like any upload.

Unfinished uploads are aborted once past EXPIRY_S (each new direct upload sweeps a few
expired ones; a bucket lifecycle rule for `uploads/direct/` is a good second net)."""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from videoforge import sources
from videoforge.engine import Services
from videoforge.errors import Conflict, InvalidRequest, UploadTooLarge, VideoforgeError
from videoforge.http.deps import ERRORS, ServicesDep, authorize, in_storage_threads
from videoforge.http.schemas import UploadResponse
from videoforge.http.videos import list_accepted
from videoforge.jobs.direct_uploads import DirectUploads
from videoforge.storage.multipart import MAX_PARTS, S3Multipart, plan_parts

EXPIRY_S = 24 * 3600  # also how long the part URLs last
SWEEP_PER_CALL = 20
router = APIRouter(prefix="/videos/uploads/direct", tags=["uploads"], responses=ERRORS,
                   dependencies=[Depends(authorize)])  # fmt: skip


class DirectRequest(BaseModel):
    filename: str = Field(min_length=1, max_length=255, description="The file's own name")
    size: int = Field(gt=0, description="Bytes the client will send, in all")


class Part(BaseModel):
    number: int = Field(ge=1, le=MAX_PARTS)
    url: str = Field(description="PUT the part's bytes here; keep the answer's ETag header")


class DirectUpload(BaseModel):
    upload_id: str
    part_bytes: int = Field(description="Every part is this long, the last one at most")
    parts: list[Part]
    expires_at: float
    complete_url: str
    abort_url: str


class SentPart(BaseModel):
    number: int = Field(ge=1, le=MAX_PARTS)
    etag: str = Field(min_length=1, max_length=200)


class CompleteRequest(BaseModel):
    parts: Annotated[list[SentPart], Field(min_length=1, max_length=MAX_PARTS)]


def _multipart(services: Services) -> S3Multipart:
    if services.multipart is None:
        raise Conflict("direct uploads need S3 storage (S3_ENDPOINT); use POST /videos/upload")
    return services.multipart


@router.post("", status_code=201, response_model=DirectUpload)
async def start(body: DirectRequest, services: ServicesDep) -> dict[str, Any]:
    """Start a direct upload: presigned URLs for each part of an S3 multipart upload."""
    multipart = _multipart(services)
    if body.size > services.engine.settings.max_upload_bytes:
        raise UploadTooLarge(f"at most {services.engine.settings.max_upload_bytes} bytes")
    uploads = DirectUploads(services.engine.jobs.client)
    await run_in_threadpool(_sweep, multipart, uploads)
    upload_id = uuid.uuid4().hex
    plan = plan_parts(body.size)
    key = f"uploads/direct/{upload_id}"

    def begin() -> list[str]:
        s3_id = multipart.start(key, "application/octet-stream")
        uploads.save({"upload_id": upload_id, "key": key, "s3_upload_id": s3_id,
                      "filename": body.filename, "size": body.size, "parts": plan.count,
                      "state": "open", "expires_at": time.time() + EXPIRY_S})  # fmt: skip
        return multipart.part_urls(key, s3_id, plan.count, EXPIRY_S)

    urls = await run_in_threadpool(begin)
    base = f"/videos/uploads/direct/{upload_id}"
    return {"upload_id": upload_id, "part_bytes": plan.part_bytes,
            "parts": [{"number": n, "url": url} for n, url in enumerate(urls, start=1)],
            "expires_at": time.time() + EXPIRY_S, "complete_url": f"{base}/complete",
            "abort_url": f"{base}/abort"}  # fmt: skip


@router.get("/{upload_id}")
async def show(upload_id: str, services: ServicesDep) -> dict[str, Any]:
    """A direct upload's state: open, done (with its file_id), refused (why), aborted."""
    record = await run_in_threadpool(DirectUploads(services.engine.jobs.client).get, upload_id)
    shown = ("upload_id", "filename", "size", "state", "file_id", "error", "expires_at")
    return {name: record.get(name) for name in shown}


@router.post("/{upload_id}/complete", response_model=UploadResponse)
async def complete(
    upload_id: str, body: CompleteRequest, request: Request, services: ServicesDep
) -> UploadResponse:
    """Finish a direct upload: S3 joins the parts, then it is probed and kept as a file."""
    multipart = _multipart(services)
    uploads = DirectUploads(services.engine.jobs.client)
    record = await _take(uploads, upload_id)
    numbers = sorted(part.number for part in body.parts)
    if numbers != list(range(1, len(numbers) + 1)) or len(numbers) > int(record["parts"]):
        await run_in_threadpool(uploads.release, upload_id, float(record["expires_at"]))
        raise InvalidRequest(f"send parts 1 to {len(numbers)} once each (of {record['parts']})")
    key, engine = record["key"], services.engine
    try:
        parts = [(part.number, part.etag) for part in body.parts]
        await run_in_threadpool(multipart.complete, key, record["s3_upload_id"], parts)
    except VideoforgeError:
        await run_in_threadpool(uploads.release, upload_id, float(record["expires_at"]))
        raise

    def accept() -> Any:
        sent = engine.storage.size(key)
        if sent != int(record["size"]):
            raise InvalidRequest(f"{sent} bytes arrived where {record['size']} were declared")
        return sources.accept_stored(engine, key, record["filename"], multipart.copy)

    try:
        source = await in_storage_threads(request, accept)
    except VideoforgeError as exc:
        await run_in_threadpool(uploads.finish, upload_id, state="refused", error=exc.message)
        raise
    finally:
        await in_storage_threads(request, lambda: engine.storage.delete(key))
    await list_accepted(request, services, source, int(record["size"]))
    await run_in_threadpool(uploads.finish, upload_id, state="done", file_id=source.file_id)
    return UploadResponse.of(source)


@router.post("/{upload_id}/abort", status_code=204)
async def abort(upload_id: str, services: ServicesDep) -> Response:
    """Give a direct upload up: S3 frees its parts."""
    multipart = _multipart(services)
    uploads = DirectUploads(services.engine.jobs.client)
    record = await _take(uploads, upload_id)
    await run_in_threadpool(multipart.abort, record["key"], record["s3_upload_id"])
    await run_in_threadpool(uploads.finish, upload_id, state="aborted")
    return Response(status_code=204)


async def _take(uploads: DirectUploads, upload_id: str) -> dict[str, str]:
    record = await run_in_threadpool(uploads.get, upload_id)
    if record["state"] != "open" or not await run_in_threadpool(uploads.claim, upload_id):
        raise Conflict(f"direct upload {upload_id} is {record['state']}, or being finished")
    return record


def _sweep(multipart: S3Multipart, uploads: DirectUploads) -> None:
    """Abort a few expired direct uploads (each taken once, whoever sweeps)."""
    for upload_id in uploads.expired(SWEEP_PER_CALL):
        if uploads.claim(upload_id):
            record = uploads.get(upload_id)
            multipart.abort(record["key"], record["s3_upload_id"])
            uploads.finish(upload_id, state="expired")
