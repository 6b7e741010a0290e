"""A small tus 1.0.0 client for large uploads: create, PATCH in chunks, and after a dropped
connection or a busy server, ask where the server is (HEAD) and go on from there, with
backoff. The server is videoforge's /videos/tus/; the result is the file it became."""

from __future__ import annotations

import base64
import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import httpx

from videoforge.client.protocol import ByteProgress, ClientError, error_message
from videoforge.client.transfers import transport_message

CHUNK_BYTES = 32 * 1024**2  # one PATCH; a dropped one costs at most this much again
READ_BYTES = 1024**2
RETRIES = 8  # in a row without progress
TIMEOUT = httpx.Timeout(30.0, connect=5.0, read=600.0)  # the last PATCH waits for the probe
TUS = {"Tus-Resumable": "1.0.0"}
T = TypeVar("T")


class _Retry(Exception):
    """Raised when a request failed in a way that another try may fix."""


def backoff_s(failures: int) -> float:
    """Seconds to wait after `failures` failed tries in a row: 1, 2, 4 ... up to 30."""
    return float(min(30, 2 ** (failures - 1)))


def send(
    http: httpx.Client,
    path: Path,
    on_bytes: ByteProgress | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Upload `path` with tus, resuming after failures; the file_id it became."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ClientError(f"cannot read {path}: {exc.strerror or exc}") from None
    location = _retrying(lambda: _create(http, path.name, size), sleep, str(http.base_url))
    offset = 0
    failures = 0
    while offset < size:
        try:
            offset = _patch(http, location, path, offset, min(CHUNK_BYTES, size - offset), on_bytes)
            failures = 0
        except _Retry as exc:
            failures += 1
            if failures > RETRIES:
                raise ClientError(f"the upload failed {failures} times in a row: {exc}") from None
            sleep(backoff_s(failures))
            reached = _retrying(lambda: _offset(http, location), sleep, str(http.base_url))
            if reached > offset:  # the dropped PATCH still moved it on: not a dead end
                failures = 0
            offset = reached
    return _outcome(http, location, sleep)


def _retrying(call: Callable[[], T], sleep: Callable[[float], None], server: str) -> T:
    for failures in range(1, RETRIES + 2):
        try:
            return call()
        except _Retry as exc:
            if failures > RETRIES:
                raise ClientError(f"{server} failed {failures} times in a row: {exc}") from None
            sleep(backoff_s(failures))
    raise AssertionError("unreachable")


def _create(http: httpx.Client, name: str, size: int) -> str:
    metadata = ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}"
        for key, value in (("filename", name), ("filetype", "application/octet-stream"))
    )
    headers = {**TUS, "Upload-Length": str(size), "Upload-Metadata": metadata}
    response = _request(http, "POST", "/videos/tus/", headers=headers)
    location = response.headers.get("location")
    if response.status_code != 201 or not location:
        raise ClientError(f"the server did not start a resumable upload ({response.status_code})")
    return str(location)


def _offset(http: httpx.Client, location: str) -> int:
    response = _request(http, "HEAD", location, headers={**TUS, "Cache-Control": "no-store"})
    return int(response.headers["upload-offset"])


def _patch(
    http: httpx.Client,
    location: str,
    path: Path,
    offset: int,
    count: int,
    on_bytes: ByteProgress | None,
) -> int:
    headers = {**TUS, "Upload-Offset": str(offset), "Content-Length": str(count),
               "Content-Type": "application/offset+octet-stream"}  # fmt: skip
    body = _slice(path, offset, count, on_bytes)
    response = _request(http, "PATCH", location, headers=headers, content=body, timeout=TIMEOUT)
    return int(response.headers["upload-offset"])


def _slice(path: Path, offset: int, count: int, on_bytes: ByteProgress | None) -> Iterator[bytes]:
    if count == 0:
        return
    total = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(offset)
        sent = 0
        while sent < count and (chunk := handle.read(min(READ_BYTES, count - sent))):
            sent += len(chunk)
            if on_bytes:
                on_bytes(offset + sent, total)
            yield chunk


def _request(http: httpx.Client, method: str, url: str, **options: object) -> httpx.Response:
    """One tus request; _Retry for transport failures, 409 (another offset), 423 and 5xx."""
    try:
        response = http.request(method, url, **options)  # type: ignore[arg-type]
    except httpx.TransportError as exc:
        raise _Retry(transport_message(str(http.base_url), exc)) from None
    if response.status_code in (409, 423, 429) or response.status_code >= 500:
        raise _Retry(error_message(response.status_code, response.text))
    if response.is_error:
        raise ClientError(error_message(response.status_code, response.text), response.status_code)
    return response


def _outcome(http: httpx.Client, location: str, sleep: Callable[[float], None]) -> str:
    """The file_id the finished upload became; its refusal as a ClientError. A last PATCH
    whose answer was lost, or that met a busy server, is sent again (it has no bytes)."""
    for failures in range(1, RETRIES + 2):
        body = _request(http, "GET", location, headers=TUS).json()
        if body.get("state") == "done" and body.get("file_id"):
            return str(body["file_id"])
        if body.get("state") != "receiving" or failures > RETRIES:
            reason = body.get("error") or f"the upload ended {body.get('state')}"
            raise ClientError(f"the server refused the upload: {reason}")
        sleep(backoff_s(failures))
        with contextlib.suppress(_Retry):  # the next GET tells
            _patch(http, location, Path(), int(body["offset"]), 0, None)
    raise AssertionError("unreachable")
