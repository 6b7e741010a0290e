"""What the HTTP client needs of httpx beyond requests: a file that reports how much of it an
upload has sent, and transport failures told as one line that names the server."""

from __future__ import annotations

import io
import os
from pathlib import Path

import httpx

from videoforge.client.protocol import ByteProgress, one_line


class CountingReader(io.BufferedReader):
    """A file that reports its reads, so httpx's streamed multipart upload drives a bar."""

    def __init__(self, path: Path, on_bytes: ByteProgress | None) -> None:
        super().__init__(io.FileIO(path, "rb"))
        self.total_bytes = os.fstat(self.fileno()).st_size
        self.sent_bytes = 0
        self._on_bytes = on_bytes

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        self.sent_bytes += len(chunk)
        if self._on_bytes:
            self._on_bytes(self.sent_bytes, self.total_bytes)
        return chunk


def transport_message(server_url: str, exc: httpx.TransportError) -> str:
    """`cannot reach videoforge at URL: connection refused`, and the like for other failures."""
    reason = one_line(str(exc))
    if reason.startswith("[Errno"):  # "[Errno 111] Connection refused"
        reason = reason.partition("] ")[2] or reason
    reason = reason[:1].lower() + reason[1:] or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return f"videoforge at {server_url} did not answer in time ({reason})"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot reach videoforge at {server_url}: {reason}"
    return f"lost the connection to videoforge at {server_url}: {reason}"
