"""Priorities and the worker registry on a real Valkey, with messages sent by Celery itself:
where kombu puts each priority, a job's place in line, what the reaper and /metrics see."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from videoforge.errors import NotFound
from videoforge.jobs import queues
from videoforge.jobs.broker import celery_client, send_job, send_storyboard
from videoforge.jobs.metrics import JobMetrics
from videoforge.jobs.names import QUEUE
from videoforge.jobs.reaper import broker_messages
from videoforge.jobs.workers import WorkerInfo, WorkerRegistry
from videoforge.runtime.wiring import redis_client
from videoforge.settings import Settings


@pytest.fixture
def client(valkey: str) -> Iterator[redis.Redis]:
    connection = redis_client(valkey)
    connection.delete(*queues.queue_lists())
    yield connection
    connection.delete(*queues.queue_lists())
    connection.close()


def test_each_priority_waits_in_its_own_list_and_positions_count_higher_ones_first(
    client: redis.Redis, valkey: str
) -> None:
    app = celery_client(Settings(_env_file=None, redis_url=valkey))
    sent = {name: str(uuid.uuid4()) for name in ("low1", "low2", "high", "normal")}
    try:
        for name, task_id in sent.items():
            send_job(app, task_id, name.rstrip("12"))
        send_storyboard(app, "some-file")  # behind every job: sent last, at low
    finally:
        app.close()
    assert queues.depths(client) == {"high": 1, "normal": 1, "low": 3}
    assert [client.llen(name) for name in queues.queue_lists()] == [1, 1, 3]
    place = {name: queues.queue_position(client, task_id, name.rstrip("12"))
             for name, task_id in sent.items()}  # fmt: skip
    assert place == {"high": 1, "normal": 2, "low1": 3, "low2": 4}
    assert queues.queue_position(client, "never-sent", "high") is None
    # The reaper looks in every list for jobs that seem lost.
    present = broker_messages(client, QUEUE)
    assert present({*sent.values(), "never-sent"}) == set(sent.values())
    _, depths, _ = JobMetrics(client, QUEUE).snapshot()
    assert depths == {"high": 1, "normal": 1, "low": 3}


def test_a_position_is_found_past_the_first_page(
    client: redis.Redis, valkey: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queues, "PAGE", 2)
    app = celery_client(Settings(_env_file=None, redis_url=valkey))
    ids = [str(uuid.uuid4()) for _ in range(5)]
    try:
        for task_id in ids:
            send_job(app, task_id, "low")
        send_job(app, "a-high-one", "high")
    finally:
        app.close()
    assert [queues.queue_position(client, task_id, "low") for task_id in ids] == [2, 3, 4, 5, 6]


def test_the_registry_lists_live_workers_and_keeps_a_drain_until_resumed(
    client: redis.Redis,
) -> None:
    registry = WorkerRegistry(client)
    name = f"w-{uuid.uuid4().hex[:8]}@host"
    with pytest.raises(NotFound, match="no live worker"):
        registry.drain(name)
    registry.beat(WorkerInfo(name, "host", 1, 1, tasks=["t-1"], busy=True))
    assert name in {w.name for w in registry.live()}
    assert registry.drain(name).draining
    assert registry.drain_requested(name)
    # Gone (stopped): the flag stays for its next start, and can still be cleared.
    registry.leave(name)
    assert name not in {w.name for w in registry.live()}
    assert registry.drain_requested(name)
    assert registry.resume(name) is None
    assert not registry.drain_requested(name)
    with pytest.raises(NotFound):
        registry.resume(name)


def test_one_read_of_the_line_gives_every_position(client: redis.Redis, valkey: str) -> None:
    app = celery_client(Settings(_env_file=None, redis_url=valkey))
    ids = {name: str(uuid.uuid4()) for name in ("low1", "normal", "high", "low2")}
    try:
        for name, task_id in ids.items():
            send_job(app, task_id, name.rstrip("12"))
    finally:
        app.close()
    everyone = queues.positions(client)
    assert {name: everyone[task_id] for name, task_id in ids.items()} == {
        name: queues.queue_position(client, task_id, name.rstrip("12"))
        for name, task_id in ids.items()
    }
