"""How jobs and their outputs look in API answers: one definition, shared by the task and
file routes and the event stream."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import redis

from videoforge.engine import Services
from videoforge.errors import VideoforgeError
from videoforge.http.schemas import ProgressBody, TaskStatus
from videoforge.jobs.records import progress_fields
from videoforge.models import STATUS_BY_STATE, Job, JobKind, JobState

# The states whose record carries a reason worth showing.
STATES_WITH_ERROR = (JobState.FAILURE, JobState.RETRY, JobState.REVOKED)
# Shown even when null.
ALWAYS = ("started_at", "finished_at")


def task_body(services: Services, job: Job) -> dict[str, Any]:
    """A job as the API shows it (TaskStatus), with URLs in the result of a finished one."""
    body = task_status(job).model_dump(mode="json")
    if body.get("result") and job.kind is JobKind.TRANSCODE:  # an import's names a file
        body["result"] = _with_urls(services, job, body["result"])
    if body.get("progress"):  # an import's byte counts, only for an import
        body["progress"] = progress_fields(body["progress"])
    # Fields that do not apply to the state are left out; eta_seconds stays (null = unknown),
    # and so does queue_position (null unless queued, or when not in the queue's lists), and
    # started_at and finished_at (null until then).
    shown = {key: value for key, value in body.items() if value is not None or key in ALWAYS}
    if body["playable"]:  # the public name: the live playlist now, the finished one later
        shown["stream_url"] = stream_url(services, job.output_name)
    queued = job.state is JobState.PENDING
    return {**shown, "queue_position": _queue_position(services, job) if queued else None}


def _with_urls(services: Services, job: Job, result: dict[str, Any]) -> dict[str, Any]:
    """A result with URLs: for the output, and for a ladder's manifests and playlists (the
    record keeps names; URLs depend on settings and are signed when keys are required)."""
    result = {**result, **output_urls(services, job.output_name)}
    if "manifests" in result:
        result["manifests"] = {
            kind: stream_url(services, name) for kind, name in result["manifests"].items()
        }
    if "renditions" in result:
        result["renditions"] = [
            {**rung, "playlist": stream_url(services, rung["playlist"])} if rung.get("playlist")
            else rung
            for rung in result["renditions"]
        ]  # fmt: skip
    return result


def stream_url(services: Services, name: str) -> str:
    """Where a player fetches an output or manifest (signed when keys are required)."""
    if not services.auth_required:
        return f"/videos/stream/{name}"
    return services.keys.signed_path("stream", name, services.engine.settings.signed_url_ttl_s)


def output_urls(services: Services, name: str) -> dict[str, str]:
    """Where to stream and download an output; signed when keys are required, because
    players and download links cannot send keys."""
    if not services.auth_required:
        download = f"/videos/download/{name}"
    else:
        ttl_s = services.engine.settings.signed_url_ttl_s
        download = services.keys.signed_path("download", name, ttl_s)
    return {"stream_url": stream_url(services, name), "download_url": download}


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
        **{field: result[field] for field in ("renditions", "manifests") if field in result},
    }


def task_status(job: Job) -> TaskStatus:
    """The typed TaskStatus of a record: only the fields that apply to its state."""
    transcode = job.kind is JobKind.TRANSCODE
    return TaskStatus(
        task_id=job.task_id,
        kind=job.kind,
        url=job.source_url,
        state=job.state,
        status=_status(job),
        file_id=job.file_id,
        output_name=job.output_name if transcode else None,
        format=job.format if transcode else None,
        resolution=job.resolution if transcode else None,
        renditions=[f"{r.width}x{r.height}" for r in job.renditions] if job.renditions else None,
        start_s=job.clip.start_s if job.clip else None,
        end_s=job.clip.end_s if job.clip else None,
        attempts=job.attempts,
        playable=_playable(job),
        progress=_progress(job),
        result=job.result if job.state is JobState.SUCCESS else None,
        error=job.error if job.state in STATES_WITH_ERROR else None,
        worker=job.worker,
        priority=job.priority,
        preset=job.preset,
        encoding=job.encoding,
        created_at=job.created_at,
        updated_at=job.updated_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        timings=job.timings,
    )


def _playable(job: Job) -> bool:
    if job.kind is not JobKind.TRANSCODE:
        return False
    if job.state is JobState.SUCCESS:
        return True
    return job.playable and job.state not in (JobState.FAILURE, JobState.REVOKED)


def _status(job: Job) -> str:
    if job.kind is JobKind.IMPORT and job.state is JobState.PROGRESS:
        return "downloading"
    return STATUS_BY_STATE[job.state]


def _queue_position(services: Services, job: Job) -> int | None:
    """Its place in line (None if unknown: a status must answer anyway)."""
    try:
        return services.executor.queue_position(job.task_id, job.priority)
    except (redis.RedisError, VideoforgeError):
        return None


def _progress(job: Job) -> ProgressBody | None:
    if job.progress is None or job.state is not JobState.PROGRESS:
        return None
    return ProgressBody.model_validate(asdict(job.progress))
