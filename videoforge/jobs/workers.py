"""The worker registry: which workers are alive, what each runs, and which are draining.

Each worker writes its own record to Redis every HEARTBEAT_S, with a TTL (see
jobs/heartbeat.py), so the API lists workers with two reads and never waits on one. Celery's
broadcast `inspect` was the other way: it waits a full timeout for replies (a second or
more on every listing), and says nothing of a worker that is busy or away. A record that
expired is a worker that died without saying so; it is dropped from the index on the next
listing.

A drain is a flag in Redis, not a message: the worker reads it with its heartbeat and stops
consuming the queue itself. The flag has no TTL, so a worker restarted under the same name
stays drained until it is resumed. The API sets or clears it and answers at once.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, replace

import redis

from videoforge.errors import NotFound
from videoforge.jobs.names import WORKERS_KEY, worker_drain_key, worker_key
from videoforge.jobs.records import decoded, redis_errors

HEARTBEAT_S = 1.0
# A worker not heard from for this long is gone (SIGKILLed, cut off from Redis).
WORKER_TTL_S = 10.0


@dataclass(frozen=True)
class WorkerInfo:
    """What a worker last reported of itself, and whether a drain is asked of it."""

    name: str
    host: str
    pid: int
    concurrency: int
    # The transcode jobs it runs now (a storyboard makes it busy without a job).
    tasks: list[str] = field(default_factory=list)
    busy: bool = False
    # Whether it takes new jobs from the queue (False once it has applied a drain).
    consuming: bool = True
    draining: bool = False
    started_at: float = 0.0
    heartbeat_at: float = 0.0


class WorkerRegistry:
    """Worker records in Redis: written by each worker, read and flagged by the API."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def beat(self, info: WorkerInfo) -> None:
        """Write a worker's record, good for WORKER_TTL_S."""
        record = json.dumps({**asdict(info), "heartbeat_at": time.time()})
        pipe = self.client.pipeline()
        pipe.set(worker_key(info.name), record, ex=int(WORKER_TTL_S))
        pipe.zadd(WORKERS_KEY, {info.name: time.time()})
        pipe.execute()

    def leave(self, name: str) -> None:
        """Remove a stopping worker's record (its drain flag stays)."""
        pipe = self.client.pipeline()
        pipe.delete(worker_key(name))
        pipe.zrem(WORKERS_KEY, name)
        pipe.execute()

    def drain_requested(self, name: str) -> bool:
        return bool(self.client.exists(worker_drain_key(name)))

    def live(self) -> list[WorkerInfo]:
        """Every live worker, by name; records that expired are dropped from the index."""
        with redis_errors():
            members: list[bytes | str] = self.client.zrange(WORKERS_KEY, 0, -1)  # type: ignore[assignment]
            names = sorted(decoded(n) for n in members)
            pipe = self.client.pipeline(transaction=False)
            for name in names:
                pipe.get(worker_key(name))
                pipe.exists(worker_drain_key(name))
            replies = pipe.execute()
        found, gone = [], []
        for name, raw, flagged in zip(names, replies[::2], replies[1::2], strict=True):
            if raw is None:
                gone.append(name)
            else:
                found.append(replace(_info(raw), draining=bool(flagged)))
        if gone:
            with redis_errors():
                self.client.zrem(WORKERS_KEY, *gone)
        return found

    def get(self, name: str) -> WorkerInfo:
        """A live worker; NotFound for a name no live worker has."""
        with redis_errors():
            raw = self.client.get(worker_key(name))
            flagged = self.drain_requested(name)
        if raw is None:
            raise NotFound(f"no live worker named {name!r} (see GET /workers)")
        return replace(_info(raw), draining=flagged)

    def drain(self, name: str) -> WorkerInfo:
        """Ask a live worker to finish what it runs and take no new job."""
        info = self.get(name)
        with redis_errors():
            self.client.set(worker_drain_key(name), "1")
        return replace(info, draining=True)

    def resume(self, name: str) -> WorkerInfo | None:
        """Let a worker take jobs again; None if it is drained but not running now."""
        with redis_errors():
            cleared = bool(self.client.delete(worker_drain_key(name)))
        try:
            return replace(self.get(name), draining=False)
        except NotFound:
            if cleared:
                return None
            raise


def _info(raw: bytes | str) -> WorkerInfo:
    data = json.loads(raw)
    known = WorkerInfo.__dataclass_fields__
    return WorkerInfo(**{key: value for key, value in data.items() if key in known})
