"""In-process executor (VIDEOFORGE_EXECUTOR=inline): the same pipeline on a bounded thread pool."""

from __future__ import annotations

import heapq
import itertools
import logging
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from videoforge import workspace
from videoforge.engine import Engine
from videoforge.errors import VideoforgeError
from videoforge.jobs.lease import Interrupted
from videoforge.models import PRIORITIES
from videoforge.pipeline import run_job, storyboard_task
from videoforge.segments.parallel import help_split

log = logging.getLogger(__name__)


class InlineExecutor:
    """Runs jobs on `concurrency` threads of the API process; retries wait on a timer.

    Queued jobs wait in a heap: each pool thread, when it frees up, takes the waiting job of
    the highest priority (FIFO within one), as workers do from the broker's lists.

    Nothing else runs these jobs, so on start it takes up every unfinished job in the store
    (queued or interrupted by the last shutdown). Meant for one API process per Redis.
    """

    def __init__(self, engine: Engine, concurrency: int) -> None:
        # A split job's helpers run on this pool too (at most one per other thread).
        self.engine = replace(engine, ask_helpers=self._help)
        self.concurrency = concurrency
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="transcode")
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._timers: set[threading.Timer] = set()
        self._waiting: list[tuple[int, int, str, bool]] = []  # (rank, arrival, task_id, helper)
        self._arrivals = itertools.count()
        self.name = f"inline@{socket.gethostname()}"
        workspace.sweep_orphans(engine.settings.temp_dir)
        for task_id in engine.jobs.active_task_ids():
            self.submit(task_id, self._priority_of(task_id))

    def submit(self, task_id: str, priority: str = "normal", helper: bool = False) -> None:
        """Queue a job (or, `helper`, a split job's helper: it waits its turn like the job,
        so a later higher-priority job starts before it)."""
        with self._lock:
            if not self._stop.is_set():
                rank = PRIORITIES.index(priority) if priority in PRIORITIES else 1
                heapq.heappush(self._waiting, (rank, next(self._arrivals), task_id, helper))
                # Each pool run takes the best waiting job at the time it starts.
                self.pool.submit(self._run_next)

    def queue_position(self, task_id: str, priority: str) -> int | None:
        with self._lock:
            waiting = sorted(self._waiting)
        places = [place for place, (_, _, queued, helper) in enumerate(waiting, 1)
                  if queued == task_id and not helper]  # fmt: skip
        return places[0] if places else None

    def _priority_of(self, task_id: str) -> str:
        try:
            return str(self.engine.jobs.get(task_id).priority)
        except VideoforgeError:
            return "normal"

    def _run_next(self) -> None:
        with self._lock:
            if not self._waiting:
                return
            _, _, task_id, helper = heapq.heappop(self._waiting)
        if helper:
            self._run_helper(task_id)
        else:
            self._run(task_id)

    def _run(self, task_id: str) -> None:
        try:
            retry = run_job(task_id, self.engine, stop=self._stop, worker=self.name)
        except Interrupted:
            return
        except Exception:
            log.exception("task %s could not be run", task_id)
            return
        if retry is not None:
            self._later(retry.delay_s, lambda: self.submit(task_id, self._priority_of(task_id)))

    def _later(self, delay_s: float, call: Callable[[], None]) -> None:
        """Call `call` on a timer thread after `delay_s`; close() cancels what is pending."""

        def fire() -> None:
            with self._lock:
                self._timers = {t for t in self._timers if t.is_alive()}
            call()

        timer = threading.Timer(delay_s, fire)
        timer.daemon = True
        with self._lock:
            self._timers.add(timer)
        timer.start()

    def _help(self, task_id: str, priority: str, count: int) -> None:
        for _ in range(min(count, self.concurrency - 1)):  # the attempt holds one thread
            self.submit(task_id, priority, helper=True)

    def _run_helper(self, task_id: str) -> None:
        try:
            help_split(self.engine, task_id, self.name, self._stop)
        except Exception:
            log.exception("task %s: a helper failed; the job's attempt takes its items", task_id)

    def make_storyboard(self, file_id: str, delay_s: float = 0.0) -> None:
        if delay_s > 0:
            self._later(delay_s, lambda: self.make_storyboard(file_id))
            return
        with self._lock:
            if not self._stop.is_set():
                self.pool.submit(storyboard_task, self.engine, file_id)

    def has_live_worker(self) -> bool:
        return not self._stop.is_set()

    def close(self) -> None:
        """Interrupt running jobs (their ffmpeg is killed within about half a second) and wait
        for the threads; unfinished jobs stay in the store for the next start."""
        with self._lock:
            self._stop.set()
            for timer in self._timers:
                timer.cancel()
        self.pool.shutdown(wait=True, cancel_futures=True)
