"""The outbox and the dispatcher against a real Valkey and a real HTTP receiver: events are
written with their change, progress is rate-limited, deliveries are re-checked before each
try, failing endpoints give up and get disabled."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.e2e.receiver import receiver
from tests.integration.conftest import wait_until
from videoforge.jobs.metrics import JobMetrics
from videoforge.jobs.names import EVENTS_KEY, QUEUE
from videoforge.jobs.store import JobStore
from videoforge.models import Job, JobState, OutputFormat, Progress
from videoforge.runtime.wiring import redis_client
from videoforge.settings import Settings
from videoforge.webhooks.deliveries import DeliveryStore
from videoforge.webhooks.dispatcher import Dispatcher
from videoforge.webhooks.endpoints import EndpointStore
from videoforge.webhooks.events import Event
from videoforge.webhooks.fanout import Stores


@pytest.fixture
def client(valkey: str) -> Iterator[redis.Redis]:
    found = redis_client(valkey)
    found.flushall()
    yield found
    found.close()


def make_job(task_id: str = "t1") -> Job:
    return Job(task_id=task_id, file_id="f1", output_name=f"f1_320x240_{task_id}.mp4",
               resolution="320:240", format=OutputFormat.MP4, width=320, height=240)  # fmt: skip


def feed(client: redis.Redis) -> list[dict[str, str]]:
    entries: Any = client.xrange(EVENTS_KEY)
    return [{k.decode(): v.decode() for k, v in fields.items()} for _, fields in entries]


def dispatcher(client: redis.Redis, tmp_path: Path, **settings: object) -> Dispatcher:
    stores = Stores(client, EndpointStore(client), DeliveryStore(client), JobMetrics(client, QUEUE))
    values = {"webhook_retry_base_s": 0.2, "webhook_retry_max_s": 0.5, **settings}
    found = Settings(_env_file=None, data_dir=tmp_path, **values)  # type: ignore[arg-type,call-arg]
    return Dispatcher(stores, found, lambda event: {"subject": event.subject})


def run_once(found: Dispatcher) -> None:
    found.fan_out(block_ms=10)
    with ThreadPoolExecutor(2) as pool:
        found.send_due(pool)


def test_each_change_writes_its_event_with_the_record_and_progress_is_sampled(
    client: redis.Redis, tmp_path: Path
) -> None:
    jobs = JobStore(client)
    jobs.create(make_job())
    jobs.update("t1", state=JobState.STARTED)
    jobs.update("t1", state=JobState.STARTED)  # entered again: not reported twice
    for percent in range(10):
        jobs.update("t1", state=JobState.PROGRESS, progress=Progress(percent, 30, 1, None))
    jobs.update("t1", state=JobState.FAILURE, error="bad input")
    assert not jobs.update("t1", state=JobState.REVOKED)  # finished: no write, no event
    kinds = [entry["type"] for entry in feed(client)]
    assert kinds == ["job.queued", "job.started", *["job.progress"] * 10, "job.failed"]
    failed = json.loads(feed(client)[-1]["record"])
    assert json.loads(failed["state"]) == "FAILURE" and json.loads(failed["error"]) == "bad input"
    # Webhooks carry a sample of the progress: one per job per 5 s, among all dispatchers.
    endpoint = EndpointStore(client).create("http://127.0.0.1:9/", ("job.progress",), "")
    for found in (dispatcher(client, tmp_path), dispatcher(client, tmp_path)):
        found.fan_out(block_ms=10)
    assert DeliveryStore(client).page(endpoint["id"], 0, 100)[1] == 1


def test_a_delivery_is_checked_again_before_each_try(client: redis.Redis, tmp_path: Path) -> None:
    with receiver() as hook:
        # Stored as if registered while private targets were allowed; now they are not.
        endpoint = EndpointStore(client).create(hook.url, ("job.queued",), "")
        JobStore(client).create(make_job())
        found = dispatcher(client, tmp_path, webhook_allow_private=False)
        run_once(found)
        items, _ = DeliveryStore(client).page(endpoint["id"], 0, 10)
        assert items[0]["status"] == "pending" and "loopback" in items[0]["last_error"]
        assert hook.received == []
        found.settings = found.settings.model_copy(update={"webhook_allow_private": True})

        def tried() -> bool:
            run_once(found)
            return bool(hook.received)

        wait_until(tried, "the try once private targets are allowed", 30)


def test_an_endpoint_failing_for_long_is_disabled_and_deliveries_give_up(
    client: redis.Redis, tmp_path: Path
) -> None:
    with receiver(lambda _r, _n: 500) as hook:
        endpoint = EndpointStore(client).create(hook.url, ("job.queued",), "")
        JobStore(client).create(make_job())
        found = dispatcher(client, tmp_path, webhook_allow_private=True,
                           webhook_disable_after_s=1.0, webhook_retry_window_s=30)  # fmt: skip

        def disabled() -> bool:
            run_once(found)
            return not EndpointStore(client).get(endpoint["id"])["enabled"]

        wait_until(disabled, "the endpoint disabled", 60)
        shown = EndpointStore(client).get(endpoint["id"])
        assert "every delivery failed" in shown["disabled_reason"]
        tries = len(hook.received)
        assert tries >= 2 and len({r.id for r in hook.received}) == 1
        # A disabled endpoint is not called; its delivery fails, saying why.
        deliveries = DeliveryStore(client)
        delivery_id = deliveries.page(endpoint["id"], 0, 1)[0][0]["id"]
        deliveries.retry_now(delivery_id)
        run_once(found)
        assert len(hook.received) == tries
        assert deliveries.get(delivery_id)["last_error"] == "the endpoint is disabled"


def test_a_delivery_past_its_retry_window_fails_for_good(
    client: redis.Redis, tmp_path: Path
) -> None:
    with receiver(lambda _r, _n: 503) as hook:
        endpoint = EndpointStore(client).create(hook.url, ("job.queued",), "")
        JobStore(client).create(make_job())
        found = dispatcher(client, tmp_path, webhook_allow_private=True,
                           webhook_retry_window_s=1.0)  # fmt: skip
        deliveries = DeliveryStore(client)

        def given_up() -> bool:
            run_once(found)
            items, _ = deliveries.page(endpoint["id"], 0, 1)
            return bool(items) and items[0]["status"] == "failed"

        wait_until(given_up, "the delivery given up", 60)
        item = deliveries.page(endpoint["id"], 0, 1)[0][0]
        assert item["last_response_code"] == 503 and item["next_try_at"] is None
        assert deliveries.backlog()["deliveries"] == 0
        assert len(hook.received) == item["attempts"] >= 1


def test_a_repeated_fan_out_makes_each_delivery_once(client: redis.Redis, tmp_path: Path) -> None:
    endpoint = EndpointStore(client).create("http://127.0.0.1:9/hook", ("job.queued",), "")
    JobStore(client).create(make_job())
    found = dispatcher(client, tmp_path)
    event = next(iter(feed(client)))
    assert event["type"] == "job.queued"
    found.fan_out(block_ms=10)
    # As if the dispatcher died before acknowledging: the same event handled again.
    entries: Any = client.xrange(EVENTS_KEY)
    entry_id, fields = entries[0]
    again = Event.from_entry(entry_id.decode(), {k.decode(): v.decode() for k, v in fields.items()})
    found.fanout.deliveries_of(again, [EndpointStore(client).get(endpoint["id"])])
    assert DeliveryStore(client).page(endpoint["id"], 0, 10)[1] == 1
