"""When a job started and finished, and its timings, as the job store writes them: against a
real Valkey."""

from __future__ import annotations

import uuid

import pytest

from videoforge.jobs.names import job_key
from videoforge.jobs.records import encode
from videoforge.jobs.store import JobStore
from videoforge.models import Job, JobState, OutputFormat


def created(jobs: JobStore) -> Job:
    file_id, task_id = uuid.uuid4().hex, str(uuid.uuid4())
    job = Job(task_id, file_id, f"{file_id}_640x360_x.mp4", "640:360", OutputFormat.MP4, 640, 360)
    jobs.create(job)
    return job


@pytest.mark.parametrize("state", [JobState.FAILURE, JobState.REVOKED])
def test_a_final_state_is_written_with_when_it_finished(jobs: JobStore, state: JobState) -> None:
    job = created(jobs)
    assert jobs.update(job.task_id, state=JobState.STARTED, started_at=job.created_at)
    assert jobs.get(job.task_id).finished_at is None  # not final yet
    assert jobs.update(job.task_id, state=state, error="why")
    record = jobs.get(job.task_id)
    assert record.state is state and record.finished_at is not None
    assert record.started_at is not None and record.started_at <= record.finished_at
    assert record.timings is None  # only a succeeded job is timed


def test_a_given_finish_time_is_kept(jobs: JobStore) -> None:
    job = created(jobs)
    assert jobs.update(job.task_id, state=JobState.FAILURE, finished_at=job.created_at + 5)
    assert jobs.get(job.task_id).finished_at == job.created_at + 5


def test_a_refused_write_leaves_the_finish_time(jobs: JobStore) -> None:
    job = created(jobs)
    assert jobs.update(job.task_id, state=JobState.REVOKED, finished_at=job.created_at + 1)
    assert not jobs.update(job.task_id, state=JobState.FAILURE, finished_at=job.created_at + 9)
    record = jobs.get(job.task_id)
    assert (record.state, record.finished_at) == (JobState.REVOKED, job.created_at + 1)


def test_a_commit_writes_its_finish_time_and_timings(jobs: JobStore) -> None:
    job = created(jobs)
    assert jobs.acquire_lease(job.task_id, "w/1", ttl_s=30)
    timings = {"queued": 1.0, "fetch": 0.1, "probe": 0.2, "encode": 3.0, "publish": 0.4,
               "total": 5.0}  # fmt: skip
    finished_at = job.created_at + 5
    assert jobs.commit(job, "w/1", "x-1.mp4", {"status": "completed"},
                       finished_at=finished_at, timings=timings)  # fmt: skip
    record = jobs.get(job.task_id)
    assert record.state is JobState.SUCCESS
    assert (record.finished_at, record.timings) == (finished_at, timings)


def test_a_commit_without_a_finish_time_is_stamped_now(jobs: JobStore) -> None:
    job = created(jobs)
    assert jobs.acquire_lease(job.task_id, "w/1", ttl_s=30)
    assert jobs.commit(job, "w/1", "x-1.mp4", {"status": "completed"})
    record = jobs.get(job.task_id)
    assert record.finished_at is not None and record.created_at <= record.finished_at


def test_a_record_from_before_times_were_kept_still_reads(jobs: JobStore) -> None:
    job = created(jobs)
    key = job_key(job.task_id)
    jobs.client.delete(key)
    old = {name: value for name, value in encode(job).items()
           if name not in ("started_at", "finished_at", "timings")}  # fmt: skip
    jobs.client.hset(key, mapping=old)
    record = jobs.get(job.task_id)
    assert (record.started_at, record.finished_at, record.timings) == (None, None, None)
    assert record.task_id == job.task_id
