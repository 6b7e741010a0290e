"""Routes for tasks (transcode jobs): submit, status, cancel, list newest first, and one
job's live updates as Server-Sent Events."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from videoforge.engine import Services
from videoforge.errors import Conflict, TransientError, VideoforgeError
from videoforge.http.bodies import task_body
from videoforge.http.deps import (
    ERRORS,
    Limit,
    Offset,
    ServicesDep,
    authorize,
    in_storage_threads,
)
from videoforge.http.feed import ChangeFeed, until_changed
from videoforge.http.orders import TranscodeRequest, TranscodeResponse
from videoforge.http.plain import PlainRoute
from videoforge.http.presets import resolve_order
from videoforge.http.schemas import TaskPage, TaskStatus
from videoforge.jobs.reads import AsyncJobReads
from videoforge.jobs.store import JobStore
from videoforge.models import Job, JobState
from videoforge.segments.resume import remove_partial
from videoforge.submit import submit_transcode

# A stream ends after this long even if its job has not (one stuck PENDING, say); browsers
# reconnect, the page and the CLI poll. Nothing is held open forever.
EVENT_STREAM_MAX_S = 600
# Without an asyncio reader, streams read Redis on at most this many threads of their own, so
# that while Redis stalls, open streams cannot take the threads every other route needs.
EVENT_READ_THREADS = 8
# A browser's EventSource reconnects after this long if the stream breaks.
EVENT_RETRY_MS = 2000
ERRORS_TEXT = {401: "No or wrong API key", 404: "No such task", 503: "Job store unavailable"}

router = APIRouter(
    prefix="/videos", tags=["tasks"], responses=ERRORS, dependencies=[Depends(authorize)]
)
status_router = APIRouter(
    prefix="/videos", tags=["tasks"], responses=ERRORS, route_class=PlainRoute
)
# Errors before a stream starts are JSON; FastAPI would document them as event streams.
_JSON_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
events_router = APIRouter(
    prefix="/videos",
    tags=["tasks"],
    responses={
        code: {"description": ERRORS_TEXT[code], "content": _JSON_ERROR} for code in ERRORS_TEXT
    },
    dependencies=[Depends(authorize)],
)


@router.post("/transcode/{file_id}", response_model=TranscodeResponse)
async def transcode(
    file_id: str, body: TranscodeRequest, request: Request, services: ServicesDep
) -> TranscodeResponse:
    """Queue a transcode of an uploaded file; answers at once with the task id."""
    job = await in_storage_threads(  # the file's record is read from storage
        request,
        # Presets are read from Redis, then the file's record from storage.
        lambda: submit_transcode(services, file_id, resolve_order(services, body)),
    )
    return TranscodeResponse(
        task_id=job.task_id,
        file_id=file_id,
        output_name=job.output_name,
        resolution=job.resolution,
        format=job.format,
    )


@status_router.get("/task/{task_id}", response_model=TaskStatus)
async def task_status(task_id: str, request: Request) -> JSONResponse:
    """A job's state; PROGRESS carries percent, fps, speed and ETA. Unknown ids are 404."""
    # The most frequent request: one HGETALL on this loop, no thread, no storage call, no
    # dependency solving (a PlainRoute: the key is checked here).
    await authorize(request)
    services: Services = request.app.state.services
    return JSONResponse(await status_body(services, await read_job(request, task_id)))


async def status_body(services: Services, job: Job) -> dict[str, Any]:
    """The job as the API shows it; on a thread only for a queued job, whose place in line
    reads the queue (cached for 1 s)."""
    if job.state is JobState.PENDING:
        return await run_in_threadpool(task_body, services, job)
    return task_body(services, job)


@router.post("/task/{task_id}/cancel", response_model=TaskStatus)
async def cancel_task(task_id: str, request: Request, services: ServicesDep) -> JSONResponse:
    """Cancel a job: a queued one never starts, a running one stops within about a second
    (ffmpeg killed, and what it published as it went removed). Cancelling a cancelled job is
    a no-op."""
    jobs = services.engine.jobs
    await run_in_threadpool(_revoke, jobs, task_id)
    # A running attempt removes what it published when it sees the cancel; one waiting for
    # its next attempt has nobody else to do it. The cancel stands if storage fails now.
    await in_storage_threads(
        request, lambda: remove_partial(jobs, services.engine.storage, task_id)
    )
    return JSONResponse(await status_body(services, await read_job(request, task_id)))


def _revoke(jobs: JobStore, task_id: str) -> None:
    jobs.get(task_id)  # NotFound for unknown ids
    if not jobs.update(task_id, state=JobState.REVOKED, progress=None, error="cancelled"):
        state = jobs.state(task_id)
        if state is not JobState.REVOKED:
            raise Conflict(f"task {task_id} already ended: {state}")


@router.get("/tasks", response_model=TaskPage)
def list_tasks(services: ServicesDep, limit: Limit = 20, offset: Offset = 0) -> JSONResponse:
    """Jobs of every file, newest first."""
    jobs, total = services.engine.jobs.recent(offset, limit)
    items = [task_body(services, job) for job in jobs]
    return JSONResponse({"items": items, "total": total, "offset": offset, "limit": limit})


async def read_job(
    request: Request, task_id: str, limiter: anyio.CapacityLimiter | None = None
) -> Job:
    """A job's record: on this loop (one HGETALL, asyncio Redis) when the app has a reader,
    else on a thread (at most `limiter`'s many at once)."""
    reads: AsyncJobReads | None = request.app.state.job_reads
    if reads is not None:
        return await reads.get(task_id)
    jobs = request.app.state.services.engine.jobs
    return await anyio.to_thread.run_sync(jobs.get, task_id, limiter=limiter)


async def existing_job(task_id: str, request: Request) -> Job:
    """The job named in the path; unknown ids get a 404 before any stream starts."""
    return await read_job(request, task_id)


@events_router.get("/task/{task_id}/events", response_class=EventSourceResponse)
async def task_events(
    job: Annotated[Job, Depends(existing_job)], services: ServicesDep, request: Request
) -> AsyncIterator[ServerSentEvent]:
    """`status` events, each the job as GET /videos/task/{task_id} shows it, whenever it
    changes, until it ends (or for EVENT_STREAM_MAX_S; clients then reconnect or poll).
    Comments keep quiet streams open."""
    limiter: anyio.CapacityLimiter = request.app.state.event_reads

    async def read(task_id: str) -> Job:
        return await read_job(request, task_id, limiter)

    async for event in job_events(services, job, read, request.app.state.feed):
        yield event


async def job_events(
    services: Services, job: Job, read: Callable[[str], Awaitable[Job]], feed: ChangeFeed
) -> AsyncIterator[ServerSentEvent]:
    """The events of one stream: the job whenever it changes, until it ends or time is up."""
    shown: tuple[JobState, float, int | None] | None = None
    deadline = time.monotonic() + EVENT_STREAM_MAX_S
    async with feed.watching(job.task_id) as changed:
        while time.monotonic() < deadline:
            body = await status_body(services, job)
            if (job.state, job.updated_at, body.get("queue_position")) != shown:
                retry_ms = EVENT_RETRY_MS if shown is None else None  # said once is enough
                shown = (job.state, job.updated_at, body.get("queue_position"))
                yield ServerSentEvent(data=body, event="status", retry=retry_ms)
            if job.state.is_terminal:
                return
            await until_changed(changed)
            changed.clear()  # before the read: a change from now on wakes the next wait
            try:
                job = await read(job.task_id)
            except TransientError:
                continue  # Redis is restarting: the stream waits, as a poller would
            except VideoforgeError as exc:  # the job was deleted with its file
                yield ServerSentEvent(data={"detail": exc.message}, event="error")
                return
