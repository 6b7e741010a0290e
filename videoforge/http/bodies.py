"""How jobs and their outputs look in API answers: one definition, shared by the task and
file routes and the event stream."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from videoforge.engine import Services
from videoforge.http.schemas import ProgressBody, TaskStatus
from videoforge.models import STATUS_BY_STATE, Job, JobState

# The states whose record carries a reason worth showing.
STATES_WITH_ERROR = (JobState.FAILURE, JobState.RETRY, JobState.REVOKED)


def task_body(services: Services, job: Job) -> dict[str, Any]:
    """A job as the API shows it (TaskStatus), with URLs in the result of a finished one."""
    body = task_status(job).model_dump(mode="json")
    if body.get("result"):
        body["result"].update(output_urls(services, job.output_name))
    # Fields that do not apply to the state are left out; eta_seconds stays (null = unknown).
    return {key: value for key, value in body.items() if value is not None}


def output_urls(services: Services, name: str) -> dict[str, str]:
    """Where to stream and download an output; signed when keys are required, because
    players and download links cannot send keys."""
    if not services.auth_required:
        return {"stream_url": f"/videos/stream/{name}", "download_url": f"/videos/download/{name}"}
    ttl_s = services.engine.settings.signed_url_ttl_s
    return {
        "stream_url": services.keys.signed_path("stream", name, ttl_s),
        "download_url": services.keys.signed_path("download", name, ttl_s),
    }


def output_summary(job: dict[str, Any]) -> dict[str, Any]:
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


def task_status(job: Job) -> TaskStatus:
    """The typed TaskStatus of a record: only the fields that apply to its state."""
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
        error=job.error if job.state in STATES_WITH_ERROR else None,
        worker=job.worker,
        created_at=job.created_at,
        updated_at=job.updated_at,
    )


def _progress(job: Job) -> ProgressBody | None:
    if job.progress is None or job.state is not JobState.PROGRESS:
        return None
    return ProgressBody.model_validate(asdict(job.progress))
