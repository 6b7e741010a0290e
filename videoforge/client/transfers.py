"""What the HTTP client needs of httpx beyond requests: a file that reports how much of it an
upload has sent, downloads saved all or nothing, and failures told as one line (a transport
failure names the server)."""

from __future__ import annotations

import io
import os
import secrets
from pathlib import Path
from typing import Any

import httpx

from videoforge.client.protocol import JSON, ByteProgress, ClientError, error_message, one_line

DOWNLOAD_CHUNK_BYTES = 256 * 1024


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


def raise_for_error(response: httpx.Response) -> None:
    """A 4xx or 5xx answer, as a ClientError with the server's own words."""
    if response.is_error:
        response.read()
        raise ClientError(error_message(response.status_code, response.text), response.status_code)


def save(
    http: httpx.Client,
    path: str,
    target: Path,
    on_bytes: ByteProgress | None,
    params: JSON | None = None,
) -> str:
    """GET `path` into `target`, all or nothing (a failure leaves no partial file); the
    answer's content type."""
    partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        content_type = _download_to(http, path, params, partial, on_bytes)
        partial.replace(target)
    except OSError as exc:
        raise ClientError(f"cannot write {target}: {exc.strerror or exc}") from None
    except httpx.TransportError as exc:
        raise ClientError(transport_message(str(http.base_url).rstrip("/"), exc)) from None
    finally:
        partial.unlink(missing_ok=True)
    return content_type


def _download_to(
    http: httpx.Client, path: str, params: JSON | None, partial: Path, on_bytes: ByteProgress | None
) -> str:
    # Redirects are followed: with PRESIGNED_REDIRECTS the bytes come from S3 directly.
    options: dict[str, Any] = {"params": params, "follow_redirects": True}
    with http.stream("GET", path, **options) as response:
        raise_for_error(response)
        length = response.headers.get("content-length")
        total_bytes = int(length) if length and length.isdigit() else None
        received_bytes = 0
        with partial.open("xb") as out:
            for chunk in response.iter_bytes(DOWNLOAD_CHUNK_BYTES):
                out.write(chunk)
                received_bytes += len(chunk)
                if on_bytes:
                    on_bytes(received_bytes, total_bytes)
        return str(response.headers.get("content-type", ""))
