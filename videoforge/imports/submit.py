"""Accepting an import request: the URL is checked now (scheme, every address the host
resolves to), so a refusal knowable at once is a 422 and nothing is queued; then the job is
saved, then queued.

An import is a `Job` of kind `import`, not a record type of its own: it then has everything
a job has for free: GET /videos/task/{id}, listings, cancel, event streams, `job.*`
webhooks, leases, retries and the reaper. Its `file_id` is chosen here, the id the file will
have once accepted, so its events name the file from the start, and deleting the file takes
the import's record with it."""

from __future__ import annotations

import uuid

from videoforge.engine import Services
from videoforge.errors import VideoforgeError
from videoforge.models import Job, JobKind, JobState, OutputFormat
from videoforge.net import fetch
from videoforge.sources import safe_original_name
from videoforge.webhooks import guard


def submit_import(
    services: Services, url: str, filename: str | None, callback_url: str | None = None
) -> Job:
    """Queue the import of `url` and return its saved record; RefusedTarget (422) when the
    URL may not be fetched, or the callback URL may not be called."""
    settings = services.engine.settings
    fetch.check(url, settings.import_allow_private)
    if callback_url:
        guard.check_url(callback_url, settings.webhook_allow_private)
    task_id = str(uuid.uuid4())
    job = Job(
        task_id=task_id,
        file_id=uuid.uuid4().hex,
        kind=JobKind.IMPORT,
        source_url=url,
        source_name=safe_original_name(filename) if filename else None,
        callback_url=callback_url,
        # An import makes no output: these fields of a transcode stay empty.
        output_name="",
        resolution="",
        format=OutputFormat.MP4,
        width=0,
        height=0,
    )
    services.engine.jobs.create(job)  # saved before it is queued: a worker finds it
    try:
        services.executor.submit(task_id, job.priority)
    except VideoforgeError as exc:
        services.engine.jobs.update(task_id, state=JobState.FAILURE, error=exc.message)
        raise
    return job
