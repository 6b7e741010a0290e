"""pipeline.run_job on real parts (Valkey, local storage, ffmpeg), with storage faults injected."""

from __future__ import annotations

import time
from pathlib import Path

from tests.conftest import make_clip
from tests.integration.conftest import EngineFactory
from videoforge.engine import Engine
from videoforge.jobs.inline import InlineExecutor
from videoforge.media.binaries import FFmpegBinaries
from videoforge.models import JobState
from videoforge.pipeline import RetryLater, run_job
from videoforge.storage import source_key
from videoforge.storage.local import LocalStorage


def test_transient_failures_retry_then_succeed(engine_for: EngineFactory) -> None:
    engine, job = engine_for(failures=2)
    assert run_job(job.task_id, engine) == RetryLater(5.0)
    record = engine.jobs.get(job.task_id)
    assert record.state is JobState.RETRY and "Connection refused" in (record.error or "")
    assert run_job(job.task_id, engine) == RetryLater(10.0)
    assert run_job(job.task_id, engine) is None
    record = engine.jobs.get(job.task_id)
    assert record.state is JobState.SUCCESS and record.attempts == 3
    assert record.result and record.result["output_name"] == job.output_name
    # Timed from the attempt that succeeded; the two before it count as queued.
    assert record.started_at and record.finished_at and record.timings
    assert record.created_at <= record.started_at <= record.finished_at
    assert list(record.timings) == ["queued", "fetch", "probe", "encode", "publish", "total"]
    assert record.timings["queued"] == round(record.started_at - record.created_at, 3)
    assert record.timings["total"] == round(record.finished_at - record.created_at, 3)
    assert list((engine.settings.temp_dir).iterdir()) == []


def test_persistent_failure_ends_after_max_retries_with_the_last_error(
    engine_for: EngineFactory,
) -> None:
    engine, job = engine_for(failures=100, max_retries=3)
    outcomes = [run_job(job.task_id, engine) for _ in range(3)]
    assert outcomes == [RetryLater(5.0), RetryLater(10.0), None]
    record = engine.jobs.get(job.task_id)
    assert record.state is JobState.FAILURE and record.attempts == 3
    assert record.error == "storage write failed: Connection refused (after 3 attempts)"
    # A late duplicate delivery of a finished job changes nothing.
    assert run_job(job.task_id, engine) is None
    assert engine.jobs.get(job.task_id).attempts == 3


def test_inline_executor_schedules_the_retries(engine_for: EngineFactory) -> None:
    engine, job = engine_for(failures=1)
    executor = InlineExecutor(engine, concurrency=1)
    try:
        executor.submit(job.task_id)
        wait_state(engine, job.task_id, JobState.SUCCESS, timeout_s=30)
    finally:
        executor.close()
    assert engine.jobs.get(job.task_id).attempts == 2


def test_inline_close_interrupts_without_counting_and_restart_resumes(
    engine_for: EngineFactory, binaries: FFmpegBinaries, tmp_path: Path
) -> None:
    engine, job = engine_for(failures=0)
    # A longer source, so the job is still encoding when the executor closes.
    long_clip = make_clip(binaries, tmp_path / "long.mp4", "1280x720", 20)
    LocalStorage.put_file(engine.storage, source_key(job.file_id), long_clip)
    executor = InlineExecutor(engine, concurrency=1)
    executor.submit(job.task_id)
    wait_state(engine, job.task_id, JobState.PROGRESS, timeout_s=30)
    started = time.monotonic()
    executor.close()
    # A generous bound: close kills ffmpeg within about half a second, never an encode's length.
    assert time.monotonic() - started < 30
    record = engine.jobs.get(job.task_id)
    assert record.state is JobState.PENDING and record.attempts == 0
    assert job.task_id in engine.jobs.active_task_ids()
    assert list(engine.settings.temp_dir.iterdir()) == []
    # The next executor takes up the unfinished job by itself.
    restarted = InlineExecutor(engine, concurrency=1)
    try:
        wait_state(engine, job.task_id, JobState.SUCCESS, timeout_s=120)
    finally:
        restarted.close()
    assert engine.jobs.get(job.task_id).attempts == 1
    assert job.task_id not in engine.jobs.active_task_ids()


def test_redelivery_past_the_attempt_cap_fails_instead_of_looping(
    engine_for: EngineFactory,
) -> None:
    engine, job = engine_for(failures=0, max_retries=2)
    # Two earlier deliveries died with their worker (OOM, kill -9) before recording anything.
    engine.jobs.start_attempt(job.task_id)
    engine.jobs.start_attempt(job.task_id)
    assert run_job(job.task_id, engine) is None
    record = engine.jobs.get(job.task_id)
    assert record.state is JobState.FAILURE
    assert record.error == "gave up after 2 attempts: the worker running it was lost"


def wait_state(engine: Engine, task_id: str, state: JobState, timeout_s: float) -> None:
    """Poll the job's record until it reaches `state`."""
    deadline = time.monotonic() + timeout_s
    while engine.jobs.get(task_id).state is not state:
        assert time.monotonic() < deadline, engine.jobs.get(task_id)
        time.sleep(0.05)
