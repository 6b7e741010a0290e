"""Events -> deliveries. The feed is read through a consumer group, so each event is taken
by one dispatcher (of all, on any host); its deliveries are made (idempotently: a delivery's
id comes from the event's and the endpoint's), then the event is acknowledged. Events a
dead dispatcher had taken are claimed back after WEBHOOK_HOLD_S. The feed keeps
FEED_RETAIN_MS of history for its other readers (event streams, http/feed.py)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis

from videoforge.jobs.metrics import JobMetrics
from videoforge.jobs.names import (
    EVENT_FAILURES_KEY,
    EVENTS_GROUP,
    EVENTS_KEY,
    PROGRESS_EVENT_INTERVAL_S,
    progress_event_key,
)
from videoforge.jobs.records import decoded
from videoforge.settings import Settings
from videoforge.webhooks import events as ev
from videoforge.webhooks.deliveries import DeliveryStore
from videoforge.webhooks.endpoints import EndpointStore

log = logging.getLogger(__name__)

READ_COUNT = 100
MAX_EVENT_TRIES = 5
FEED_RETAIN_MS = 10 * 60_000
# Turns an event into its `data` (the job or file as the API shows it), or None to skip it.
Render = Callable[[ev.Event], dict[str, Any] | None]


@dataclass(frozen=True)
class Stores:
    client: redis.Redis
    endpoints: EndpointStore
    deliveries: DeliveryStore
    metrics: JobMetrics


class FanOut:
    def __init__(self, stores: Stores, settings: Settings, render: Render, consumer: str) -> None:
        self.stores = stores
        self.settings = settings
        self.render = render
        self.consumer = consumer

    def fan_out(self, block_ms: int) -> int:
        """Turn the next events into deliveries; how many events were handled."""
        client = self.stores.client
        self._ensure_group()
        hold_ms = int(self.settings.webhook_hold_s * 1000)
        claimed = client.xautoclaim(EVENTS_KEY, EVENTS_GROUP, self.consumer, hold_ms,
                                    "0-0", count=READ_COUNT)  # fmt: skip
        entries: list[Any] = list(claimed[1])
        if not entries:
            read: Any = client.xreadgroup(EVENTS_GROUP, self.consumer, {EVENTS_KEY: ">"},
                                          count=READ_COUNT, block=block_ms)  # fmt: skip
            entries = [entry for _, batch in read or [] for entry in batch]
        if not entries:
            return 0
        endpoints = [e for e in self.stores.endpoints.all() if e["enabled"]]
        for entry_id, fields in entries:
            if fields and not self._handled(decoded(entry_id), fields, endpoints):
                continue  # left pending: taken again after the hold, or given up on
            client.xack(EVENTS_KEY, EVENTS_GROUP, entry_id)
        self._trim()
        return len(entries)

    def _handled(
        self, entry_id: str, fields: dict[Any, Any], endpoints: list[dict[str, Any]]
    ) -> bool:
        """Make one event's deliveries; False if that failed and it should be tried again.
        An event that failed MAX_EVENT_TRIES times is given up on (logged, counted), so one
        bad event cannot hold the feed (an entry trimmed meanwhile comes back empty)."""
        try:
            text = {decoded(k): decoded(v) for k, v in fields.items()}
            self.deliveries_of(ev.Event.from_entry(entry_id, text), endpoints)
            return True
        except redis.RedisError:
            raise  # Redis is down: the whole round waits
        except Exception:
            tries = self.stores.client.hincrby(EVENT_FAILURES_KEY, entry_id, 1)
            log.exception("webhook event %s could not be fanned out (try %s)", entry_id, tries)
            if int(tries) < MAX_EVENT_TRIES:
                return False
            self.stores.client.hdel(EVENT_FAILURES_KEY, entry_id)
            self.stores.metrics.count("webhook_deliveries", "event_dropped")
            return True

    def deliveries_of(self, event: ev.Event, endpoints: list[dict[str, Any]]) -> None:
        targets = [(e["id"], "") for e in endpoints if event.kind in e["events"]]
        if targets and event.kind == "job.progress" and not self._progress_turn(event.subject):
            return
        callback = _json_text(event.record.get("callback_url"))
        if callback and event.kind in ev.CALLBACK_EVENTS:
            targets.append((ev.CALLBACK_ENDPOINT, callback))
        if not targets:
            return
        data = self.render(event)
        if data is None:
            return
        body = ev.envelope(event.kind, event.at, data)
        for endpoint_id, url in targets:
            self.stores.deliveries.create(
                ev.delivery_id(event.event_id, endpoint_id), endpoint_id,
                {"event": event.kind, "subject": event.subject, "url": url, "body": body},
            )  # fmt: skip

    def _progress_turn(self, task_id: str) -> bool:
        """True at most once per PROGRESS_EVENT_INTERVAL_S per job, among all dispatchers:
        progress is written about once a second, webhooks carry a sample of it."""
        interval_ms = int(PROGRESS_EVENT_INTERVAL_S * 1000)
        return bool(
            self.stores.client.set(progress_event_key(task_id), "1", px=interval_ms, nx=True)
        )

    def _ensure_group(self) -> None:
        try:
            self.stores.client.xgroup_create(EVENTS_KEY, EVENTS_GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def _trim(self) -> None:
        """Drop history older than FEED_RETAIN_MS, but nothing not yet turned into deliveries."""
        client = self.stores.client
        keep_from = int(time.time() * 1000) - FEED_RETAIN_MS
        pending = client.xpending(EVENTS_KEY, EVENTS_GROUP)
        if pending and pending.get("pending"):
            keep_from = min(keep_from, int(decoded(pending["min"]).split("-")[0]))
        for group in client.xinfo_groups(EVENTS_KEY):
            if decoded(group["name"]) == EVENTS_GROUP:
                last = decoded(group["last-delivered-id"]).split("-")[0]
                keep_from = min(keep_from, int(last))
        client.xtrim(EVENTS_KEY, minid=str(keep_from), approximate=True)


def _json_text(value: Any) -> str:
    """A job hash field (JSON text) as a plain string, "" for null or absent."""
    if not value:
        return ""
    loaded = json.loads(value) if isinstance(value, str) else value
    return loaded if isinstance(loaded, str) else ""
