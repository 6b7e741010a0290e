"""Deliveries in Redis: one hash each (its body fixed when made, so every try sends the same
bytes under the same `webhook-id`), a schedule of the due ones (a sorted set by time), and
each endpoint's newest deliveries for listing. Finished ones are kept for RETAIN_S."""

from __future__ import annotations

import time
from typing import Any

import redis

from videoforge.errors import NotFound
from videoforge.jobs.names import (
    EVENTS_GROUP,
    EVENTS_KEY,
    WEBHOOKS_DUE_KEY,
    delivery_key,
    endpoint_deliveries_key,
)
from videoforge.jobs.records import decoded, newest_first, redis_errors

RETAIN_S = 30 * 24 * 3600
LISTED_PER_ENDPOINT = 1000
# Made once: a repeated fan-out of the same event (after a crash) finds it and does nothing.
CREATE_ONCE = f"""
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -{LISTED_PER_ENDPOINT + 1})  -- keep the newest
return 1
"""
# Due deliveries are pushed ahead by `hold` seconds as they are taken, so no other sender
# takes them meanwhile; a sender that dies leaves them due again when the hold runs out.
CLAIM_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, id in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[1] + ARGV[2], id) end
return due
"""


class DeliveryStore:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def create(self, delivery_id: str, endpoint_id: str, fields: dict[str, Any]) -> bool:
        """Make a delivery, due now, unless it exists; True if it was made."""
        now = time.time()
        record = {"id": delivery_id, "endpoint_id": endpoint_id, "status": "pending",
                  "attempts": 0, "created_at": repr(now), "next_try_at": repr(now),
                  **fields}  # fmt: skip
        pairs = [str(item) for pair in record.items() for item in pair]
        keys = (delivery_key(delivery_id), WEBHOOKS_DUE_KEY, endpoint_deliveries_key(endpoint_id))
        with redis_errors():
            return bool(self.client.eval(CREATE_ONCE, 3, *keys, delivery_id, repr(now), *pairs))

    def claim_due(self, limit: int, hold_s: float) -> list[str]:
        """Up to `limit` due deliveries, held for `hold_s` by the caller."""
        with redis_errors():
            ids = self.client.eval(CLAIM_DUE, 1, WEBHOOKS_DUE_KEY, time.time(), hold_s, limit)
        return [decoded(i) for i in ids]

    def get(self, delivery_id: str) -> dict[str, Any]:
        """A delivery as the API shows it; NotFound if there is none."""
        raw = self.stored(delivery_id)
        if raw is None:
            raise NotFound(f"no delivery {delivery_id}")
        return _delivery(raw)

    def stored(self, delivery_id: str) -> dict[str, str] | None:
        """A delivery's fields as kept (its body included), or None once it is gone."""
        with redis_errors():
            raw = self.client.hgetall(delivery_key(delivery_id)) if len(delivery_id) < 200 else {}
        return {decoded(k): decoded(v) for k, v in raw.items()} if raw else None

    def drop(self, delivery_id: str) -> None:
        """Take a delivery whose record is gone off the schedule."""
        with redis_errors():
            self.client.zrem(WEBHOOKS_DUE_KEY, delivery_id)

    def page(self, endpoint_id: str, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """An endpoint's deliveries, newest first, and how many are listed in all."""
        key = endpoint_deliveries_key(endpoint_id)
        ids, total = newest_first(self.client, key, offset, limit)
        with redis_errors():
            pipe = self.client.pipeline(transaction=False)
            for delivery_id in ids:
                pipe.hgetall(delivery_key(delivery_id))
            raws = pipe.execute() if ids else []
        items = [_delivery({decoded(k): decoded(v) for k, v in raw.items()}) for raw in raws if raw]
        return items, total

    def finish(self, delivery_id: str, status: str, **fields: Any) -> None:
        """Delivered, failed for good or dropped: off the schedule, kept for RETAIN_S."""
        key = delivery_key(delivery_id)
        with redis_errors():
            pipe = self.client.pipeline()
            pipe.zrem(WEBHOOKS_DUE_KEY, delivery_id)
            pipe.hset(key, mapping=_fields(status=status, next_try_at="", **fields))
            pipe.expire(key, RETAIN_S)
            pipe.execute()

    def reschedule(self, delivery_id: str, next_try_at: float, **fields: Any) -> None:
        """A failed try: due again at `next_try_at`."""
        with redis_errors():
            pipe = self.client.pipeline()
            pipe.hset(
                delivery_key(delivery_id),
                mapping=_fields(status="pending", next_try_at=repr(next_try_at), **fields),
            )
            pipe.zadd(WEBHOOKS_DUE_KEY, {delivery_id: next_try_at})
            pipe.persist(delivery_key(delivery_id))
            pipe.execute()  # fmt: skip

    def retry_now(self, delivery_id: str) -> dict[str, Any]:
        """Send a delivery again now (any status), under the same id."""
        self.get(delivery_id)
        self.reschedule(delivery_id, time.time(), retry_requested_at=repr(time.time()))
        return self.get(delivery_id)

    def backlog(self) -> dict[str, int]:
        """Deliveries waiting to be sent, and events not yet turned into deliveries."""
        with redis_errors():
            due = int(self.client.zcard(WEBHOOKS_DUE_KEY))
            unread = 0
            if self.client.exists(EVENTS_KEY):
                for group in self.client.xinfo_groups(EVENTS_KEY):
                    if decoded(group["name"]) == EVENTS_GROUP:
                        unread = int(group.get("lag") or 0) + int(group.get("pending") or 0)
        return {"deliveries": due, "events": unread}


def _fields(**fields: Any) -> dict[Any, Any]:
    return {name: "" if value is None else str(value) for name, value in fields.items()}


def _delivery(raw: dict[str, str]) -> dict[str, Any]:
    """A stored delivery as the API shows it (the body stays internal)."""
    code = raw.get("last_response_code")
    return {
        "id": raw["id"], "endpoint_id": raw["endpoint_id"], "event": raw.get("event", ""),
        "subject": raw.get("subject") or None, "status": raw["status"],
        "attempts": int(raw.get("attempts") or 0),
        "last_response_code": int(code) if code else None,
        "last_error": raw.get("last_error") or None,
        "next_try_at": _number(raw, "next_try_at") if raw["status"] == "pending" else None,
        "created_at": _number(raw, "created_at"), "delivered_at": _number(raw, "delivered_at"),
    }  # fmt: skip


def _number(raw: dict[str, str], name: str) -> float | None:
    return float(raw[name]) if raw.get(name) else None
