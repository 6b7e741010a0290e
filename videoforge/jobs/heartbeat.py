"""A worker's heartbeat: its record in the worker registry (see jobs/workers.py), and its
drain flag applied.

A thread of the worker's main process writes the record every HEARTBEAT_S: what it runs is
read from Celery's own bookkeeping there (`active_requests`, kept by the main process for
every pool), so a pool child that was killed mid-job cannot leave a stale "busy" behind, as
writes from task_prerun/task_postrun in the children could. The cost is that busy and idle
show up to HEARTBEAT_S late.

When the drain flag and what the consumer does disagree, the thread has the consumer cancel
(or resume) its queue on the worker's event loop (`call_soon`, thread-safe, as Celery's own
cancel_consumer and add_consumer commands do). With acks_late, the running job is unaffected
and finishes; the worker just asks the broker for no more. At start, a flag left set is
applied before the first message is asked for, so a drained worker stays drained across a
restart.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

import redis
from celery.worker import state as worker_state

from videoforge.errors import TransientError
from videoforge.jobs.names import QUEUE, TASK_NAME
from videoforge.jobs.workers import HEARTBEAT_S, WorkerInfo, WorkerRegistry

log = logging.getLogger(__name__)


class Heartbeat:
    """Keeps one worker's record fresh and its consumer in line with its drain flag."""

    def __init__(self, consumer: Any, registry: WorkerRegistry, queue: str = QUEUE) -> None:
        self.consumer, self.registry, self.queue = consumer, registry, queue
        self.name: str = consumer.hostname
        self.started_at = time.time()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="heartbeat", daemon=True)

    def start(self) -> None:
        """Apply a drain left from before (on the calling thread: the event loop's, before
        it asks for a message), then beat on a thread of its own."""
        try:
            if self.registry.drain_requested(self.name):
                log.info("worker %s is drained: taking no new job", self.name)
                self.consumer.cancel_task_queue(self.queue)
        except redis.RedisError as exc:
            log.warning("could not read the drain flag yet: %s", exc)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():  # a beat under way would write the record back after us
            self._thread.join(timeout=HEARTBEAT_S + 5)
        try:
            self.registry.leave(self.name)
        except redis.RedisError as exc:
            log.debug("worker record left to expire: %s", exc)

    def _loop(self) -> None:
        while True:
            try:
                self.beat()
            except (TransientError, redis.RedisError) as exc:
                log.warning("heartbeat skipped: %s", exc)
            except Exception:
                log.exception("heartbeat failed")
            if self._stop.wait(HEARTBEAT_S):
                return

    def beat(self) -> None:
        """Apply the drain flag if the consumer does otherwise, then write the record."""
        draining = self.registry.drain_requested(self.name)
        consuming = self._consuming()
        if consuming is not None and consuming == draining:
            action = self.consumer.cancel_task_queue if draining else self.consumer.add_task_queue
            log.info("worker %s: %s", self.name, "draining" if draining else "resuming")
            self.consumer.call_soon(action, self.queue)
        requests = _active_requests()
        self.registry.beat(
            WorkerInfo(
                name=self.name,
                host=socket.gethostname(),
                pid=os.getpid(),
                concurrency=int(getattr(self.consumer.pool, "num_processes", 0) or 0),
                tasks=sorted(r.id for r in requests if r.name == TASK_NAME),
                busy=bool(requests),
                consuming=bool(consuming),
                draining=draining,
                started_at=self.started_at,
            )
        )

    def _consuming(self) -> bool | None:
        """Whether the consumer takes messages from the queue; None while it reconnects."""
        tasks = self.consumer.task_consumer
        if tasks is None:
            return None
        return bool(tasks.consuming_from(self.queue))


def _active_requests() -> list[Any]:
    # The main loop adds to this set while we read it: copy, and try again if it changed.
    for _ in range(5):
        try:
            return list(worker_state.active_requests)
        except RuntimeError:
            continue
    return []
