"""Executor that sends jobs to Celery workers through the Redis broker."""

from __future__ import annotations

import logging

import redis
from celery import Celery

from videoforge.errors import TransientError
from videoforge.jobs import queues
from videoforge.jobs.broker import send_job, send_storyboard

log = logging.getLogger(__name__)


class CeleryExecutor:
    """Publishes one message per job; the message id is the task id."""

    def __init__(self, app: Celery, client: redis.Redis | None = None) -> None:
        self.app = app
        self.client = client  # the broker's Redis, read for queue positions

    def queue_position(self, task_id: str, priority: str) -> int | None:
        if self.client is None:
            return None
        return queues.queue_position(self.client, task_id, priority)

    def submit(self, task_id: str, priority: str = "normal") -> None:
        try:
            send_job(self.app, task_id, priority)
        except Exception as exc:  # kombu raises several unrelated types for a down broker
            log.warning("could not queue task %s: %s", task_id, exc)
            # The broker's address stays in the log, not in what users read.
            raise TransientError("could not queue the job: the broker is unavailable") from exc

    def make_storyboard(self, file_id: str) -> None:
        try:
            send_storyboard(self.app, file_id)
        except Exception as exc:  # the upload stands; the storyboard's GET asks again
            log.warning("could not queue the storyboard of %s: %s", file_id, exc)

    def has_live_worker(self) -> bool:
        replies = self.app.control.ping(timeout=1.0, limit=1)
        return bool(replies)

    def close(self) -> None:
        self.app.close()
