"""The change feed as event streams follow it: one thread per API process reads the events
stream (XREAD BLOCK) and wakes the streams of the jobs it names, so a stream sends a change
as soon as it is written instead of polling the record. Any job starting wakes every stream
(queue positions move). If the feed cannot be read, streams still look every FALLBACK_S."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import redis

from videoforge.jobs.names import EVENTS_KEY
from videoforge.jobs.records import decoded

log = logging.getLogger(__name__)

READ_BLOCK_MS = 1000
FALLBACK_S = 5.0  # a stream's own look at its job when nothing woke it


class ChangeFeed:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self.waiters: defaultdict[str, set[asyncio.Event]] = defaultdict(set)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._thread = threading.Thread(target=self._read, name="change-feed", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self._thread:
            self._thread.join(timeout=READ_BLOCK_MS / 1000 + 10)

    @contextlib.asynccontextmanager
    async def watching(self, subject: str) -> AsyncIterator[asyncio.Event]:
        """An asyncio.Event set whenever `subject` (or the queue) changes; clear it before
        each read of the record, so no change between the read and the wait is missed."""
        changed = asyncio.Event()
        with self.lock:
            self.waiters[subject].add(changed)
        try:
            yield changed
        finally:
            with self.lock:
                self.waiters[subject].discard(changed)
                if not self.waiters[subject]:
                    del self.waiters[subject]

    def _read(self) -> None:
        last = "$"  # only what is written from now on
        while not self.stopping.is_set():
            try:
                reply: Any = self.client.xread({EVENTS_KEY: last}, block=READ_BLOCK_MS, count=500)
            except redis.RedisError as exc:  # Redis restarting: streams fall back to looking
                log.debug("change feed: %s", exc)
                self.stopping.wait(1.0)
                continue
            for _, entries in reply or []:
                for entry_id, fields in entries:
                    last = decoded(entry_id)
                    kind = decoded(fields.get(b"type", b"")) if fields else ""
                    self._wake(decoded(fields.get(b"subject", b"")) if fields else "", kind)

    def _wake(self, subject: str, kind: str) -> None:
        with self.lock:
            if kind == "job.started":
                woken = [w for group in self.waiters.values() for w in group]
            else:
                woken = list(self.waiters.get(subject, ()))
        if woken and self.loop is not None:
            for waiter in woken:
                self.loop.call_soon_threadsafe(waiter.set)


async def until_changed(changed: asyncio.Event) -> None:
    """Wait for a wake-up, or FALLBACK_S."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(changed.wait(), FALLBACK_S)
