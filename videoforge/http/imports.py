"""The import route: POST /videos/import queues the download of a video from a URL. The URL
is checked first (a refusal is a 422 saying why, and nothing is queued); the rest is a job's,
followed at GET /videos/task/{task_id}."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from videoforge.http.deps import ERRORS, ServicesDep, authorize
from videoforge.imports.submit import submit_import


class ImportRequest(BaseModel):
    url: str = Field(
        description="An http or https URL of a video; its host must resolve to public "
        "addresses only (unless IMPORT_ALLOW_PRIVATE)",
        examples=["https://example.com/clip.mp4"],
    )
    filename: str | None = Field(
        default=None, max_length=255, description="The file's name (default: from the URL)"
    )
    callback_url: str | None = Field(
        default=None,
        max_length=2048,
        description="Also POST this import's events (queued, started, succeeded, failed, "
        "cancelled) here, signed with the server's webhook secret (Standard Webhooks)",
    )


class ImportResponse(BaseModel):
    task_id: str = Field(description="Follow the download at GET /videos/task/{task_id}")
    file_id: str = Field(description="The id the file will have once imported")
    url: str
    status: str = "queued"


router = APIRouter(
    prefix="/videos", tags=["files"], responses=ERRORS, dependencies=[Depends(authorize)]
)


@router.post("/import", status_code=202, response_model=ImportResponse)
async def import_url(body: ImportRequest, services: ServicesDep) -> ImportResponse:
    """Import a video from an http(s) URL: a worker downloads it (size and time limits), then
    probes and keeps it like an upload. The task's result names the file."""
    # The host is resolved (a blocking lookup) and the job saved, off the event loop.
    job = await run_in_threadpool(
        submit_import, services, body.url, body.filename, body.callback_url
    )
    return ImportResponse(task_id=job.task_id, file_id=job.file_id, url=body.url)
