"""Routes for files (uploaded sources): upload, list newest first, details, delete, and the
seed's per-file status. Handlers translate between HTTP and `sources`; no logic of their own."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from videoforge import sources
from videoforge.auth import sign
from videoforge.engine import Services
from videoforge.errors import NotFound, TransientError
from videoforge.http.bodies import output_summary, task_body
from videoforge.http.deps import (
    ERRORS,
    Limit,
    Offset,
    ServicesDep,
    authorize,
    in_storage_threads,
)
from videoforge.http.previews import scope as preview_scope
from videoforge.http.schemas import (
    FileDetails,
    FilePage,
    FileStatus,
    FileSummary,
    UploadResponse,
)
from videoforge.http.uploads import receive_upload
from videoforge.models import Job, JobKind, JobState, OutputFormat, SourceFile

# A new file's storyboard waits this long, behind every queued job: an application usually
# asks for a transcode right after its upload, and that should start first on an idle
# worker (a storyboard of a 20 s 1080p source takes a worker slot for 1.5 to 3 s).
STORYBOARD_DELAY_S = 10.0

router = APIRouter(
    prefix="/videos", tags=["files"], responses=ERRORS, dependencies=[Depends(authorize)]
)

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}
_LEGACY_STATUS = {JobState.SUCCESS: "ready", JobState.FAILURE: "failed"}


@router.post("/upload", response_model=UploadResponse, openapi_extra=_UPLOAD_BODY)
async def upload(request: Request, services: ServicesDep) -> UploadResponse:
    """Stream a video in (multipart field `file`), probe it, and keep it if it is a video."""
    settings = services.engine.settings
    received = await receive_upload(
        request, settings.temp_dir, settings.max_upload_bytes, settings.upload_idle_timeout_s
    )
    try:
        source = await in_storage_threads(
            request, lambda: sources.accept(services.engine, received.path, received.original_name)
        )
    finally:
        await run_in_threadpool(received.path.unlink, missing_ok=True)
    await list_accepted(request, services, source, received.size_bytes)
    return UploadResponse.of(source)


async def list_accepted(
    request: Request, services: Services, source: SourceFile, size_bytes: int
) -> None:
    """Make an accepted source known (the catalog, which reports `file.uploaded`), count
    it, and have its storyboard made: every way in (upload, direct, tus, import) ends here."""
    try:
        await run_in_threadpool(services.catalog.add, source)
    except TransientError:
        # Unlisted, the upload could never be found or deleted: it goes, the client retries.
        await in_storage_threads(
            request, lambda: sources.discard_upload(services.engine, source.file_id)
        )
        raise
    await run_in_threadpool(services.engine.metrics.count, "upload_bytes", "", size_bytes)
    if services.engine.settings.storyboards:  # made by a worker (seek-bar previews)
        await run_in_threadpool(
            services.executor.make_storyboard, source.file_id, STORYBOARD_DELAY_S
        )


@router.get("", response_model=FilePage)
def list_files(services: ServicesDep, limit: Limit = 20, offset: Offset = 0) -> FilePage:
    """Uploaded files, newest first."""
    found, total = services.catalog.page(offset, limit)
    return FilePage(
        items=[FileSummary.of(s) for s in found], total=total, offset=offset, limit=limit
    )


@router.get("/status/{file_id}", response_model=FileStatus, response_model_exclude_none=True)
async def file_status(
    file_id: str,
    request: Request,
    services: ServicesDep,
    format: Annotated[OutputFormat | None, Query()] = None,
) -> FileStatus:
    """Legacy: is the newest output of this file (in `format`) ready, processing or failed?"""
    return await in_storage_threads(request, lambda: _file_status(file_id, services, format))


def _file_status(file_id: str, services: Services, format: OutputFormat | None) -> FileStatus:
    sources.lookup(services.engine, file_id)
    jobs = [j for j in _transcodes(services, file_id) if format in (None, j.format)]
    if not jobs:
        wanted = f" as {format.value}" if format else ""
        raise NotFound(f"file {file_id} has not been transcoded{wanted}")
    job = max(jobs, key=lambda j: j.created_at)
    return FileStatus(
        file_id=file_id,
        format=job.format,
        status=_LEGACY_STATUS.get(job.state, "processing"),
        task_id=job.task_id,
        state=job.state,
        output_name=job.output_name,
        error=job.error if job.state is JobState.FAILURE else None,
    )


@router.get("/{file_id}", response_model=FileDetails)
async def file_details(file_id: str, request: Request, services: ServicesDep) -> JSONResponse:
    """A file's probe metadata, its jobs (oldest first) and its finished outputs."""
    return await in_storage_threads(request, lambda: _file_details(file_id, services))


def _file_details(file_id: str, services: Services) -> JSONResponse:
    source = sources.lookup(services.engine, file_id)
    jobs = _transcodes(services, file_id)
    body: dict[str, Any] = FileSummary.of(source).model_dump(mode="json")
    body["jobs"] = [task_body(services, job) for job in jobs]
    body["outputs"] = [
        output_summary(job) for job in body["jobs"] if job["state"] == JobState.SUCCESS
    ]
    body["previews"] = _preview_urls(services, file_id)
    return JSONResponse(body)


def _transcodes(services: Services, file_id: str) -> list[Job]:
    """A file's transcode jobs (its import, if it came from a URL, is a task of its own)."""
    return [j for j in services.engine.jobs.jobs_for_file(file_id) if j.kind is JobKind.TRANSCODE]


def _preview_urls(services: Services, file_id: str) -> dict[str, str]:
    names = {"thumbnail": "thumbnail.jpg", "animated": "animated.webp",
             "storyboard": "storyboard.vtt"}  # fmt: skip
    query = ""
    if services.auth_required:  # images and players send no keys: a signature instead
        expires = int(time.time()) + services.engine.settings.signed_url_ttl_s
        signature = sign(services.keys.signing_key(), preview_scope(file_id), expires)
        query = f"?exp={expires}&sig={signature}"
    return {kind: f"/videos/{file_id}/{name}{query}" for kind, name in names.items()}


@router.delete("/{file_id}", status_code=204, response_class=Response)
async def delete_file(file_id: str, request: Request, services: ServicesDep) -> Response:
    """Delete a file, all its outputs and its job records; 409 while one of its jobs is
    queued or running."""
    await in_storage_threads(
        request, lambda: sources.delete(services.engine, services.catalog, file_id)
    )
    return Response(status_code=204)
