"""The Celery app as every broker client configures it: the API (to send), workers (to run,
see celery_app) and Flower. No task lives here, so senders load no pipeline."""

from __future__ import annotations

from typing import Any

from celery import Celery

from videoforge.jobs.names import (
    CHUNK_TASK_NAME,
    PRIORITY_SEP,
    QUEUE,
    STORYBOARD_TASK_NAME,
    TASK_NAME,
)
from videoforge.jobs.queues import priority_number, priority_steps
from videoforge.settings import Settings


def broker_transport_options(settings: Settings) -> dict[str, Any]:
    """The options every broker client (API, workers, Flower) must share.

    kombu redelivers an unacked message after `visibility_timeout`, and the shortest value
    among all clients wins (celery #7651), so it is set everywhere from one place.
    """
    return {
        "visibility_timeout": settings.visibility_timeout_s,
        # One Redis list per priority, popped highest first (see jobs/queues.py).
        "priority_steps": priority_steps(),
        "sep": PRIORITY_SEP,
        "queue_order_strategy": "priority",
    }


def celery_client(settings: Settings) -> Celery:
    """A Celery app configured from settings, with no task registered on it."""
    app = Celery("videoforge", broker=settings.redis_url, set_as_current=False)
    app.conf.update(
        broker_transport_options=broker_transport_options(settings),
        broker_connection_retry_on_startup=True,
        task_default_queue=QUEUE,
        task_ignore_result=True,  # job state lives in the job store, not a result backend
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_concurrency=settings.worker_concurrency,
        task_time_limit=settings.task_time_limit_s,
        task_soft_time_limit=settings.task_soft_time_limit_s,
        worker_send_task_events=True,
        task_send_sent_event=True,
        task_serializer="json",
        accept_content=["json"],
    )
    return app


def send_job(app: Celery, task_id: str, priority: str = "normal") -> None:
    """Queue a saved job: one message, whose id is the task id (so the reaper can find it),
    on the list of its priority."""
    app.send_task(TASK_NAME, args=[task_id], task_id=task_id, priority=priority_number(priority))


def send_helpers(app: Celery, task_id: str, priority: str, count: int) -> None:
    """Queue `count` helpers of a split job (segments.parallel), at the job's priority. Their
    message ids are their own: the reaper looks for a job's message by the job's id."""
    for _ in range(count):
        app.send_task(CHUNK_TASK_NAME, args=[task_id], priority=priority_number(priority))


def send_storyboard(app: Celery, file_id: str, delay_s: float = 0.0) -> None:
    """Queue a file's storyboard: idempotent, so a duplicate message costs only a check.
    Behind every waiting job (low priority), and not before `delay_s` from now."""
    # Explicit: a message without a priority would go to kombu's 0, the high jobs' list. A
    # countdown is held by the worker that takes it, without holding one of its job slots.
    app.send_task(STORYBOARD_TASK_NAME, args=[file_id], priority=priority_number("low"),
                  countdown=delay_s or None)  # fmt: skip
