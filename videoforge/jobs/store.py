"""Durable job records in Redis (the keys are named in `jobs.names`). Every state change a
webhook reports is written with its event, in the same script (see scripts.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import redis

from videoforge.errors import NotFound
from videoforge.jobs.names import (
    ACTIVE_JOBS_KEY,
    EVENTS_KEY,
    FILE_CLOSED_TTL_S,
    MAX_TASK_ID_CHARS,
    PUBLISHED_KEY,
    RECENT_JOBS_KEY,
    event_for_state,
    file_closed_key,
    file_jobs_key,
    job_key,
    lease_key,
)
from videoforge.jobs.records import (
    decode,
    decoded,
    encode,
    newest_first,
    redis_errors,
    stamped_fields,
)
from videoforge.jobs.scripts import (
    CLOSE_IF_IDLE,
    COMMIT_IF_HELD,
    COUNT_IF_ACTIVE,
    CREATE_IF_OPEN,
    GO_LIVE_IF_HELD,
    RELEASE_IF_HELD,
    RENEW_IF_HELD,
    REQUEUE_IF_UNCHANGED,
    UPDATE_IF_ACTIVE,
)
from videoforge.models import Job, JobState


class JobStore:
    """One hash per job; fields are JSON so partial updates never clobber each other."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def create(self, job: Job) -> None:
        """Save a new record; it exists before anything is queued. NotFound if the file is
        being deleted."""
        job.created_at = job.updated_at = time.time()
        pairs = [item for field in encode(job).items() for item in field]
        keys = (job_key(job.task_id), file_jobs_key(job.file_id), ACTIVE_JOBS_KEY,
                RECENT_JOBS_KEY, file_closed_key(job.file_id), EVENTS_KEY)  # fmt: skip
        with redis_errors():
            created = self.client.eval(
                CREATE_IF_OPEN, len(keys), *keys, job.task_id, job.created_at, *pairs
            )
        if not int(created):
            raise NotFound(f"no file {job.file_id} (it is being deleted)")

    def close_file(self, file_id: str) -> list[str]:
        """Stop a file taking new jobs, unless some of its jobs are unfinished: then nothing
        changes and their ids are returned."""
        with redis_errors():
            unfinished = self.client.eval(
                CLOSE_IF_IDLE, 2, file_jobs_key(file_id), file_closed_key(file_id),
                FILE_CLOSED_TTL_S, job_key(""),
            )  # fmt: skip
        return [decoded(task_id) for task_id in unfinished]

    def get(self, task_id: str) -> Job:
        """The record of a job; NotFound if there is none."""
        if len(task_id) > MAX_TASK_ID_CHARS:  # never a key we made; not echoed back either
            raise NotFound("no such task")
        with redis_errors():
            raw = self.client.hgetall(job_key(task_id))
        if not raw:
            raise NotFound(f"no task {task_id}")
        return decode(raw)

    def update(self, task_id: str, lease: str = "", **changes: Any) -> bool:
        """Set some fields of an unfinished record; False (and nothing written) if it is
        finished, or if `lease` is given and is no longer the job's lease holder. A final
        state (FAILURE, REVOKED) is written with its `finished_at`, now unless given."""
        state = JobState(changes["state"]) if "state" in changes else None
        if state and state.is_terminal:
            changes.setdefault("finished_at", time.time())
        pairs = stamped_fields(changes)
        keys = (job_key(task_id), ACTIVE_JOBS_KEY, lease_key(task_id), EVENTS_KEY)
        with redis_errors():
            applied = self.client.eval(
                UPDATE_IF_ACTIVE, len(keys), *keys,
                task_id, "1" if state and state.is_terminal else "0", lease,
                event_for_state(state), time.time(), *pairs,
            )  # fmt: skip
        return int(applied) == 1

    def acquire_lease(self, task_id: str, token: str, ttl_s: float) -> bool:
        """Claim the right to run a job; False while another attempt holds it."""
        with redis_errors():
            return bool(self.client.set(lease_key(task_id), token, nx=True, px=int(ttl_s * 1000)))

    def renew_lease(self, task_id: str, token: str, ttl_s: float) -> bool:
        """Extend our lease; False if it lapsed or another attempt took it over."""
        with redis_errors():
            renewed = self.client.eval(RENEW_IF_HELD, 1, lease_key(task_id), token,
                                       int(ttl_s * 1000))  # fmt: skip
        return int(renewed) == 1

    def release_lease(self, task_id: str, token: str) -> None:
        with redis_errors():
            self.client.eval(RELEASE_IF_HELD, 1, lease_key(task_id), token)

    def lease_holder(self, task_id: str) -> str | None:
        """Who runs the job now (`worker:token`), or None when nobody holds its lease."""
        with redis_errors():
            holder = self.client.get(lease_key(task_id))
        return decoded(holder) if holder else None

    def state(self, task_id: str) -> JobState | None:
        """Just the state of a job (cheap enough to poll while it runs)."""
        with redis_errors():
            raw = self.client.hget(job_key(task_id), "state")
        return JobState(json.loads(raw)) if raw else None

    def take_turn(self, lock_key: str, interval_s: float) -> bool:
        """True for the one process (of all) that takes `lock_key` for this interval."""
        with redis_errors():
            return bool(self.client.set(lock_key, "1", nx=True, px=int(interval_s * 1000)))

    def start_attempt(self, task_id: str) -> int | None:
        """Count one more attempt and return it (the count lives here, not in the message);
        None if the job has finished meanwhile."""
        with redis_errors():
            # The field holds JSON, and a JSON integer is one HINCRBY understands.
            count = int(self.client.eval(COUNT_IF_ACTIVE, 1, job_key(task_id)))
        return None if count < 0 else count

    def scan_active(self, page_size: int = 200) -> Iterator[list[tuple[Job, bool]]]:
        """The unfinished jobs, a page at a time (SSCAN, so no read is unbounded), each
        with whether its lease is held."""
        cursor = 0
        while True:
            with redis_errors():
                cursor, members = self.client.sscan(ACTIVE_JOBS_KEY, cursor, count=page_size)
                task_ids = [decoded(member) for member in members]
                pipe = self.client.pipeline(transaction=False)
                for task_id in task_ids:
                    pipe.hgetall(job_key(task_id))
                    pipe.exists(lease_key(task_id))
                replies = pipe.execute() if task_ids else []
            pairs = zip(replies[::2], replies[1::2], strict=True)
            yield [(decode(raw), bool(leased)) for raw, leased in pairs if raw]
            if cursor == 0:
                return

    def requeue(self, job: Job, reason: str) -> bool:
        """Put a job back to PENDING if it is still as `job` shows it and unleased."""
        pairs = stamped_fields(
            {"state": JobState.PENDING, "progress": None, "retry_at": None, "error": reason}
        )
        with redis_errors():
            keys = (job_key(job.task_id), lease_key(job.task_id), EVENTS_KEY)
            expected = json.dumps(job.state.value)
            done = self.client.eval(REQUEUE_IF_UNCHANGED, len(keys), *keys,
                                    expected, job.task_id, time.time(), *pairs)  # fmt: skip
        return int(done) == 1

    def active_task_ids(self) -> list[str]:
        """Jobs that have not reached SUCCESS, FAILURE or REVOKED."""
        with redis_errors():
            return sorted(decoded(task_id) for task_id in self.client.smembers(ACTIVE_JOBS_KEY))

    def jobs_for_file(self, file_id: str) -> list[Job]:
        """Every job of a file, oldest first."""
        with redis_errors():
            task_ids = self.client.lrange(file_jobs_key(file_id), 0, -1)
        return self._get_many([decoded(task_id) for task_id in task_ids])

    def recent(self, offset: int, limit: int) -> tuple[list[Job], int]:
        """`limit` jobs from `offset`, newest first, and how many there are in all."""
        task_ids, total = newest_first(self.client, RECENT_JOBS_KEY, offset, limit)
        return self._get_many(task_ids), total

    def commit(
        self,
        job: Job,
        token: str,
        published_name: str,
        result: dict[str, Any],
        *,
        finished_at: float | None = None,
        timings: dict[str, float] | None = None,
    ) -> bool:
        """Record SUCCESS, when it finished (now unless given) and its timings, and point the
        job's output at `published_name`, in one step, if `token` still holds the lease;
        False (nothing written) otherwise."""
        pairs = stamped_fields(
            {"state": JobState.SUCCESS, "result": result, "error": None,
             "published_name": published_name, "finished_at": finished_at or time.time(),
             "timings": timings}
        )  # fmt: skip
        keys = (job_key(job.task_id), ACTIVE_JOBS_KEY, lease_key(job.task_id), PUBLISHED_KEY,
                EVENTS_KEY)  # fmt: skip
        with redis_errors():
            committed = self.client.eval(
                COMMIT_IF_HELD, len(keys), *keys,
                token, job.task_id, job.output_name, published_name, time.time(), *pairs,
            )  # fmt: skip
        return int(committed) == 1

    def go_live(self, job: Job, token: str, published_name: str) -> bool:
        """Point the job's output at `published_name` while it is still being made, and
        mark the job playable, if `token` holds the lease; False (nothing written) if not."""
        pairs = stamped_fields({"published_name": published_name, "playable": True})
        keys = (job_key(job.task_id), lease_key(job.task_id), PUBLISHED_KEY, EVENTS_KEY)
        with redis_errors():
            done = self.client.eval(
                GO_LIVE_IF_HELD, len(keys), *keys,
                token, job.task_id, job.output_name, published_name, time.time(), *pairs,
            )  # fmt: skip
        return int(done) == 1

    def forget_published(self, output_name: str) -> None:
        """The output is gone (a live one of a job that failed or was cancelled)."""
        with redis_errors():
            self.client.hdel(PUBLISHED_KEY, output_name)

    def published_name(self, output_name: str) -> str | None:
        """The attempt-specific name an output was published under (finished, or live), if
        recorded."""
        with redis_errors():
            name = self.client.hget(PUBLISHED_KEY, output_name)
        return decoded(name) if name else None

    def delete_finished(self, file_id: str, jobs: list[Job]) -> None:
        """Forget the records of a file's jobs (all finished: the caller checked)."""
        task_ids = [job.task_id for job in jobs]
        with redis_errors():
            pipe = self.client.pipeline()
            pipe.delete(file_jobs_key(file_id), *(job_key(task_id) for task_id in task_ids))
            if task_ids:
                pipe.zrem(RECENT_JOBS_KEY, *task_ids)
                pipe.hdel(PUBLISHED_KEY, *(job.output_name for job in jobs))
            pipe.execute()

    def _get_many(self, task_ids: list[str]) -> list[Job]:
        with redis_errors():
            pipe = self.client.pipeline(transaction=False)
            for task_id in task_ids:
                pipe.hgetall(job_key(task_id))
            records = pipe.execute() if task_ids else []
        return [decode(raw) for raw in records if raw]  # a record may have been deleted

    def ping(self) -> None:
        """Raise TransientError unless Redis answers."""
        with redis_errors():
            self.client.ping()
