"""A Storage wrapper that rides out short outages: transient failures are retried with
backoff until a time budget is spent, so a storage blip costs seconds, not a whole transcode."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from videoforge.errors import TransientError
from videoforge.storage import Storage

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_DELAY_S = 10.0


class RetryingStorage:
    """Same port as the wrapped storage; `check` is not retried (readiness must answer fast)."""

    def __init__(self, inner: Storage, budget_s: float) -> None:
        self.inner = inner
        self.budget_s = budget_s

    def _retry(self, what: str, call: Callable[[], T]) -> T:
        deadline = time.monotonic() + self.budget_s
        delay_s = 0.5
        while True:
            try:
                return call()
            except TransientError as exc:
                if time.monotonic() + delay_s > deadline:
                    raise
                log.warning("%s failed (%s); retrying in %.1f s", what, exc.message, delay_s)
                time.sleep(delay_s)
                delay_s = min(MAX_DELAY_S, delay_s * 2)

    def put_file(self, key: str, path: Path) -> None:
        self._retry(f"storing {key}", lambda: self.inner.put_file(key, path))

    def put_bytes(self, key: str, data: bytes) -> None:
        self._retry(f"storing {key}", lambda: self.inner.put_bytes(key, data))

    def fetch_file(self, key: str, dest: Path) -> None:
        self._retry(f"fetching {key}", lambda: self.inner.fetch_file(key, dest))

    def size(self, key: str) -> int:
        return self._retry(f"reading {key}", lambda: self.inner.size(key))

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        return self._retry(f"reading {key}", lambda: self.inner.read(key, start, end))

    def delete(self, key: str) -> None:
        self._retry(f"deleting {key}", lambda: self.inner.delete(key))

    def list_keys(self, prefix: str) -> Iterator[tuple[str, float]]:
        # Pages are read as the caller goes; a sweep that meets an outage tries next round.
        return self.inner.list_keys(prefix)

    def check(self) -> None:
        self.inner.check()

    def presigned_url(
        self, key: str, expires_s: int, disposition: str | None = None, internal: bool = False
    ) -> str:
        return self.inner.presigned_url(key, expires_s, disposition, internal)

    def local_path(self, key: str) -> Path | None:
        return self.inner.local_path(key)
