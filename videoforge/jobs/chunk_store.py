"""A split job's work items in Redis (see segments.chunks): one hash per job holds the plan,
each finished item's result, each item's progress and how often it was claimed; each item
being encoded has a lease of its own, as a job does.

Every participant (the job's attempt and any helper) claims the next item with no result
and no live lease, in one script; a finished item is recorded only while its claimant still
holds the lease, so an item whose worker died (its lease lapsed) is claimed again and only
one result of it ever counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import redis

from videoforge.jobs.names import chunk_lease_prefix, chunks_key, job_key
from videoforge.jobs.records import decoded, redis_errors
from videoforge.jobs.scripts import RELEASE_IF_HELD, RENEW_IF_HELD

# Left over only if a job's end could not clean up (Redis away then): gone after a week.
CHUNKS_TTL_S = 7 * 24 * 3600

# KEYS: chunks hash, job hash. ARGV: token, ttl ms, lease prefix, items in claim order.
# Nothing is claimed for a job that ended (or no longer exists).
CLAIM_NEXT = """
local state = redis.call('HGET', KEYS[2], 'state')
if (not state) or state == '"SUCCESS"' or state == '"FAILURE"' or state == '"REVOKED"' then
  return false
end
for i = 4, #ARGV do
  local item = ARGV[i]
  if redis.call('HEXISTS', KEYS[1], 'done:' .. item) == 0 then
    if redis.call('SET', ARGV[3] .. item, ARGV[1], 'NX', 'PX', ARGV[2]) then
      redis.call('HINCRBY', KEYS[1], 'claims:' .. item, 1)
      return item
    end
  end
end
return false
"""
# KEYS: chunks hash, the item's lease. ARGV: token, item, result JSON.
FINISH_IF_HELD = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'done:' .. ARGV[2], ARGV[3])
redis.call('DEL', KEYS[2])
return 1
"""

# KEYS: chunks hash. ARGV: field, value.
REPORT_IF_RECORDED = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 0
"""


@dataclass(frozen=True)
class ChunkState:
    """What a split job's items are at: results of the finished ones, seconds encoded of
    the others, claims of each, and which are being encoded now (leased)."""

    plan: dict[str, Any] | None
    done: dict[str, dict[str, Any]] = field(default_factory=dict)
    progress_s: dict[str, float] = field(default_factory=dict)
    claims: dict[str, int] = field(default_factory=dict)


class ChunkStore:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def start(self, task_id: str, plan: dict[str, Any]) -> dict[str, Any]:
        """Record the job's plan unless one is recorded already; return the recorded one
        (a later attempt goes on with the items of the first)."""
        key = chunks_key(task_id)
        with redis_errors():
            pipe = self.client.pipeline()
            pipe.hsetnx(key, "plan", json.dumps(plan))
            pipe.hget(key, "plan")
            pipe.expire(key, CHUNKS_TTL_S)
            _, recorded, _ = pipe.execute()
        return dict(json.loads(recorded))

    def claim(self, task_id: str, token: str, ttl_s: float, items: list[str]) -> str | None:
        """The next item nobody has finished or holds, now leased to `token`; None if none."""
        keys = (chunks_key(task_id), job_key(task_id))
        with redis_errors():
            item = self.client.eval(CLAIM_NEXT, len(keys), *keys, token, int(ttl_s * 1000),
                                    chunk_lease_prefix(task_id), *items)  # fmt: skip
        return decoded(item) if item else None

    def renew(self, task_id: str, item: str, token: str, ttl_s: float) -> bool:
        key = chunk_lease_prefix(task_id) + item
        with redis_errors():
            return bool(self.client.eval(RENEW_IF_HELD, 1, key, token, int(ttl_s * 1000)))

    def release(self, task_id: str, item: str, token: str) -> None:
        key = chunk_lease_prefix(task_id) + item
        with redis_errors():
            self.client.eval(RELEASE_IF_HELD, 1, key, token)

    def finish(self, task_id: str, item: str, token: str, result: dict[str, Any]) -> bool:
        """Record an item's result while `token` still holds it; False: it was lost."""
        keys = (chunks_key(task_id), chunk_lease_prefix(task_id) + item)
        with redis_errors():
            done = self.client.eval(FINISH_IF_HELD, len(keys), *keys, token, item,
                                    json.dumps(result))  # fmt: skip
        return bool(done)

    def report(self, task_id: str, item: str, encoded_s: float) -> None:
        """How far an item's encode is (seconds of output), for the job's progress; nothing
        once the job's items are forgotten (a late helper must not bring the hash back)."""
        with redis_errors():
            self.client.eval(REPORT_IF_RECORDED, 1, chunks_key(task_id), f"progress:{item}",
                             f"{encoded_s:.3f}")  # fmt: skip

    def state(self, task_id: str) -> ChunkState:
        with redis_errors():
            raw = self.client.hgetall(chunks_key(task_id))
        fields = {decoded(k): decoded(v) for k, v in raw.items()}
        plan = json.loads(fields["plan"]) if "plan" in fields else None
        state = ChunkState(plan)
        for name, value in fields.items():
            kind, _, item = name.partition(":")
            if kind == "done":
                state.done[item] = json.loads(value)
            elif kind == "progress":
                state.progress_s[item] = float(value)
            elif kind == "claims":
                state.claims[item] = int(value)
        return state

    def forget(self, task_id: str, items: list[str]) -> None:
        """Drop a job's items (after its end: their objects are removed by the caller)."""
        prefix = chunk_lease_prefix(task_id)
        with redis_errors():
            self.client.delete(chunks_key(task_id), *(prefix + item for item in items))
