"""HTTP routes. Handlers translate between HTTP and the engine; they hold no logic of their own."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from videoforge import files
from videoforge.errors import Conflict, NotFound, TransientError, Unauthorized
from videoforge.models import STATUS_BY_STATE, Job, JobState, OutputFormat
from videoforge.schemas import (
    ErrorBody,
    FileStatus,
    ProgressBody,
    TaskStatus,
    TranscodeRequest,
    TranscodeResponse,
    UploadResponse,
)
from videoforge.submit import submit_transcode
from videoforge.uploads import receive_upload
from videoforge.wiring import Services


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def presented_key(request: Request) -> str | None:
    """The API key of a request: `Authorization: Bearer <key>` or `X-API-Key: <key>`."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        return token.strip()
    return request.headers.get("x-api-key")


def authorize(request: Request, services: ServicesDep) -> None:
    """Let the request through if keys are not required, or it carries a valid key."""
    if not services.auth_required:
        return
    key = presented_key(request)
    if key and services.keys.verify(key):
        return
    raise Unauthorized("an API key is required: send Authorization: Bearer <key> or X-API-Key")


ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody} for code in (401, 404, 409, 413, 415, 422, 503)
}
router = APIRouter(
    prefix="/videos", tags=["videos"], responses=ERRORS, dependencies=[Depends(authorize)]
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


@router.post("/upload", response_model=UploadResponse, openapi_extra=_UPLOAD_BODY)
async def upload(request: Request, services: ServicesDep) -> UploadResponse:
    """Stream a video in (multipart field `file`), probe it, and keep it if it is a video."""
    settings = services.engine.settings
    received = await receive_upload(
        request, settings.temp_dir, settings.max_upload_bytes, settings.upload_idle_timeout_s
    )
    try:
        source = await run_in_threadpool(
            files.accept, services.engine, received.path, received.original_name
        )
    finally:
        await run_in_threadpool(received.path.unlink, missing_ok=True)
    try:
        await run_in_threadpool(services.catalog.add, source)
    except TransientError:
        # Unlisted, the upload could never be found or deleted: it goes, the client retries.
        await run_in_threadpool(files.discard_upload, services.engine, source.file_id)
        raise
    await run_in_threadpool(services.engine.metrics.count, "upload_bytes", "", received.size_bytes)
    return UploadResponse.of(source)


@router.post("/transcode/{file_id}", response_model=TranscodeResponse)
def transcode(file_id: str, body: TranscodeRequest, services: ServicesDep) -> TranscodeResponse:
    """Queue a transcode of an uploaded file; answers at once with the task id."""
    job = submit_transcode(services, file_id, body.resolution, body.format, body.upscale)
    return TranscodeResponse(
        task_id=job.task_id,
        file_id=file_id,
        output_name=job.output_name,
        resolution=job.resolution,
        format=job.format,
    )


@router.get("/task/{task_id}", response_model=TaskStatus)
def task_status(task_id: str, services: ServicesDep) -> JSONResponse:
    """A job's state; PROGRESS carries percent, fps, speed and ETA. Unknown ids are 404."""
    return JSONResponse(task_body(services, services.engine.jobs.get(task_id)))


def _output_urls(services: Services, name: str) -> dict[str, str]:
    """Where to stream and download an output; signed when keys are required, because
    players and download links cannot send keys."""
    if not services.auth_required:
        return {"stream_url": f"/videos/stream/{name}", "download_url": f"/videos/download/{name}"}
    ttl_s = services.engine.settings.signed_url_ttl_s
    return {
        "stream_url": services.keys.signed_path("stream", name, ttl_s),
        "download_url": services.keys.signed_path("download", name, ttl_s),
    }


def task_body(services: Services, job: Job) -> dict[str, Any]:
    """A job as the API shows it (TaskStatus), with URLs in the result of a finished one."""
    body = _task_status(job).model_dump(mode="json")
    if body.get("result"):
        body["result"].update(_output_urls(services, job.output_name))
    # Fields that do not apply to the state are left out; eta_seconds stays (null = unknown).
    return {key: value for key, value in body.items() if value is not None}


@router.post("/task/{task_id}/cancel", response_model=TaskStatus)
def cancel_task(task_id: str, services: ServicesDep) -> JSONResponse:
    """Cancel a job: a queued one never starts, a running one stops within about a second
    (ffmpeg killed, nothing published). Cancelling a cancelled job is a no-op."""
    jobs = services.engine.jobs
    jobs.get(task_id)  # NotFound for unknown ids
    if not jobs.update(task_id, state=JobState.REVOKED, progress=None, error="cancelled"):
        state = jobs.state(task_id)
        if state is not JobState.REVOKED:
            raise Conflict(f"task {task_id} already ended: {state}")
    return JSONResponse(task_body(services, jobs.get(task_id)))


_STATES_WITH_ERROR = (JobState.FAILURE, JobState.RETRY, JobState.REVOKED)


def _task_status(job: Job) -> TaskStatus:
    return TaskStatus(
        task_id=job.task_id,
        state=job.state,
        status=STATUS_BY_STATE[job.state],
        file_id=job.file_id,
        output_name=job.output_name,
        format=job.format,
        resolution=job.resolution,
        attempts=job.attempts,
        progress=_progress(job),
        result=job.result if job.state is JobState.SUCCESS else None,
        error=job.error
        if job.state in (JobState.FAILURE, JobState.RETRY, JobState.REVOKED)
        else None,
        worker=job.worker,
        created_at=job.created_at,
        updated_at=job.updated_at,
    )


def _progress(job: Job) -> ProgressBody | None:
    if job.progress is None or job.state is not JobState.PROGRESS:
        return None
    return ProgressBody.model_validate(asdict(job.progress))


_LEGACY_STATUS = {JobState.SUCCESS: "ready", JobState.FAILURE: "failed"}


@router.get("/status/{file_id}", response_model=FileStatus, response_model_exclude_none=True)
def file_status(
    file_id: str,
    services: ServicesDep,
    format: Annotated[OutputFormat | None, Query()] = None,
) -> FileStatus:
    """Legacy: is the newest output of this file (in `format`) ready, processing or failed?"""
    files.lookup(services.engine, file_id)
    jobs = [j for j in services.engine.jobs.jobs_for_file(file_id) if format in (None, j.format)]
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
