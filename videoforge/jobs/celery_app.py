"""The worker's Celery app: the transcode task (a thin adapter over `pipeline.run_job`) and
the worker signals that sweep scratch space and start the reaper.

`create_celery` is given the function that builds an Engine, so this module never imports
the wiring: `videoforge.worker` passes it in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from celery import Celery, Task
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from celery.signals import (
    setup_logging,
    worker_init,
    worker_process_init,
    worker_ready,
    worker_shutdown,
)

from videoforge import orphans, workspace
from videoforge.catalog import SourceCatalog
from videoforge.engine import Engine
from videoforge.errors import TransientError
from videoforge.jobs.broker import celery_client, send_helpers, send_job
from videoforge.jobs.heartbeat import Heartbeat
from videoforge.jobs.names import CHUNK_TASK_NAME, QUEUE, STORYBOARD_TASK_NAME, TASK_NAME
from videoforge.jobs.reaper import Reaper
from videoforge.jobs.store import JobStore
from videoforge.jobs.workers import WorkerRegistry
from videoforge.models import JobState
from videoforge.pipeline import run_job, storyboard_task
from videoforge.runtime import logs
from videoforge.runtime.logs import configure_logging
from videoforge.segments.parallel import help_split
from videoforge.segments.resume import remove_partial
from videoforge.settings import Settings

log = logging.getLogger(__name__)

# Builds the engine of a process from settings, with the executor's own timeout errors.
EngineFactory = Callable[[Settings, tuple[type[BaseException], ...]], Engine]


@dataclass
class WorkerProcess:
    """What one app's worker signals need: its settings, and its engine once built."""

    settings: Settings
    build_engine: EngineFactory
    _engine: Engine | None = None

    app: Celery | None = None

    def engine(self) -> Engine:
        """Built on first use: Redis and S3 clients must not be created before the pool
        forks, so each pool child builds its own. A split job's helpers go through the
        broker, as tasks any worker may take."""
        if self._engine is None:
            engine = self.build_engine(self.settings, (SoftTimeLimitExceeded,))
            app = self.app
            if app is not None:
                jobs = engine.jobs
                engine = replace(engine, ask_helpers=lambda task_id, priority, count:
                                 send_helpers(app, task_id, priority,
                                              useful_helpers(jobs, count)))  # fmt: skip
            self._engine = engine
        return self._engine

    def forget_engine(self) -> None:
        self._engine = None


# The worker state of each app, for the worker signals (which only get the app).
_processes: dict[int, WorkerProcess] = {}
# The heartbeat of each worker (by name) of this process: one, even though worker_ready is
# sent again each time the consumer reconnects.
_heartbeats: dict[str, Heartbeat] = {}


def create_celery(settings: Settings, build_engine: EngineFactory) -> Celery:
    """The worker's app: configured like every broker client, plus the transcode task."""
    app = celery_client(settings)
    process = WorkerProcess(settings, build_engine, app=app)
    _processes[id(app)] = process
    register_task(app, process)
    return app


@worker_process_init.connect
def _reset_after_fork(**_: Any) -> None:
    for process in _processes.values():
        process.forget_engine()
        # A pool child replaces one that may have been SIGKILLed (hard time limit, OOM)
        # before it could remove its scratch dir: the dead child's pid makes it sweepable.
        workspace.sweep_orphans(process.settings.temp_dir)


@setup_logging.connect
def _use_videoforge_logging(**_: Any) -> None:
    # Connecting this stops Celery from installing its own handlers: worker lines then have
    # the same format (text or JSON, with task_id and file_id) as the API's.
    for process in _processes.values():
        configure_logging(process.settings)


@worker_init.connect
def _sweep_scratch(sender: Any = None, **_: Any) -> None:
    # Pools other than prefork never send worker_process_init: sweep once at start too.
    process = _processes.get(id(sender.app))
    if process is not None:
        workspace.sweep_orphans(process.settings.temp_dir)


@worker_ready.connect
def _start_reaper(sender: Any = None, **_: Any) -> None:
    app = sender.app
    process = _processes.get(id(app))
    if process is None:
        return
    settings = process.settings
    engine = process.engine()
    catalog = SourceCatalog(engine.jobs.client)
    _start_heartbeat(sender, engine)
    Reaper(
        engine.jobs,
        QUEUE,
        # A requeued job keeps its priority.
        lambda task_id: send_job(app, task_id, engine.jobs.get(task_id).priority),
        settings.reaper_interval_s,
        settings.lease_ttl_s,
        sweep=lambda: orphans.sweep(engine, catalog),
        sweep_interval_s=settings.orphan_sweep_interval_s,
    ).start()


def _start_heartbeat(consumer: Any, engine: Engine) -> None:
    if consumer.hostname not in _heartbeats:
        heartbeat = Heartbeat(consumer, WorkerRegistry(engine.jobs.client))
        _heartbeats[consumer.hostname] = heartbeat
        heartbeat.start()


@worker_shutdown.connect
def _stop_heartbeats(**_: Any) -> None:
    # Gone from GET /workers at once, rather than when its record expires.
    for heartbeat in _heartbeats.values():
        heartbeat.stop()


def useful_helpers(jobs: JobStore, wanted: int) -> int:
    """How many helpers a split job's items can use: no more than the worker slots taking
    jobs besides the attempt's own, so a long job does not queue hundreds of messages that
    find nothing left. Unknown (Redis away): as many as wanted, each leaves if idle."""
    try:
        slots = sum(w.concurrency for w in WorkerRegistry(jobs.client).live()
                    if w.consuming and not w.draining)  # fmt: skip
    except TransientError:
        return wanted
    return min(wanted, max(1, slots - 1))


def register_task(app: Celery, process: WorkerProcess) -> None:
    """Define the transcode task on `app`."""
    limit_s = process.settings.task_time_limit_s

    def on_failure(_task: Task[Any, Any], exc: Exception, task_id: str, *_: Any) -> None:
        # The hard limit kills the pool child; this runs in the worker's main process. The
        # soft limit, which comes first, normally ends the job already.
        if isinstance(exc, TimeLimitExceeded):
            engine = process.engine()
            engine.jobs.update(
                task_id, state=JobState.FAILURE, error=f"timeout: hard limit of {limit_s} s reached"
            )
            remove_partial(engine.jobs, engine.storage, task_id)

    @app.task(name=CHUNK_TASK_NAME, bind=True, shared=False)
    def chunk(self: Task[Any, Any], task_id: str) -> None:
        with logs.job_context(task_id, ""):
            help_split(process.engine(), task_id, worker=self.request.hostname or "worker")

    @app.task(name=STORYBOARD_TASK_NAME, shared=False)
    def storyboard(file_id: str) -> None:
        storyboard_task(process.engine(), file_id)

    @app.task(name=TASK_NAME, bind=True, max_retries=None, on_failure=on_failure, shared=False)
    def transcode(self: Task[Any, Any], task_id: str) -> None:
        retry = run_job(task_id, process.engine(), worker=self.request.hostname)
        if retry is not None:
            # The record says RETRY until `retry_at`; the reaper requeues it then, on its
            # priority's list (see jobs/reaper.py), so no worker holds it meanwhile.
            log.info("task %s: retry due in %.0f s", task_id, retry.delay_s)
