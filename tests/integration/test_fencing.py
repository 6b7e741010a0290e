"""Fencing to the end: a late duplicate attempt can neither overwrite nor delete what the
winning attempt committed. Real Valkey, real ffmpeg, local storage; two attempts of one job
run on threads, and a gate in storage holds the first one in the middle of publishing, as a
slow upload or a cut-off worker would."""

from __future__ import annotations

import dataclasses
import subprocess
import threading
from pathlib import Path

import pytest

from tests.integration.conftest import EngineFactory, job_objects, wait_until
from videoforge.engine import Engine
from videoforge.jobs.names import lease_key
from videoforge.jobs.reaper import reap
from videoforge.models import JobState
from videoforge.pipeline import run_job
from videoforge.storage.local import LocalStorage

DEADLINE_S = 60


def NO_OP(_task_id: str) -> None:
    return None


class GatedStorage(LocalStorage):
    """Local storage that holds every write of a main output (.mp4) until `release` is set."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.reached = threading.Event()
        self.release = threading.Event()

    def put_file(self, key: str, path: Path) -> None:
        if key.endswith(".mp4"):
            self.reached.set()
            assert self.release.wait(DEADLINE_S), "the test never released the gate"
        super().put_file(key, path)


def run_in_thread(engine: Engine, task_id: str, worker: str) -> threading.Thread:
    thread = threading.Thread(target=run_job, args=(task_id, engine), kwargs={"worker": worker})
    thread.start()
    return thread


def duration_s(binaries_ffprobe: str, path: Path) -> float:
    out = subprocess.run(
        [binaries_ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
         str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return float(out.strip())


@pytest.mark.parametrize("late_attempt_tries_to_commit", ["after", "before"])
def test_a_late_attempt_cannot_overwrite_or_delete_the_committed_output(
    engine_for: EngineFactory, late_attempt_tries_to_commit: str
) -> None:
    engine, job = engine_for(lease_ttl_s=2)
    gated = GatedStorage(engine.settings.data_dir / "objects")
    attempt_a = run_in_thread(dataclasses.replace(engine, storage=gated), job.task_id, "A")
    # A has encoded and is publishing: held at the gate, under its lease.
    assert gated.reached.wait(DEADLINE_S)
    # A is cut off (Redis away longer than its lease): its lease lapses, the reaper requeues.
    engine.jobs.client.delete(lease_key(job.task_id))
    requeued = lambda: job.task_id in reap(engine.jobs, lambda ids: set(), NO_OP, 0.0, 600)  # noqa: E731
    wait_until(requeued, "the reaper to requeue the job")
    attempt_b = run_in_thread(engine, job.task_id, "B")
    if late_attempt_tries_to_commit == "after":
        wait_until(lambda: engine.jobs.state(job.task_id) is JobState.SUCCESS, "B's SUCCESS")
    else:  # A finishes publishing and tries to commit while B still runs
        wait_until(lambda: (engine.jobs.lease_holder(job.task_id) or "").startswith("B/"),
                   "B to take the lease")  # fmt: skip
    gated.release.set()
    attempt_a.join(DEADLINE_S)
    attempt_b.join(DEADLINE_S)
    assert not attempt_a.is_alive() and not attempt_b.is_alive()

    record = engine.jobs.get(job.task_id)
    assert record.state is JobState.SUCCESS and record.attempts == 2 and record.worker == "B"
    published = record.published_name
    assert published and engine.jobs.published_name(job.output_name) == published
    # Only the winner's objects are stored: A removed its own, and nothing of B's.
    assert job_objects(engine, job) == [published]
    stored = engine.settings.data_dir / "objects" / "outputs" / published
    assert duration_s(engine.binaries.ffprobe, stored) == pytest.approx(2.0, abs=0.1)
    assert list(engine.settings.temp_dir.iterdir()) == []


def test_an_attempt_stops_when_its_job_ends_otherwise(engine_for: EngineFactory) -> None:
    # Not only a cancel: a job finished by another attempt (or deleted) stops this one too.
    engine, job = engine_for(clip="long")
    attempt = run_in_thread(engine, job.task_id, "A")
    wait_until(lambda: engine.jobs.state(job.task_id) is JobState.PROGRESS, "PROGRESS")
    token = engine.jobs.lease_holder(job.task_id) or ""
    assert engine.jobs.update(job.task_id, lease=token, state=JobState.FAILURE, error="elsewhere")
    attempt.join(DEADLINE_S)
    assert not attempt.is_alive()
    assert engine.jobs.get(job.task_id).state is JobState.FAILURE
    assert job_objects(engine, job) == []
