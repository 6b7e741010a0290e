"""Browsing and managing what was uploaded: files and jobs newest first, one file's details,
deleting a file, and a job's live updates as Server-Sent Events."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from videoforge import files
from videoforge.api import ERRORS, ServicesDep, authorize, task_body
from videoforge.errors import TransientError, VideoforgeError
from videoforge.models import Job, JobState
from videoforge.schemas import FileDetails, FilePage, FileSummary, TaskPage
from videoforge.wiring import Services

# How often an event stream looks at the job record; progress is written about once a second.
EVENT_POLL_S = 0.5
# A stream ends after this long even if its job has not (one stuck PENDING, say); browsers
# reconnect, the page and the CLI poll. Nothing is held open forever.
EVENT_STREAM_MAX_S = 600
# Streams read Redis on at most this many threads of their own, so that while Redis stalls,
# open streams cannot take the threads every other route needs.
EVENT_READ_THREADS = 8
# A browser's EventSource reconnects after this long if the stream breaks.
EVENT_RETRY_MS = 2000
ERRORS_TEXT = {401: "No or wrong API key", 404: "No such task", 503: "Job store unavailable"}

router = APIRouter(
    prefix="/videos", tags=["library"], responses=ERRORS, dependencies=[Depends(authorize)]
)
# Errors before a stream starts are JSON; FastAPI would document them as event streams.
_JSON_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
events_router = APIRouter(
    prefix="/videos",
    tags=["library"],
    responses={
        code: {"description": ERRORS_TEXT[code], "content": _JSON_ERROR} for code in ERRORS_TEXT
    },
    dependencies=[Depends(authorize)],
)
Limit = Annotated[int, Query(ge=1, le=100, description="Items per page")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip")]


@router.get("", response_model=FilePage)
def list_files(services: ServicesDep, limit: Limit = 20, offset: Offset = 0) -> FilePage:
    """Uploaded files, newest first."""
    sources, total = services.catalog.page(offset, limit)
    return FilePage(
        items=[FileSummary.of(s) for s in sources], total=total, offset=offset, limit=limit
    )


@router.get("/tasks", response_model=TaskPage)
def list_tasks(services: ServicesDep, limit: Limit = 20, offset: Offset = 0) -> JSONResponse:
    """Jobs of every file, newest first."""
    jobs, total = services.engine.jobs.recent(offset, limit)
    items = [task_body(services, job) for job in jobs]
    return JSONResponse({"items": items, "total": total, "offset": offset, "limit": limit})


async def existing_job(task_id: str, services: ServicesDep) -> Job:
    """The job named in the path; unknown ids get a 404 before any stream starts."""
    return await run_in_threadpool(services.engine.jobs.get, task_id)


@events_router.get("/task/{task_id}/events", response_class=EventSourceResponse)
async def task_events(
    job: Annotated[Job, Depends(existing_job)], services: ServicesDep, request: Request
) -> AsyncIterator[ServerSentEvent]:
    """`status` events, each the job as GET /videos/task/{task_id} shows it, whenever it
    changes, until it ends (or for EVENT_STREAM_MAX_S; clients then reconnect or poll).
    Comments keep quiet streams open."""
    reads: anyio.CapacityLimiter = request.app.state.event_reads
    async for event in _job_events(services, job, reads):
        yield event


async def _job_events(
    services: Services, job: Job, reads: anyio.CapacityLimiter
) -> AsyncIterator[ServerSentEvent]:
    shown: tuple[JobState, float] | None = None
    deadline = time.monotonic() + EVENT_STREAM_MAX_S
    while time.monotonic() < deadline:
        if (job.state, job.updated_at) != shown:
            retry_ms = EVENT_RETRY_MS if shown is None else None  # said once is enough
            shown = (job.state, job.updated_at)
            body = await run_in_threadpool(task_body, services, job)
            yield ServerSentEvent(data=body, event="status", retry=retry_ms)
        if job.state.is_terminal:
            return
        await asyncio.sleep(EVENT_POLL_S)
        try:
            job = await anyio.to_thread.run_sync(services.engine.jobs.get, job.task_id,
                                                 limiter=reads)  # fmt: skip
        except TransientError:
            continue  # Redis is restarting: the stream waits, as a poller would
        except VideoforgeError as exc:  # the job was deleted with its file
            yield ServerSentEvent(data={"detail": exc.message}, event="error")
            return


@router.get("/{file_id}", response_model=FileDetails)
def file_details(file_id: str, services: ServicesDep) -> JSONResponse:
    """A file's probe metadata, its jobs (oldest first) and its finished outputs."""
    source = files.lookup(services.engine, file_id)
    jobs = services.engine.jobs.jobs_for_file(file_id)
    body: dict[str, Any] = FileSummary.of(source).model_dump(mode="json")
    body["jobs"] = [task_body(services, job) for job in jobs]
    body["outputs"] = [_output(job) for job in body["jobs"] if job["state"] == JobState.SUCCESS]
    return JSONResponse(body)


@router.delete("/{file_id}", status_code=204, response_class=Response)
def delete_file(file_id: str, services: ServicesDep) -> Response:
    """Delete a file, all its outputs and its job records; 409 while one of its jobs is
    queued or running."""
    files.delete(services.engine, services.catalog, file_id)
    return Response(status_code=204)


def _output(job: dict[str, Any]) -> dict[str, Any]:
    """An output as OutputSummary, from its finished job as task_body shows it (URLs, signed
    or not, included)."""
    result = job["result"]
    return {
        "output_name": job["output_name"],
        "task_id": job["task_id"],
        "format": job["format"],
        **{field: result.get(field, 0) for field in ("width", "height", "size_bytes")},
        "stream_url": result["stream_url"],
        "download_url": result["download_url"],
    }
