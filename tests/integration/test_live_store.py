"""A job's output going live, and its removal when the job fails or is cancelled, on a real
Valkey and local storage: fenced by the lease like a commit, and never for a finished job."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from videoforge.errors import TransientError
from videoforge.jobs.names import EVENTS_KEY
from videoforge.jobs.store import JobStore
from videoforge.models import Job, JobState, OutputFormat
from videoforge.segments.playlist import Segment, media_playlist
from videoforge.segments.resume import remove_partial
from videoforge.storage import output_key
from videoforge.storage.local import LocalStorage


def created(jobs: JobStore) -> Job:
    file_id, task_id = uuid.uuid4().hex, str(uuid.uuid4())
    name = f"{file_id}_640x360_{task_id.replace('-', '')[:12]}.m3u8"
    job = Job(task_id, file_id, name, "640:360", OutputFormat.HLS, 640, 360)
    jobs.create(job)
    return job


def live_name(job: Job) -> str:
    return job.output_name.replace(".m3u8", "-0123abcd.m3u8")


def test_going_live_points_the_name_and_says_playable_in_the_feed(jobs: JobStore) -> None:
    job = created(jobs)
    assert jobs.acquire_lease(job.task_id, "w/1", ttl_s=30)
    last_event = jobs.client.xrevrange(EVENTS_KEY, count=1)
    assert jobs.go_live(job, "w/1", live_name(job))
    record = jobs.get(job.task_id)
    assert record.playable and record.published_name == live_name(job)
    assert record.state is JobState.PENDING  # going live changes nothing else
    assert jobs.published_name(job.output_name) == live_name(job)
    newest = jobs.client.xrevrange(EVENTS_KEY, count=1)
    assert newest != last_event and newest[0][1][b"subject"].decode() == job.task_id


def test_only_the_lease_holder_of_an_unfinished_job_goes_live(jobs: JobStore) -> None:
    job = created(jobs)
    assert not jobs.go_live(job, "w/1", live_name(job))  # nobody holds the lease
    assert jobs.acquire_lease(job.task_id, "w/2", ttl_s=30)
    assert not jobs.go_live(job, "w/1", live_name(job))  # someone else does
    assert jobs.update(job.task_id, state=JobState.REVOKED)
    assert not jobs.go_live(job, "w/2", live_name(job))  # finished
    assert not jobs.get(job.task_id).playable
    assert jobs.published_name(job.output_name) is None


@pytest.mark.parametrize("ending", [JobState.FAILURE, JobState.REVOKED])
def test_a_failed_or_cancelled_job_leaves_no_partial_output(
    jobs: JobStore, tmp_path: Path, ending: JobState
) -> None:
    storage = LocalStorage(tmp_path / "objects")
    job = created(jobs)
    stem = live_name(job).removesuffix(".m3u8")
    segments = [Segment(f"{stem}_{i:05d}.ts", 6.0) for i in range(3)]
    for segment in segments:
        storage.put_bytes(output_key(segment.uri), b"ts")
    storage.put_bytes(
        output_key(live_name(job)), media_playlist(segments, ended=False, target_s=6).encode()
    )
    assert jobs.acquire_lease(job.task_id, "w/1", ttl_s=30)
    assert jobs.go_live(job, "w/1", live_name(job))
    assert not remove_partial(jobs, storage, job.task_id)  # still running: kept

    assert jobs.update(job.task_id, state=ending, error="why")
    assert remove_partial(jobs, storage, job.task_id)
    assert list(storage.list_keys("outputs/")) == []
    assert jobs.published_name(job.output_name) is None


def test_a_succeeded_job_keeps_its_output(jobs: JobStore, tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "objects")
    job = created(jobs)
    storage.put_bytes(output_key(live_name(job)), b"#EXTM3U\n")
    assert jobs.acquire_lease(job.task_id, "w/1", ttl_s=30)
    assert jobs.go_live(job, "w/1", live_name(job))
    assert jobs.commit(job, "w/1", live_name(job), {"status": "completed"})
    assert not remove_partial(jobs, storage, job.task_id)
    assert [key for key, _ in storage.list_keys("outputs/")] == [output_key(live_name(job))]


class StorageAway(LocalStorage):
    def delete(self, key: str) -> None:
        raise TransientError("storage unavailable")


def test_storage_away_leaves_the_objects_unnamed_for_the_orphan_sweep(
    jobs: JobStore, tmp_path: Path
) -> None:
    storage = StorageAway(tmp_path / "objects")
    job = created(jobs)
    storage.put_bytes(output_key(live_name(job)), b"#EXTM3U\n")
    assert jobs.acquire_lease(job.task_id, "w/1", ttl_s=30)
    assert jobs.go_live(job, "w/1", live_name(job))
    assert jobs.update(job.task_id, state=JobState.REVOKED, error="cancelled")
    assert not remove_partial(jobs, storage, job.task_id)  # no exception: the cancel stands
    assert jobs.published_name(job.output_name) is None  # the sweep may take the objects
    assert [key for key, _ in storage.list_keys("outputs/")] == [output_key(live_name(job))]
