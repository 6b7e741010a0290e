"""A Storage wrapper for the API: at most `slots` storage calls at once in the process, and
past that an immediate 503 instead of a queue. During a storage outage each call can block
for its timeout; bounded, they hold a few of the API's threads, and routes that never touch
storage (status, listings, health) keep answering on the rest."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from videoforge.errors import TransientError
from videoforge.storage import Storage

T = TypeVar("T")


class BoundedStorage:
    """Same port as the wrapped storage; `presigned_url` and `local_path` are local work and
    not counted."""

    def __init__(self, inner: Storage, slots: int, wait_s: float = 0.5) -> None:
        self.inner = inner
        self.wait_s = wait_s
        self._slots = threading.BoundedSemaphore(slots)

    @contextmanager
    def _slot(self) -> Iterator[None]:
        if not self._slots.acquire(timeout=self.wait_s):
            raise TransientError("storage is busy or unavailable, try again shortly")
        try:
            yield
        finally:
            self._slots.release()

    def _call(self, call: Callable[[], T]) -> T:
        with self._slot():
            return call()

    def put_file(self, key: str, path: Path) -> None:
        self._call(lambda: self.inner.put_file(key, path))

    def put_bytes(self, key: str, data: bytes) -> None:
        self._call(lambda: self.inner.put_bytes(key, data))

    def fetch_file(self, key: str, dest: Path) -> None:
        self._call(lambda: self.inner.fetch_file(key, dest))

    def size(self, key: str) -> int:
        return self._call(lambda: self.inner.size(key))

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        chunks = iter(self._call(lambda: self.inner.read(key, start, end)))
        return self._each_in_a_slot(chunks)

    def _each_in_a_slot(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        # A slot per chunk, not per stream: a long download holds none between its reads.
        while True:
            with self._slot():
                chunk = next(chunks, None)
            if chunk is None:
                return
            yield chunk

    def delete(self, key: str) -> None:
        self._call(lambda: self.inner.delete(key))

    def list_keys(self, prefix: str) -> Iterator[tuple[str, float]]:
        return self.inner.list_keys(prefix)

    def check(self) -> None:
        self._call(self.inner.check)

    def presigned_url(
        self, key: str, expires_s: int, disposition: str | None = None, internal: bool = False
    ) -> str:
        return self.inner.presigned_url(key, expires_s, disposition, internal)

    def local_path(self, key: str) -> Path | None:
        return self.inner.local_path(key)
