"""Executor that sends jobs to Celery workers through the Redis broker."""

from __future__ import annotations

import logging
import threading
import time

import redis
from celery import Celery

from videoforge.errors import TransientError
from videoforge.jobs import queues
from videoforge.jobs.broker import send_job, send_storyboard

log = logging.getLogger(__name__)
POSITION_CACHE_S = 1.0
POSITION_RECHECK_S = 0.05


class CeleryExecutor:
    """Publishes one message per job; the message id is the task id."""

    def __init__(self, app: Celery, client: redis.Redis | None = None) -> None:
        self.app = app
        self.client = client  # the broker's Redis, read for queue positions
        self._positions: tuple[float, dict[str, int]] = (-POSITION_CACHE_S - 1, {})
        self._positions_lock = threading.Lock()

    def queue_position(self, task_id: str, priority: str) -> int | None:
        """From one read of the whole line, shared for POSITION_CACHE_S: a page of tasks
        or many open event streams cost one scan, not one each."""
        if self.client is None:
            return None
        with self._positions_lock:
            taken_at, known = self._positions
            age_s = time.monotonic() - taken_at
            # A job not in the snapshot may have been queued since: look again, though
            # not more than every POSITION_RECHECK_S.
            if age_s > POSITION_CACHE_S or (task_id not in known and age_s > POSITION_RECHECK_S):
                known = queues.positions(self.client)
                self._positions = (time.monotonic(), known)
        return known.get(task_id)

    def submit(self, task_id: str, priority: str = "normal") -> None:
        try:
            send_job(self.app, task_id, priority)
        except Exception as exc:  # kombu raises several unrelated types for a down broker
            log.warning("could not queue task %s: %s", task_id, exc)
            # The broker's address stays in the log, not in what users read.
            raise TransientError("could not queue the job: the broker is unavailable") from exc

    def make_storyboard(self, file_id: str, delay_s: float = 0.0) -> None:
        try:
            send_storyboard(self.app, file_id, delay_s)
        except Exception as exc:  # the upload stands; the storyboard's GET asks again
            log.warning("could not queue the storyboard of %s: %s", file_id, exc)

    def has_live_worker(self) -> bool:
        replies = self.app.control.ping(timeout=1.0, limit=1)
        return bool(replies)

    def close(self) -> None:
        self.app.close()
