"""The reaper: gives jobs back to the queue when the worker running them died, or when their
queue message was lost. Every worker runs it; a Redis lock lets one of them act per round.

With Celery on Redis alone, a SIGKILLed worker's job returns only after kombu's visibility
timeout (over an hour here). Leases make it a matter of seconds: a job that is STARTED or in
PROGRESS but whose lease has lapsed belongs to a dead worker.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable

import redis

from videoforge.errors import NotFound, TransientError
from videoforge.jobs.names import KOMBU_UNACKED_KEY
from videoforge.jobs.store import JobStore
from videoforge.models import JobState

log = logging.getLogger(__name__)

RUNNING = (JobState.STARTED, JobState.PROGRESS)
WAITING = (JobState.PENDING, JobState.RETRY)


def queued_task_ids(client: redis.Redis, queue: str) -> set[str]:
    """Ids of the jobs that have a message in the queue or held by a worker."""
    ids = set()
    for raw, unwrap in [*((m, False) for m in client.lrange(queue, 0, -1)),
                        *((m, True) for m in client.hvals(KOMBU_UNACKED_KEY))]:  # fmt: skip
        try:
            message = json.loads(raw)
            # An unacked entry is [message, exchange, routing_key].
            ids.add(str((message[0] if unwrap else message)["headers"]["id"]))
        except (ValueError, KeyError, TypeError, IndexError):
            continue
    return ids


def reap(jobs: JobStore, queued: set[str], republish: Callable[[str], None],
         lease_ttl_s: float, lost_after_s: float) -> list[str]:  # fmt: skip
    """One round over the unfinished jobs; returns the ids it re-queued."""
    now = time.time()
    requeued = []
    for task_id in jobs.active_task_ids():
        try:
            job = jobs.get(task_id)
        except NotFound:
            continue
        idle_s = now - job.updated_at
        if job.state in RUNNING and idle_s > lease_ttl_s and jobs.lease_holder(task_id) is None:
            # Its worker stopped renewing the lease: it is dead, or cut off from Redis.
            if jobs.update(task_id, state=JobState.PENDING, progress=None,
                           error="the worker running it was lost; requeued"):  # fmt: skip
                republish(task_id)
                requeued.append(task_id)
        elif job.state in WAITING and idle_s > lost_after_s and task_id not in queued:
            # Saved but never (or no longer) queued: its message was lost.
            republish(task_id)
            requeued.append(task_id)
    if requeued:
        log.warning("reaper re-queued %d job(s): %s", len(requeued), ", ".join(requeued))
    return requeued


class Reaper:
    """Runs `reap` every interval on a daemon thread, when this process wins the round."""

    def __init__(self, jobs: JobStore, queue: str, republish: Callable[[str], None],
                 interval_s: float, lease_ttl_s: float) -> None:  # fmt: skip
        self.jobs, self.queue, self.republish = jobs, queue, republish
        self.interval_s, self.lease_ttl_s = interval_s, lease_ttl_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="reaper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                if self.jobs.take_reaper_turn(self.interval_s * 0.9):
                    queued = queued_task_ids(self.jobs.client, self.queue)
                    reap(self.jobs, queued, self.republish, self.lease_ttl_s,
                         lost_after_s=max(60.0, 3 * self.interval_s))  # fmt: skip
            except (TransientError, redis.RedisError) as exc:
                log.warning("reaper round skipped: %s", exc)
            except Exception:
                log.exception("reaper round failed")
