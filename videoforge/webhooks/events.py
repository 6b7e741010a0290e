"""Events as webhooks carry them: the types, who subscribes to what, the body, and when to
try a failed delivery again. Pure: no I/O."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

JOB_EVENTS = ("job.queued", "job.started", "job.progress", "job.succeeded", "job.failed",
              "job.cancelled")  # fmt: skip
FILE_EVENTS = ("file.uploaded", "file.deleted")
EVENT_TYPES = (*FILE_EVENTS, *JOB_EVENTS)
TEST_EVENT = "webhook.test"  # sent on request to one endpoint (POST /webhooks/{id}/test)
# Progress is frequent: only endpoints that name it get it.
OPT_IN = ("job.progress",)
DEFAULT_EVENTS = tuple(kind for kind in EVENT_TYPES if kind not in OPT_IN)
# A job's callback URL hears about that job, except its progress.
CALLBACK_EVENTS = tuple(kind for kind in JOB_EVENTS if kind not in OPT_IN)
CALLBACK_ENDPOINT = "callback"  # the endpoint id of deliveries to jobs' callback URLs


@dataclass(frozen=True)
class Event:
    """One entry of the change feed: what happened, to what, when, and the record then."""

    event_id: str  # the stream entry id: unique, in order
    kind: str
    subject: str  # a task_id or file_id
    at: float
    record: dict[str, Any]  # the job's hash fields (JSON values) or the file's record

    @classmethod
    def from_entry(cls, entry_id: str, fields: dict[str, str]) -> Event:
        return cls(entry_id, fields["type"], fields["subject"], float(fields["at"]),
                   json.loads(fields.get("record") or "{}"))  # fmt: skip


def check_events(events: list[str] | None) -> tuple[str, ...]:
    """The event types an endpoint subscribes to (the defaults when none are named); a
    ValueError names the unknown ones."""
    if not events:
        return DEFAULT_EVENTS
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise ValueError(f"unknown event types {unknown}; known: {list(EVENT_TYPES)}")
    return tuple(kind for kind in EVENT_TYPES if kind in events)


def delivery_id(event_id: str, endpoint_id: str) -> str:
    """The `webhook-id` of an event's delivery to an endpoint: made from both, so a repeated
    fan-out (after a crash) finds the delivery it already made, and retries keep the id."""
    return f"msg_{event_id.replace('-', '_')}_{endpoint_id}"


def envelope(kind: str, at: float, data: dict[str, Any]) -> str:
    """The body of a webhook: {"type", "timestamp", "data"}, compact JSON."""
    stamp = datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds")
    body = {"type": kind, "timestamp": stamp.replace("+00:00", "Z"), "data": data}
    return json.dumps(body, separators=(",", ":"), sort_keys=False)


def retry_delay_s(attempts: int, base_s: float, max_s: float, rng: random.Random) -> float:
    """How long after failed attempt number `attempts` (1, 2, ...) to try again: doubling
    from base_s up to max_s, with "equal jitter" (half fixed, half random) so receivers
    that come back are not hit by every sender at once."""
    ceiling = min(max_s, base_s * float(2 ** min(attempts - 1, 40)))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)
