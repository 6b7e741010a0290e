"""Durable job records in Redis. Every Redis key videoforge uses is named here."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

import redis

from videoforge.errors import NotFound, TransientError
from videoforge.models import Job, JobState, OutputFormat, Progress

log = logging.getLogger(__name__)

PREFIX = "videoforge"


def job_key(task_id: str) -> str:
    return f"{PREFIX}:job:{task_id}"


def file_jobs_key(file_id: str) -> str:
    return f"{PREFIX}:file:{file_id}:jobs"


# Jobs not yet SUCCESS or FAILURE: what a restarted executor or a reaper must look at.
ACTIVE_JOBS_KEY = f"{PREFIX}:jobs:active"
# One hash of counters and histogram buckets shared by every process (see metrics.py).
METRICS_KEY = f"{PREFIX}:metrics"


@contextmanager
def _redis_errors() -> Iterator[None]:
    try:
        yield
    except redis.RedisError as exc:
        log.warning("job store error: %s", exc)
        # Users see that the store is down, not its address.
        raise TransientError("job store unavailable, try again shortly") from exc


class JobStore:
    """One hash per job; fields are JSON so partial updates never clobber each other."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def create(self, job: Job) -> None:
        """Save a new record; it exists before anything is queued."""
        job.created_at = job.updated_at = time.time()
        fields = _encode(job)
        with _redis_errors():
            pipe = self.client.pipeline()
            pipe.hset(job_key(job.task_id), mapping=fields)
            pipe.rpush(file_jobs_key(job.file_id), job.task_id)
            pipe.sadd(ACTIVE_JOBS_KEY, job.task_id)
            pipe.execute()

    def get(self, task_id: str) -> Job:
        """The record of a job; NotFound if there is none."""
        with _redis_errors():
            raw = self.client.hgetall(job_key(task_id))
        if not raw:
            raise NotFound(f"no task {task_id}")
        return _decode(raw)

    def update(self, task_id: str, **changes: Any) -> None:
        """Set some fields of a record (state, progress, result, error, attempts)."""
        changes["updated_at"] = time.time()
        fields: dict[Any, Any] = {k: json.dumps(_plain(v)) for k, v in changes.items()}
        with _redis_errors():
            pipe = self.client.pipeline()
            pipe.hset(job_key(task_id), mapping=fields)
            if "state" in changes and JobState(changes["state"]).is_terminal:
                pipe.srem(ACTIVE_JOBS_KEY, task_id)
            pipe.execute()

    def start_attempt(self, task_id: str) -> int:
        """Count one more attempt and return it; the count lives here, not in the message."""
        with _redis_errors():
            # The field holds JSON, and a JSON integer is one HINCRBY understands.
            return int(self.client.hincrby(job_key(task_id), "attempts", 1))

    def active_task_ids(self) -> list[str]:
        """Jobs that have not reached SUCCESS or FAILURE."""
        with _redis_errors():
            return sorted(_text(task_id) for task_id in self.client.smembers(ACTIVE_JOBS_KEY))

    def jobs_for_file(self, file_id: str) -> list[Job]:
        """Every job of a file, oldest first."""
        with _redis_errors():
            task_ids = self.client.lrange(file_jobs_key(file_id), 0, -1)
        jobs = []
        for task_id in task_ids:
            try:
                jobs.append(self.get(_text(task_id)))
            except NotFound:
                continue
        return jobs

    def ping(self) -> None:
        """Raise TransientError unless Redis answers."""
        with _redis_errors():
            self.client.ping()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _plain(value: Any) -> Any:
    if isinstance(value, Progress):
        return asdict(value)
    return value


def _encode(job: Job) -> dict[Any, Any]:
    return {name: json.dumps(_plain(value)) for name, value in asdict(job).items()}


def _decode(raw: dict[Any, Any]) -> Job:
    data = {_text(key): json.loads(value) for key, value in raw.items()}
    progress = data.get("progress")
    data["progress"] = Progress(**progress) if progress else None
    data["state"] = JobState(data["state"])
    data["format"] = OutputFormat(data["format"])
    known = Job.__dataclass_fields__
    return Job(**{name: value for name, value in data.items() if name in known})
