"""Executor that sends jobs to Celery workers through the Redis broker."""

from __future__ import annotations

from celery import Celery

from videoforge.errors import TransientError
from videoforge.jobs.celery_app import TASK_NAME


class CeleryExecutor:
    """Publishes one message per job; the message id is the task id."""

    def __init__(self, app: Celery) -> None:
        self.app = app

    def submit(self, task_id: str) -> None:
        try:
            self.app.send_task(TASK_NAME, args=[task_id], task_id=task_id)
        except Exception as exc:  # kombu raises several unrelated types for a down broker
            raise TransientError(f"could not queue the job: {exc}") from exc

    def has_live_worker(self) -> bool:
        replies = self.app.control.ping(timeout=1.0, limit=1)
        return bool(replies)

    def close(self) -> None:
        self.app.close()
