"""Leases: one live attempt per job, kept alive by a heartbeat, checked before any write.

A worker holds `videoforge:lease:{task_id}` while it runs a job and renews it every third of
its TTL. Another delivery of the same message (kombu's visibility timeout, a reaper's
re-publish) finds the lease held and leaves without writing. A worker that dies stops
renewing; the lease lapses and the reaper hands the job to someone else.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

from videoforge.errors import TransientError
from videoforge.jobs.store import JobStore
from videoforge.models import JobState

log = logging.getLogger(__name__)

CANCEL_CHECK_INTERVAL_S = 1.0


class Interrupted(BaseException):
    """Raised inside a running job when its executor is shutting down."""


class Cancelled(Exception):
    """Raised inside an attempt whose job was cancelled; nothing may be published."""


class LeaseLost(Exception):
    """Raised inside an attempt that no longer holds its lease; another attempt owns the job."""


class Renewal:
    """Renews a held lease on a thread, every third of its TTL, until the block ends, then
    releases it; `lost` once it could not be renewed (taken over, or Redis away too long)."""

    def __init__(self, renew: Callable[[], bool], release: Callable[[], object], ttl_s: float,
                 name: str) -> None:  # fmt: skip
        self.renew, self.release, self.ttl_s = renew, release, ttl_s
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=name, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()
        with contextlib.suppress(TransientError):  # if Redis is away it lapses by itself
            self.release()

    def _beat(self) -> None:
        renewed_at = time.monotonic()
        while not self._stop.wait(self.ttl_s / 3):
            try:
                if not self.renew():
                    self.lost = True
                    log.warning("%s: lease lost; this attempt stops", self._thread.name)
                    return
                renewed_at = time.monotonic()
            except TransientError:
                # Redis is away: keep trying, but past the TTL someone else may own it.
                if time.monotonic() - renewed_at > self.ttl_s:
                    self.lost = True
                    return


class Heartbeat(Renewal):
    """The lease of a job's attempt."""

    def __init__(self, jobs: JobStore, task_id: str, token: str, ttl_s: float) -> None:
        self.jobs, self.task_id, self.token = jobs, task_id, token
        super().__init__(lambda: jobs.renew_lease(task_id, token, ttl_s),
                         lambda: jobs.release_lease(task_id, token), ttl_s,
                         f"lease-{task_id[:8]}")  # fmt: skip


class Guard:
    """Checked by a running attempt (on every progress line and before publishing)."""

    def __init__(self, jobs: JobStore, task_id: str, beat: Heartbeat,
                 stop: threading.Event | None) -> None:  # fmt: skip
        self.jobs, self.task_id, self.beat, self.stop = jobs, task_id, beat, stop
        self._checked_at = 0.0

    def check(self, force: bool = False) -> None:
        """Raise when the attempt must end now: shutdown, lease lost, cancelled, or the job
        ended otherwise (another attempt finished it, or it was deleted)."""
        if self.stop is not None and self.stop.is_set():
            raise Interrupted
        if self.beat.lost:
            raise LeaseLost
        now = time.monotonic()
        if force or now - self._checked_at >= CANCEL_CHECK_INTERVAL_S:
            self._checked_at = now
            check_job(self.jobs, self.task_id)


def check_job(jobs: JobStore, task_id: str) -> None:
    """Raise Cancelled if the job was cancelled, LeaseLost if it ended otherwise (another
    attempt finished it, or it was deleted). A Redis blip is neither: a lost lease is caught
    by the heartbeat, a lost item by its own lease."""
    try:
        state = jobs.state(task_id)
    except TransientError:
        return
    if state is JobState.REVOKED:
        raise Cancelled
    if state is None or state.is_terminal:
        raise LeaseLost
