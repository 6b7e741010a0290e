"""A worker's side of publishing HLS as it is made: what the attempt continues (and, when
it cannot, the stale stream taken down first), the fence before each publishing pass, and
the record told when the output goes live."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from videoforge.engine import Engine
from videoforge.jobs.lease import Guard, LeaseLost
from videoforge.media import run
from videoforge.models import Job
from videoforge.segments.live import Fence, OnPublished
from videoforge.segments.playlist import segment_packets_argv
from videoforge.segments.resume import LivePlan, ReadPackets, live_plan
from videoforge.storage import output_key

log = logging.getLogger(__name__)


def plan_for(job: Job, engine: Engine, guard: Guard, workdir: Path, own_stem: str,
             can_resume: bool) -> LivePlan:  # fmt: skip
    """What this attempt publishes under, and after what. Starting over on a job that was
    playable takes the old stream down first: players must not follow a playlist that the
    new attempt's, under another name, would replace with a shorter one."""
    plan = live_plan(job, engine.storage, own_stem, can_resume, _segment_packets(engine, workdir))
    if plan.resume is None and job.published_name:
        log.info("task %s starts its output over; the stream so far is taken down", job.task_id)
        engine.jobs.update(job.task_id, lease=guard.beat.token, playable=False,
                           published_name=None)  # fmt: skip
        engine.jobs.forget_published(job.output_name)  # its objects go with the orphan sweep
    return plan


def _segment_packets(engine: Engine, workdir: Path) -> ReadPackets:
    def read(name: str) -> dict[str, Any]:
        path = workdir / name
        engine.storage.fetch_file(output_key(name), path)
        argv = segment_packets_argv(engine.binaries.ffprobe, str(path))
        packets: dict[str, Any] = json.loads(run.run_ffprobe(argv, engine.binaries))
        path.unlink()
        return packets

    return read


def fence(engine: Engine, job: Job, guard: Guard) -> Fence:
    """Before each pass writes anything: the job is not cancelled or finished, and this
    attempt still holds its lease (a resumed attempt writes under the same names as the one
    it resumes, so a stale one must not write at all). A write may still land in the few
    milliseconds between the check and the storage call; it is of the same segment."""

    def check() -> None:
        guard.check(force=True)
        if engine.jobs.lease_holder(job.task_id) != guard.beat.token:
            raise LeaseLost

    return check


def going_live(engine: Engine, job: Job, guard: Guard, playlist_name: str) -> OnPublished:
    """After the first playlist write: the record points the job's output at the playlist
    and says it is playable (under the lease, in one step)."""
    live = False

    def on_published(_segments: int) -> None:
        nonlocal live
        if not live and not engine.jobs.go_live(job, guard.beat.token, playlist_name):
            raise LeaseLost
        live = True

    return on_published
