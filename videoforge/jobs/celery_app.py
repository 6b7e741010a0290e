"""The Celery app and its one task, a thin adapter over `pipeline.run_job`."""

from __future__ import annotations

import functools
import logging
from typing import Any

from celery import Celery, Task
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from celery.signals import setup_logging, worker_init, worker_process_init, worker_ready

from videoforge import workspace
from videoforge.jobs.reaper import Reaper
from videoforge.models import JobState
from videoforge.pipeline import Engine, run_job
from videoforge.settings import Settings

log = logging.getLogger(__name__)

TASK_NAME = "videoforge.transcode"
QUEUE = "videoforge"


def broker_transport_options(settings: Settings) -> dict[str, Any]:
    """The options every broker client (API, workers, Flower) must share.

    kombu redelivers an unacked message after `visibility_timeout`, and the shortest value
    among all clients wins (celery #7651), so it is set everywhere from one place.
    """
    return {"visibility_timeout": settings.visibility_timeout_s}


def create_celery(settings: Settings) -> Celery:
    """A Celery app configured from settings; used by the API (to send) and workers (to run)."""
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
        task_time_limit=settings.task_time_limit,
        task_soft_time_limit=settings.task_soft_time_limit,
        worker_send_task_events=True,
        task_send_sent_event=True,
        task_serializer="json",
        accept_content=["json"],
    )
    register_task(app, settings)
    return app


@functools.cache
def _engine(settings: Settings) -> Engine:
    """The engine of this process, built on first use: Redis and S3 clients must not be
    created before the pool forks, so each pool child builds its own."""
    from videoforge import wiring

    return wiring.build_engine(settings, timeout_errors=(SoftTimeLimitExceeded,))


@worker_process_init.connect
def _reset_after_fork(**_: Any) -> None:
    _engine.cache_clear()
    # A pool child replaces one that may have been SIGKILLed (hard time limit, OOM) before
    # it could remove its scratch dir: the dead child's pid makes the dir sweepable.
    for settings in _settings_of_app.values():
        workspace.sweep_orphans(settings.temp_dir)


# The settings each app was made with, for the worker signals (which only get the app).
_settings_of_app: dict[int, Settings] = {}


@setup_logging.connect
def _use_videoforge_logging(**_: Any) -> None:
    # Connecting this stops Celery from installing its own handlers: worker lines then have
    # the same format (text or JSON, with task_id and file_id) as the API's.
    from videoforge import wiring
    from videoforge.logs import configure_logging

    configure_logging(wiring.load_settings())


@worker_init.connect
def _sweep_scratch(sender: Any = None, **_: Any) -> None:
    # Pools other than prefork never send worker_process_init: sweep once at start too.
    settings = _settings_of_app.get(id(sender.app))
    if settings is not None:
        workspace.sweep_orphans(settings.temp_dir)


@worker_ready.connect
def _start_reaper(sender: Any = None, **_: Any) -> None:
    app = sender.app
    settings = _settings_of_app.get(id(app))
    if settings is None:
        return
    engine = _engine(settings)

    def republish(task_id: str) -> None:
        app.send_task(TASK_NAME, args=[task_id], task_id=task_id)

    Reaper(engine.jobs, QUEUE, republish, settings.reaper_interval_s, settings.lease_ttl_s).start()


def register_task(app: Celery, settings: Settings) -> None:
    """Define the transcode task on `app`."""
    _settings_of_app[id(app)] = settings

    def on_failure(_task: Task[Any, Any], exc: Exception, task_id: str, *_: Any) -> None:
        # The hard limit kills the pool child; this runs in the worker's main process. The
        # soft limit, which comes first, normally ends the job already.
        if isinstance(exc, TimeLimitExceeded):
            _engine(settings).jobs.update(
                task_id, state=JobState.FAILURE, error=f"timeout: hard limit of "
                f"{settings.task_time_limit} s reached",
            )  # fmt: skip

    @app.task(name=TASK_NAME, bind=True, max_retries=None, on_failure=on_failure, shared=False)
    def transcode(self: Task[Any, Any], task_id: str) -> None:
        retry = run_job(task_id, _engine(settings), worker=self.request.hostname)
        if retry is not None:
            # The attempt count lives in the job record; Celery only schedules the retry.
            raise self.retry(countdown=retry.delay_s)
