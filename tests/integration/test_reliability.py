"""Leases, cancel, the reaper and storage retries, on a real Valkey with real ffmpeg."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from tests.e2e.service import alive, descendants
from tests.integration.conftest import EngineFactory, FlakyStorage, job_objects, wait_until
from videoforge.engine import Engine
from videoforge.errors import TransientError
from videoforge.jobs import reaper
from videoforge.jobs.broker import celery_client, send_job
from videoforge.jobs.names import QUEUE, lease_key
from videoforge.jobs.queues import queue_list, queue_lists
from videoforge.jobs.reaper import broker_messages, reap
from videoforge.models import JobState
from videoforge.pipeline import RetryLater, run_job
from videoforge.settings import Settings
from videoforge.storage.retrying import RetryingStorage


def NONE_QUEUED(ids: set[str]) -> set[str]:
    return set()


def start_in_thread(engine: Engine, task_id: str) -> tuple[threading.Thread, list[object]]:
    outcome: list[object] = []
    thread = threading.Thread(target=lambda: outcome.append(run_job(task_id, engine, worker="t")))
    thread.start()
    return thread, outcome


def wait_state(engine: Engine, task_id: str, state: JobState, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while engine.jobs.state(task_id) is not state:
        assert time.monotonic() < deadline, engine.jobs.get(task_id)
        time.sleep(0.05)


def ffmpeg_children() -> set[int]:
    found = set()
    for pid in descendants(os.getpid()):
        try:
            if b"ffmpeg" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.add(pid)
        except OSError:
            continue
    return found


def test_a_duplicate_delivery_leaves_a_leased_job_alone(engine_for: EngineFactory) -> None:
    engine, job = engine_for()
    assert engine.jobs.acquire_lease(job.task_id, "other-worker/1", ttl_s=30)
    assert run_job(job.task_id, engine, worker="late") is None
    record = engine.jobs.get(job.task_id)
    assert (record.state, record.attempts, record.worker) == (JobState.PENDING, 0, None)
    assert job_objects(engine, job) == []
    assert engine.jobs.lease_holder(job.task_id) == "other-worker/1"


def test_an_attempt_that_loses_its_lease_stops_without_writing(
    engine_for: EngineFactory,
) -> None:
    engine, job = engine_for(clip="long", lease_ttl_s=1.5)
    thread, outcome = start_in_thread(engine, job.task_id)
    wait_state(engine, job.task_id, JobState.PROGRESS)
    seen = ffmpeg_children()
    # Another attempt takes the job over (as after a network partition and a reaper round).
    engine.jobs.client.set(lease_key(job.task_id), "usurper/1", px=60_000)
    thread.join(timeout=10)
    assert not thread.is_alive() and outcome == [None]
    assert engine.jobs.state(job.task_id) is not JobState.SUCCESS
    assert job_objects(engine, job) == []
    assert seen and alive(seen) == set()
    assert engine.jobs.lease_holder(job.task_id) == "usurper/1"  # not released by the loser


def test_cancel_stops_a_running_job_within_seconds(engine_for: EngineFactory) -> None:
    engine, job = engine_for(clip="long")
    thread, outcome = start_in_thread(engine, job.task_id)
    wait_state(engine, job.task_id, JobState.PROGRESS)
    seen = ffmpeg_children()
    assert engine.jobs.update(job.task_id, state=JobState.REVOKED, error="cancelled")
    thread.join(timeout=30)  # it stops at its next progress line; the 20 s encode never ends
    assert not thread.is_alive() and outcome == [None]
    record = engine.jobs.get(job.task_id)
    assert record.state is JobState.REVOKED and record.result is None
    assert job_objects(engine, job) == []
    assert seen and alive(seen) == set()
    assert list(engine.settings.temp_dir.iterdir()) == []
    assert job.task_id not in engine.jobs.active_task_ids()


def test_a_cancelled_queued_job_never_starts(engine_for: EngineFactory) -> None:
    engine, job = engine_for()
    assert engine.jobs.update(job.task_id, state=JobState.REVOKED)
    assert run_job(job.task_id, engine) is None
    record = engine.jobs.get(job.task_id)
    assert (record.state, record.attempts) == (JobState.REVOKED, 0)
    # Finished records refuse every later write.
    assert not engine.jobs.update(job.task_id, state=JobState.PROGRESS)
    assert engine.jobs.state(job.task_id) is JobState.REVOKED


def test_the_reaper_requeues_a_dead_workers_job(engine_for: EngineFactory) -> None:
    engine, job = engine_for()
    engine.jobs.update(job.task_id, state=JobState.PROGRESS, worker="dead@host")
    republished: list[str] = []
    # While the lease is held (the worker lives), nothing happens.
    engine.jobs.acquire_lease(job.task_id, "dead@host/1", ttl_s=0.3)
    assert job.task_id not in reap(engine.jobs, NONE_QUEUED, republished.append, 0.2, 60)
    # The worker died: no renewal, the lease lapses.
    wait_until(lambda: engine.jobs.lease_holder(job.task_id) is None, "the lease to lapse")
    time.sleep(0.25)  # and the record is idle for longer than the (0.2 s) lease
    assert job.task_id in reap(engine.jobs, NONE_QUEUED, republished.append, 0.2, 60)
    assert job.task_id in republished
    assert engine.jobs.state(job.task_id) is JobState.PENDING
    assert run_job(job.task_id, engine) is None
    assert engine.jobs.state(job.task_id) is JobState.SUCCESS


def test_the_reaper_republishes_a_lost_message_only(engine_for: EngineFactory) -> None:
    engine, job = engine_for()
    republished: list[str] = []
    time.sleep(0.3)
    # Other tests' jobs share this Valkey, so only this job's fate is checked.
    assert job.task_id not in reap(
        engine.jobs, lambda ids: ids & {job.task_id}, republished.append, 30, 0.2
    )
    assert job.task_id in reap(engine.jobs, NONE_QUEUED, republished.append, 30, 0.2)
    assert job.task_id in republished


def test_queued_ids_are_read_from_the_broker_in_pages(
    engine_for: EngineFactory, valkey: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reaper, "QUEUE_PAGE", 2)  # so five messages take three pages
    engine, job = engine_for()
    app = celery_client(Settings(_env_file=None, redis_url=valkey))
    others = [f"other-{n}" for n in range(4)]
    try:
        for task_id in [*others[:2], job.task_id, *others[2:]]:
            send_job(app, task_id)
        present = broker_messages(engine.jobs.client, QUEUE)
        assert present({job.task_id, "never-sent"}) == {job.task_id}
        assert present(set(others)) == set(others)
    finally:
        engine.jobs.client.delete(*queue_lists())
        app.close()


def test_a_job_held_only_by_a_dead_workers_prefetch_is_requeued(
    engine_for: EngineFactory, valkey: str
) -> None:
    # kombu keeps a prefetched message in its `unacked` hash until the visibility timeout,
    # an hour, even when the worker that took it was SIGKILLed: that is no proof of life.
    engine, job = engine_for()
    client = engine.jobs.client
    app = celery_client(Settings(_env_file=None, redis_url=valkey))
    try:
        send_job(app, job.task_id)
        message = client.lpop(queue_list("normal"))
        assert message is not None
        client.hset("unacked", "dead-worker-tag", json.dumps([json.loads(message), "", QUEUE]))
        republished: list[str] = []
        queued = broker_messages(client, QUEUE)
        assert job.task_id not in reap(engine.jobs, queued, republished.append, 30, 3600)
        assert job.task_id in reap(engine.jobs, queued, republished.append, 30, 0.0)
        assert republished.count(job.task_id) == 1
        # The record was touched: the next republish waits another lost_after_s.
        assert job.task_id not in reap(engine.jobs, queued, republished.append, 30, 60)
    finally:
        client.delete(*queue_lists())
        client.hdel("unacked", "dead-worker-tag")
        app.close()
    assert run_job(job.task_id, engine) is None
    assert engine.jobs.state(job.task_id) is JobState.SUCCESS


def test_a_retry_whose_worker_died_is_requeued_once_overdue(engine_for: EngineFactory) -> None:
    engine, job = engine_for()
    republished: list[str] = []
    due_in_s = 600.0
    engine.jobs.update(job.task_id, state=JobState.RETRY, retry_at=time.time() + due_in_s)
    # Its countdown message is held unacked by a worker: it looks queued, and is not due.
    held = lambda ids: ids & {job.task_id}  # noqa: E731
    assert job.task_id not in reap(engine.jobs, held, republished.append, 30, 0.0)
    overdue = time.time() - reaper.RETRY_GRACE_S - 1
    engine.jobs.update(job.task_id, state=JobState.RETRY, retry_at=overdue)
    assert job.task_id in reap(engine.jobs, held, republished.append, 30, 0.0)
    record = engine.jobs.get(job.task_id)
    assert (record.state, record.retry_at) == (JobState.PENDING, None)
    # Once: the next round finds it PENDING and queued. (Other tests' jobs share this Valkey.)
    assert republished.count(job.task_id) == 1
    assert job.task_id not in reap(engine.jobs, held, republished.append, 30, 3600)
    assert run_job(job.task_id, engine) is None
    assert engine.jobs.state(job.task_id) is JobState.SUCCESS


def test_the_reaper_leaves_a_job_a_worker_took_meanwhile(engine_for: EngineFactory) -> None:
    engine, job = engine_for()
    engine.jobs.update(job.task_id, state=JobState.PROGRESS)
    stale = engine.jobs.get(job.task_id)
    assert engine.jobs.acquire_lease(job.task_id, "alive/1", ttl_s=30)
    assert not engine.jobs.requeue(stale, "lost")  # leased: the worker lives
    engine.jobs.client.delete(lease_key(job.task_id))
    engine.jobs.update(job.task_id, state=JobState.STARTED)  # a new attempt began
    assert not engine.jobs.requeue(stale, "lost")  # no longer as read
    assert engine.jobs.state(job.task_id) is JobState.STARTED


def test_the_active_index_is_read_in_pages(engine_for: EngineFactory) -> None:
    engine, _ = engine_for()
    made = [engine_for()[1] for _ in range(5)]
    pages = list(engine.jobs.scan_active(page_size=2))
    seen = [job.task_id for page in pages for job, _leased in page]
    assert {job.task_id for job in made} <= set(seen)
    assert len(seen) == len(set(seen))


def test_retrying_storage_rides_out_a_short_outage(tmp_path: Path) -> None:
    source = tmp_path / "f"
    source.write_bytes(b"data")
    flaky = FlakyStorage(tmp_path / "objects", failures=3)
    RetryingStorage(flaky, budget_s=10).put_file("outputs/a.mp4", source)
    assert flaky.size("outputs/a.mp4") == 4
    flaky.failures = 100
    started = time.monotonic()
    with pytest.raises(TransientError):
        RetryingStorage(flaky, budget_s=1).put_file("outputs/b.mp4", source)
    assert time.monotonic() - started < 30  # gave up on its 1 s budget, not later


def test_a_worker_short_of_disk_retries_later(engine_for: EngineFactory) -> None:
    engine, job = engine_for(min_free_disk_bytes=10**18)
    assert run_job(job.task_id, engine) == RetryLater(5.0)
    record = engine.jobs.get(job.task_id)
    assert record.state is JobState.RETRY
    assert (record.error or "").startswith("not enough disk space on this worker")
    assert list(engine.settings.temp_dir.iterdir()) == []
