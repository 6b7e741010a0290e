"""In-process executor (VIDEOFORGE_EXECUTOR=inline): the same pipeline on a bounded thread pool."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from videoforge import workspace
from videoforge.pipeline import Engine, run_job

log = logging.getLogger(__name__)


class InlineExecutor:
    """Runs jobs on `concurrency` threads of the API process; retries wait on a timer."""

    def __init__(self, engine: Engine, concurrency: int) -> None:
        self.engine = engine
        workspace.sweep_orphans(engine.settings.temp_dir)
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="transcode")
        self._timers: set[threading.Timer] = set()

    def submit(self, task_id: str) -> None:
        self.pool.submit(self._run, task_id)

    def _run(self, task_id: str) -> None:
        try:
            retry = run_job(task_id, self.engine)
        except Exception:
            log.exception("task %s could not be run", task_id)
            return
        if retry is not None:
            timer = threading.Timer(retry.delay_s, self._resubmit, args=(task_id,))
            timer.daemon = True
            self._timers.add(timer)
            timer.start()

    def _resubmit(self, task_id: str) -> None:
        self._timers = {t for t in self._timers if t.is_alive()}
        self.submit(task_id)

    def has_live_worker(self) -> bool:
        return True

    def close(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self.pool.shutdown(wait=False, cancel_futures=True)
