"""The event stream's own rules, over a stand-in job store: it ends at the job's end, or
after EVENT_STREAM_MAX_S for a job that never moves."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

import anyio
import pytest

from videoforge.http import feed, tasks
from videoforge.models import Job, JobState, OutputFormat


class Jobs:
    """Answers `get` from a script of states; the last one repeats."""

    def __init__(self, *states: JobState) -> None:
        self.states = list(states)
        self.reads = 0

    def get(self, task_id: str) -> Job:
        state = self.states[min(self.reads, len(self.states) - 1)]
        self.reads += 1
        return Job(task_id, "f" * 32, "out.mp4", "640:360", OutputFormat.MP4, 640, 360, state=state,
                   updated_at=float(self.reads))  # fmt: skip


def collect(jobs: Jobs) -> list[Any]:
    services: Any = SimpleNamespace(
        engine=SimpleNamespace(jobs=jobs),
        executor=SimpleNamespace(queue_position=lambda task_id, priority: None),
        auth_required=False,
    )

    async def read(task_id: str) -> Job:
        return jobs.get(task_id)

    async def run() -> list[Any]:
        changes = feed.ChangeFeed(client=None)  # type: ignore[arg-type]  # never started
        events = tasks.job_events(services, jobs.get("t"), read, changes)
        return [event async for event in events]

    return anyio.run(run)


def test_a_stream_ends_with_the_job(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feed, "FALLBACK_S", 0.01)
    events = collect(Jobs(JobState.PENDING, JobState.STARTED, JobState.SUCCESS))
    assert [e.data["state"] for e in events] == ["PENDING", "STARTED", "SUCCESS"]
    assert events[0].retry == tasks.EVENT_RETRY_MS and events[1].retry is None


def test_a_job_that_never_moves_does_not_hold_a_stream_forever(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(feed, "FALLBACK_S", 0.01)
    monkeypatch.setattr(tasks, "EVENT_STREAM_MAX_S", 0.2)
    started = time.monotonic()
    jobs = Jobs(JobState.PENDING)
    jobs.get = lambda task_id: Job(task_id, "f" * 32, "o.mp4", "2:2", OutputFormat.MP4, 2, 2)  # type: ignore[method-assign]
    events = collect(jobs)
    assert [e.data["state"] for e in events] == ["PENDING"]  # unchanged: sent once
    assert 0.2 <= time.monotonic() - started < 30  # it ends, and not before its time


def test_the_feed_wakes_the_streams_of_the_job_it_names() -> None:
    async def run() -> tuple[bool, bool, bool]:
        changes = feed.ChangeFeed(client=None)  # type: ignore[arg-type]
        changes.loop = asyncio.get_running_loop()
        async with changes.watching("a") as a, changes.watching("b") as b:
            changes._wake("a", "job.progress")
            await asyncio.sleep(0)
            first = (a.is_set(), b.is_set())
            changes._wake("c", "job.started")  # any start moves the queue: everyone looks
            await asyncio.sleep(0)
            return first[0], first[1], b.is_set()

    assert anyio.run(run) == (True, False, True)
