"""Registered webhook endpoints, in Redis: one hash per endpoint, listed by creation time.

Secrets are `whsec_` and base64 of 32 random bytes (Standard Webhooks). A rotated secret
keeps signing beside the new one for a day, so receivers can switch without losing
messages. An endpoint that has failed every delivery for `disable_after_s` is disabled:
its listing says so and why, and POST /webhooks/{id}/enable turns it back on."""

from __future__ import annotations

import base64
import secrets
import time
from typing import Any, cast

import redis

from videoforge.errors import Conflict, NotFound
from videoforge.jobs.names import CALLBACK_SECRET_KEY, PREFIX, WEBHOOKS_KEY
from videoforge.jobs.records import decoded, redis_errors

PREVIOUS_SECRET_S = 24 * 3600  # how long a rotated secret still signs beside the new one
MAX_ENDPOINTS = 100


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def endpoint_key(endpoint_id: str) -> str:
    return f"{PREFIX}:webhook:{endpoint_id}"


class EndpointStore:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def create(self, url: str, events: tuple[str, ...], description: str) -> dict[str, Any]:
        """A new endpoint, with its secret (shown to its creator once)."""
        endpoint_id = "ep_" + secrets.token_hex(8)
        now = time.time()
        fields = {"id": endpoint_id, "url": url, "events": " ".join(events),
                  "description": description, "created_at": repr(now),
                  "secret": new_secret()}  # fmt: skip
        with redis_errors():
            if self.client.zcard(WEBHOOKS_KEY) >= MAX_ENDPOINTS:
                raise Conflict(f"at most {MAX_ENDPOINTS} endpoints; delete one first")
            pipe = self.client.pipeline()
            pipe.hset(endpoint_key(endpoint_id), mapping=cast(dict[Any, Any], fields))
            pipe.zadd(WEBHOOKS_KEY, {endpoint_id: now})
            pipe.execute()
        return self.get(endpoint_id)

    def get(self, endpoint_id: str) -> dict[str, Any]:
        """An endpoint's record (with its secrets); NotFound if there is none."""
        with redis_errors():
            raw = self.client.hgetall(endpoint_key(endpoint_id)) if len(endpoint_id) < 64 else {}
        if not raw:
            raise NotFound(f"no webhook endpoint {endpoint_id}")
        return _endpoint({decoded(k): decoded(v) for k, v in raw.items()})

    def all(self) -> list[dict[str, Any]]:
        """Every endpoint, oldest first."""
        with redis_errors():
            ids = [decoded(i) for i in cast(list[bytes], self.client.zrange(WEBHOOKS_KEY, 0, -1))]
            pipe = self.client.pipeline(transaction=False)
            for endpoint_id in ids:
                pipe.hgetall(endpoint_key(endpoint_id))
            raws = pipe.execute() if ids else []
        return [_endpoint({decoded(k): decoded(v) for k, v in raw.items()}) for raw in raws if raw]

    def delete(self, endpoint_id: str) -> None:
        self.get(endpoint_id)
        with redis_errors():
            pipe = self.client.pipeline()
            pipe.delete(endpoint_key(endpoint_id))
            pipe.zrem(WEBHOOKS_KEY, endpoint_id)
            pipe.execute()

    def rotate_secret(self, endpoint_id: str) -> dict[str, Any]:
        """A new secret; the old one signs too for PREVIOUS_SECRET_S."""
        old = self.get(endpoint_id)
        with redis_errors():
            self.client.hset(endpoint_key(endpoint_id), mapping={
                "secret": new_secret(), "previous_secret": old["secret"],
                "previous_secret_until": repr(time.time() + PREVIOUS_SECRET_S)})  # fmt: skip
        return self.get(endpoint_id)

    def enable(self, endpoint_id: str) -> dict[str, Any]:
        self.get(endpoint_id)
        with redis_errors():
            self.client.hdel(endpoint_key(endpoint_id), "disabled_at", "disabled_reason",
                             "failing_since")  # fmt: skip
        return self.get(endpoint_id)

    def note_success(self, endpoint_id: str) -> None:
        with redis_errors():
            pipe = self.client.pipeline()
            pipe.hdel(endpoint_key(endpoint_id), "failing_since")
            pipe.hset(endpoint_key(endpoint_id), "last_success_at", repr(time.time()))
            pipe.execute()

    def note_failure(self, endpoint_id: str, disable_after_s: float) -> bool:
        """Count a failed delivery; True if the endpoint has now failed for long enough to
        be disabled (it then is)."""
        key = endpoint_key(endpoint_id)
        now = time.time()
        with redis_errors():
            if not self.client.exists(key):
                return False
            self.client.hsetnx(key, "failing_since", repr(now))
            since = float(
                decoded(cast(bytes, self.client.hget(key, "failing_since") or b"0")) or now
            )
            if now - since < disable_after_s or self.client.hexists(key, "disabled_at"):
                return False
            days = (now - since) / 86400
            self.client.hset(key, mapping={
                "disabled_at": repr(now),
                "disabled_reason": f"every delivery failed for {days:.1f} days"})  # fmt: skip
        return True

    def callback_secret(self, configured: str | None) -> str:
        """The secret that signs deliveries to jobs' callback URLs: WEBHOOK_SECRET, or one
        made once and kept in Redis."""
        if configured:
            return configured
        with redis_errors():
            self.client.set(CALLBACK_SECRET_KEY, new_secret(), nx=True)
            return decoded(self.client.get(CALLBACK_SECRET_KEY) or b"")


def _endpoint(raw: dict[str, str]) -> dict[str, Any]:
    """A stored endpoint as plain data (secrets included: callers choose what to show)."""
    record: dict[str, Any] = {
        "id": raw["id"], "url": raw["url"], "events": raw["events"].split(),
        "description": raw.get("description", ""), "created_at": float(raw["created_at"]),
        "enabled": "disabled_at" not in raw, "secret": raw["secret"], "secrets": [raw["secret"]],
    }  # fmt: skip
    for name in ("disabled_at", "failing_since", "last_success_at"):
        record[name] = float(raw[name]) if name in raw else None
    record["disabled_reason"] = raw.get("disabled_reason")
    if "previous_secret" in raw and float(raw.get("previous_secret_until", 0)) > time.time():
        record["secrets"].append(raw["previous_secret"])
    return record
