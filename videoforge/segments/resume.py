"""What an attempt of a single-rendition HLS job continues: the segments earlier attempts
published (their playlist, named by the record) and where the rest starts."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from videoforge.errors import (
    MediaError,
    NotFound,
    TransientError,
    UnsupportedMedia,
    VideoforgeError,
)
from videoforge.jobs.store import JobStore
from videoforge.models import Job, JobState, OutputFormat
from videoforge.outputs import remove_output
from videoforge.segments.parallel import drop_items
from videoforge.segments.playlist import (
    ResumeAt,
    Segment,
    audio_end_s,
    is_ended,
    listed_segments,
    resume_at,
    with_audio_start,
)
from videoforge.storage import Storage, output_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LivePlan:
    """How an attempt publishes as it encodes: under `stem` (the first attempt's, when it
    resumes), after `earlier` segments that end at `resume.start_s`."""

    stem: str
    earlier: list[Segment] = field(default_factory=list)
    resume: ResumeAt | None = None
    earlier_size_bytes: int = 0
    # Every segment is published (the playlist has its end): an attempt that did not get to
    # commit. Nothing is encoded again.
    complete: bool = False


def publishes_live(job: Job, copied: bool, split: bool) -> bool:
    """Single-rendition HLS is published as it is made, and so is a ladder that encodes
    its whole video in one run (a copied track is cut on the source's own clock and keeps
    its own audio rate, and a split one is joined at the end: both are packaged then)."""
    if job.renditions:
        return not (copied or split)
    return job.format is OutputFormat.HLS


def resumes_live(job: Job) -> bool:
    """Only single-rendition HLS resumes after what earlier attempts published; a live
    ladder starts over (a split ladder resumes by its items: segments.parallel)."""
    return job.format is OutputFormat.HLS and not job.renditions


# A published segment's packets, as segment_packets_argv's JSON (the attempt fetches the
# segment to its scratch dir and runs ffprobe).
ReadPackets = Callable[[str], dict[str, Any]]


def live_plan(
    job: Job, storage: Storage, own_stem: str, can_resume: bool, read_packets: ReadPackets
) -> LivePlan:
    """Resume after what earlier attempts published when there is an unbroken run of it and
    `can_resume` (a copied video is cut on the source's keyframes, not on our clock);
    otherwise start over under this attempt's own stem."""
    if not (can_resume and job.playable and job.published_name):
        return LivePlan(own_stem)
    try:
        continued = _continued(job.published_name, storage, read_packets)
    except (NotFound, UnsupportedMedia, MediaError, ValueError) as exc:  # gone, unreadable
        log.warning("task %s cannot resume its output: %s", job.task_id, exc)
        continued = None
    if continued is None:
        log.info("task %s starts its output over", job.task_id)
        return LivePlan(own_stem)
    log.info("task %s resumes after %d published segments (video at %.3f s, audio at %s s)",
             job.task_id, len(continued.earlier), continued.resume and continued.resume.start_s,
             continued.resume and continued.resume.audio_start_s)  # fmt: skip
    return continued


def _continued(published: str, storage: Storage, read_packets: ReadPackets) -> LivePlan | None:
    """What the published playlist says is done, and where the rest starts; None when it is
    not an unbroken run of segments from the first."""
    text = b"".join(storage.read(output_key(published))).decode()
    earlier = listed_segments(text)
    resume = resume_at(earlier)
    if resume is None:
        return None
    last = earlier[-1]
    audio_s = audio_end_s(read_packets(last.uri), resume.start_s - last.duration_s)
    resume = with_audio_start(resume, audio_s)
    size = sum(storage.size(output_key(segment.uri)) for segment in earlier)
    return LivePlan(Path(published).stem, earlier, resume, size, complete=is_ended(text))


def remove_partial(jobs: JobStore, storage: Storage, task_id: str) -> bool:
    """A job that ended in FAILURE or REVOKED leaves no output behind: what its attempts
    published as they went, and a split job's items, are removed, and its name points
    nowhere. True if it had a published output."""
    try:
        job = jobs.get(task_id)
    except VideoforgeError:  # deleted meanwhile, or Redis away: the orphan sweep has it
        return False
    if job.state not in (JobState.FAILURE, JobState.REVOKED):
        return False
    with contextlib.suppress(VideoforgeError):  # a split job's items (a leftover expires)
        drop_items(jobs, storage, task_id)
    if not job.published_name:
        return False
    try:
        # The name first: if storage fails now, the objects are no longer pointed to, and
        # the orphan sweep removes them.
        jobs.forget_published(job.output_name)
        remove_output(storage, job.published_name)
    except TransientError as exc:  # every caller goes on: the job has ended either way
        log.warning("task %s: its partial output stays for the orphan sweep (%s)", task_id,
                    exc.message)  # fmt: skip
        return False
    log.info("task %s ended %s: its partial output is removed", task_id, job.state.value)
    return True
