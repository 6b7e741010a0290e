"""The reaper: gives jobs back to the queue when the worker running them died, when a retry
is due, or when their queue message was lost. Every worker runs it; a Redis lock lets one
of them act per round.

It is also the retry scheduler. A Celery countdown would be held by the worker that failed
(outside its prefetch count: a drained worker would still run it, and it would start before
higher-priority jobs already queued); instead the attempt records RETRY with `retry_at`,
and once that is due the reaper puts the job back on its priority's list, like any job.

With Celery on Redis alone, a SIGKILLed worker's job returns only after kombu's visibility
timeout (over an hour here). Leases make it a matter of seconds: a job that is STARTED or in
PROGRESS but whose lease has lapsed belongs to a dead worker.

Messages a worker holds (a prefetched job) sit in kombu's `unacked` hash
until the visibility timeout, an hour here, even after that worker is SIGKILLed. So the
unacked hash proves nothing: a waiting job is left alone only while its message is in the
queue list itself, or while its retry is not yet due (`retry_at`). Otherwise, a minute on,
it is requeued. If the holder was alive after all (busy with a long job), the extra message
only lets an idle worker start it sooner; the later copy finds the job leased or finished
and leaves.

Reads are bounded: the active-job index is scanned in pages, and the queue (every priority's
list) is only read (in pages) for jobs that look lost, never whole. A requeued job keeps its
priority: `republish` is given the task id, and the worker's reads the record's priority.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import redis

from videoforge.errors import TransientError
from videoforge.jobs.names import REAPER_LOCK_KEY, SWEEPER_LOCK_KEY
from videoforge.jobs.queues import message_id, queue_lists
from videoforge.jobs.store import JobStore
from videoforge.models import Job, JobState

log = logging.getLogger(__name__)

RUNNING = (JobState.STARTED, JobState.PROGRESS)
# A retry this long past its due time is requeued (within a round of the reaper).
RETRY_GRACE_S = 0.0
QUEUE_PAGE = 500
# Which of these task ids have a message waiting in the queue list.
Queued = Callable[[set[str]], set[str]]


def broker_messages(client: redis.Redis, queue: str) -> Queued:
    """`Queued` read from kombu's lists of the queue (one per priority), in pages, stopping
    once all are found."""

    def present(wanted: set[str]) -> set[str]:
        found: set[str] = set()
        for name in queue_lists(queue):
            start = 0
            while found != wanted:
                page = client.lrange(name, start, start + QUEUE_PAGE - 1)
                found |= {i for raw in page if (i := message_id(raw)) in wanted}
                if len(page) < QUEUE_PAGE:
                    break
                start += QUEUE_PAGE
        return found

    return present


def reap(jobs: JobStore, queued: Queued, republish: Callable[[str], None],
         lease_ttl_s: float, lost_after_s: float) -> list[str]:  # fmt: skip
    """One round over the unfinished jobs; returns the ids it re-queued."""
    now = time.time()
    requeued: list[str] = []
    maybe_lost: dict[str, Job] = {}
    for page in jobs.scan_active():
        for job, leased in page:
            idle_s = now - job.updated_at
            if job.state in RUNNING and idle_s > lease_ttl_s and not leased:
                # Its worker stopped renewing the lease: it is dead, or cut off from Redis.
                _requeue(jobs, job, "the worker running it was lost; requeued", republish,
                         requeued)  # fmt: skip
            elif _retry_overdue(job, now):
                _requeue(jobs, job, job.error or "retrying", republish, requeued)
            elif _waiting_on_a_message(job) and idle_s > lost_after_s:
                maybe_lost[job.task_id] = job
    if maybe_lost:
        # Not in the queue: its message was lost, or is held by a worker that died.
        for task_id in sorted(set(maybe_lost) - queued(set(maybe_lost))):
            _requeue(jobs, maybe_lost[task_id], "its queue message was lost; requeued",
                     republish, requeued)  # fmt: skip
    if requeued:
        log.warning("reaper re-queued %d job(s): %s", len(requeued), ", ".join(requeued))
    return requeued


def _waiting_on_a_message(job: Job) -> bool:
    # A RETRY with a due time is judged by it (see _retry_overdue), not by the queue.
    return job.state is JobState.PENDING or (job.state is JobState.RETRY and job.retry_at is None)


def _retry_overdue(job: Job, now: float) -> bool:
    return (
        job.state is JobState.RETRY
        and job.retry_at is not None
        and (now > job.retry_at + RETRY_GRACE_S)
    )


def _requeue(jobs: JobStore, job: Job, reason: str, republish: Callable[[str], None],
             requeued: list[str]) -> None:  # fmt: skip
    # Only if the record is still as read: a worker that moved it meanwhile keeps it.
    if jobs.requeue(job, reason):
        republish(job.task_id)
        requeued.append(job.task_id)


class Reaper:
    """Runs `reap` every interval on a daemon thread, when this process wins the round; and
    `sweep` (orphaned objects) every `sweep_interval_s`, in the same way."""

    def __init__(self, jobs: JobStore, queue: str, republish: Callable[[str], None],
                 interval_s: float, lease_ttl_s: float,
                 sweep: Callable[[], object] | None = None,
                 sweep_interval_s: float = 600.0) -> None:  # fmt: skip
        self.jobs, self.queue, self.republish = jobs, queue, republish
        self.interval_s, self.lease_ttl_s = interval_s, lease_ttl_s
        self.sweep, self.sweep_interval_s = sweep, sweep_interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="reaper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._guarded("reaper round", self._reap)
            self._guarded("orphan sweep", self._sweep)

    def _reap(self) -> None:
        if self.jobs.take_turn(REAPER_LOCK_KEY, self.interval_s * 0.9):
            queued = broker_messages(self.jobs.client, self.queue)
            reap(self.jobs, queued, self.republish, self.lease_ttl_s,
                 lost_after_s=max(60.0, 3 * self.interval_s))  # fmt: skip

    def _sweep(self) -> None:
        if self.sweep is not None and self.jobs.take_turn(SWEEPER_LOCK_KEY, self.sweep_interval_s):
            self.sweep()

    def _guarded(self, what: str, step: Callable[[], None]) -> None:
        try:
            step()
        except (TransientError, redis.RedisError) as exc:
            log.warning("%s skipped: %s", what, exc)
        except Exception:
            log.exception("%s failed", what)
