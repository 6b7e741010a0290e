"""Accepting a transcode request: check it, plan the output, save the record, queue it."""

from __future__ import annotations

import uuid

from videoforge import sources
from videoforge.engine import Services
from videoforge.errors import VideoforgeError
from videoforge.media import plan
from videoforge.models import Job, JobState, OutputFormat
from videoforge.outputs import job_output_name


def submit_transcode(
    services: Services, file_id: str, resolution: str, fmt: OutputFormat, upscale: bool
) -> Job:
    """Queue a transcode of an accepted file and return its saved record."""
    box = plan.parse_resolution(resolution)
    source = sources.lookup(services.engine, file_id)
    task_id = str(uuid.uuid4())
    width, height = plan.fit(source.media.display_size, box, upscale=upscale)
    job = Job(
        task_id=task_id,
        file_id=file_id,
        output_name=job_output_name(file_id, (width, height), task_id, fmt),
        resolution=str(box),
        format=fmt,
        width=width,
        height=height,
        upscale=upscale,
    )
    # Saved before it is queued, so a fast worker always finds the record.
    services.engine.jobs.create(job)
    try:
        services.executor.submit(task_id)
    except VideoforgeError as exc:
        # Never queued, so never run: the record says why instead of staying PENDING.
        services.engine.jobs.update(task_id, state=JobState.FAILURE, error=exc.message)
        raise
    services.engine.metrics.count("jobs_submitted", fmt.value)
    return job
