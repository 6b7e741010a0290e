"""`videoforge serve`: the whole system on one machine (Valkey if needed, a worker, the API)."""

from __future__ import annotations

import gc
import logging
import os
import signal
import subprocess
import sys
import threading
from typing import Any

import uvicorn

from videoforge import workspace
from videoforge.http.app import create_app
from videoforge.runtime.processes import dying_with_parent, stop_group
from videoforge.runtime.valkey import EmbeddedValkey
from videoforge.runtime.wiring import build_services, find_binaries
from videoforge.settings import ExecutorKind, Settings

log = logging.getLogger(__name__)

# Allocations between collections of the youngest generation (CPython's default: 700).
# A request allocates a few hundred containers, nearly all freed by reference counting.
GC_YOUNG_THRESHOLD = 10_000

WORKER_STOP_GRACE_S = 30.0


def worker_argv(settings: Settings, extra: list[str] | None = None) -> list[str]:
    """The Celery worker command, the same one production runs."""
    return [
        sys.executable, "-m", "celery", "-A", "videoforge.worker", "worker",
        "--loglevel", settings.log_level, "--concurrency", str(settings.worker_concurrency),
        *(extra or []),
    ]  # fmt: skip


def worker_env(settings: Settings) -> dict[str, str]:
    """The worker's environment: ours, with the Redis URL and SIGTERM meaning cold shutdown.

    Celery's default SIGTERM is a warm shutdown: it waits for running jobs, which can take an
    hour. Remapped to SIGQUIT (cold shutdown), running jobs are cancelled, ffmpeg is killed,
    and their messages go back to the queue at once (acks_late) for another worker.
    """
    return {**os.environ, "REDIS_URL": settings.redis_url or "", "REMAP_SIGTERM": "SIGQUIT"}


def start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    """Start the worker child: its own process group, killed by the kernel if we die."""
    env = worker_env(settings)
    argv, preexec = dying_with_parent(worker_argv(settings, ["--hostname", "serve@%h"]))
    # Own process group: a terminal's Ctrl-C reaches only us, and we stop the worker in order.
    return subprocess.Popen(argv, env=env, start_new_session=True, preexec_fn=preexec)


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    """Cold-stop the worker, SIGKILL after a grace period."""
    # SIGQUIT is Celery's cold shutdown: running jobs are cancelled (ffmpeg dies with its
    # pool child) and, with acks_late, their messages go back to the queue for next time.
    log.info("stopping worker")
    stop_group(worker, signal.SIGQUIT, grace_s=WORKER_STOP_GRACE_S)


class WorkerSupervisor:
    """Keeps one worker child running, restarting it (with backoff) if it dies.

    The worker is started and stopped on the supervisor's own thread: PR_SET_PDEATHSIG fires
    when the *thread* that forked the child ends, so that thread must outlive the worker.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._supervise, name="worker-supervisor")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()

    def _supervise(self) -> None:
        worker = start_worker(self.settings)
        backoff_s = 1.0
        while not self._stopping.wait(0.5):
            if worker.poll() is None:
                continue
            log.error("worker exited (code %s); restarting in %.0f s", worker.returncode, backoff_s)
            if self._stopping.wait(backoff_s):
                return
            workspace.sweep_orphans(self.settings.temp_dir)
            worker = start_worker(self.settings)
            backoff_s = min(30.0, backoff_s * 2)
        stop_worker(worker)


def serve(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM, then stop the API, the worker and Valkey, in that order."""
    find_binaries(settings)
    workspace.sweep_orphans(settings.temp_dir)
    valkey: EmbeddedValkey | None = None
    worker: WorkerSupervisor | None = None
    try:
        if not settings.redis_url:
            valkey = EmbeddedValkey(settings.data_dir / "valkey")
            settings = settings.model_copy(update={"redis_url": valkey.start()})
        if settings.videoforge_executor is ExecutorKind.CELERY:
            worker = WorkerSupervisor(settings)
            worker.start()
        run_api(settings)
    finally:
        if worker is not None:
            worker.stop()
            workspace.sweep_orphans(settings.temp_dir)
        if valkey is not None:
            valkey.stop()
        log.info("stopped")


def _note_signal(signum: int, _frame: object) -> None:
    log.info("received %s", signal.Signals(signum).name)


def run_api(settings: Settings) -> None:
    """Serve the API with uvicorn until SIGINT or SIGTERM."""
    # uvicorn re-raises the signal that stopped it once it has shut down; with the default
    # disposition that would kill this process before it stops the worker and Valkey.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _note_signal)
    # Built before serving so a configuration error is one line, not a lifespan traceback.
    app = create_app(settings, build_services(settings))
    settle_heap()
    uvicorn.Server(uvicorn_config(app, settings.host, settings.port)).run()


def settle_heap() -> None:
    """Keep the cyclic garbage collector off the start-up heap. Once the app is built, the
    process holds about 100,000 long-lived objects (FastAPI, pydantic, Celery), and every
    older-generation pass walked them all while requests waited: at 64 busy connections
    on the status route, 2,100 req/s with p99 100 ms; frozen, with a larger youngest
    generation, 3,600 req/s with p99 27 ms."""
    gc.collect()
    gc.freeze()  # what exists now is never collected again: it lives as long as the process
    gc.set_threshold(GC_YOUNG_THRESHOLD, 10, 10)


def uvicorn_config(app: Any, host: str, port: int) -> uvicorn.Config:
    """How the API is served (bench/bare_app.py serves its baseline the same way)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,  # runtime.logs set logging up
        timeout_graceful_shutdown=5,
        # asyncio's own loop, not uvloop: under 64 busy connections uvloop served about as
        # many requests but left some waiting: p99 150 ms and a 370 ms worst against
        # asyncio's 13 and 16 ms, measured on a bare ASGI app spending 150 µs a request.
        loop="asyncio",
    )
