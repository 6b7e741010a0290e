"""A small typed HTTP client for the videoforge API, used by the `videoforge` client commands.

Every failure, whether the server refused the request or could not be reached, is raised as
one ClientError whose message is a single line fit to show a person.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from videoforge.client.protocol import (
    JSON,
    ByteProgress,
    ClientError,
    ServerEvent,
    absolute_url,
    is_finished,
    one_line,
    parse_sse,
    status_version,
    thumbnail_extension,
)
from videoforge.client.transfers import CountingReader, raise_for_error, save, transport_message

TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# The server probes and stores an upload before it answers; a large one takes a while.
UPLOAD_TIMEOUT = httpx.Timeout(30.0, connect=5.0, read=600.0)
# A quiet event stream still sends a `: ping` comment every 15 s.
EVENTS_TIMEOUT = httpx.Timeout(30.0, connect=5.0, read=60.0)


class _StreamBroken(Exception):
    """Raised when the event stream cannot be opened or stops early; polling takes over."""


class Client:
    """The videoforge API over HTTP: `Client("http://127.0.0.1:8000", api_key=None)`."""

    def __init__(
        self,
        server_url: str,
        api_key: str | None = None,
        transport: httpx.BaseTransport | None = None,
        poll_interval_s: float = 0.5,
    ) -> None:
        if not server_url.startswith(("http://", "https://")):
            raise ClientError(f"the server must be an http:// or https:// URL, not {server_url!r}")
        self.server_url = server_url.rstrip("/")
        self.poll_interval_s = poll_interval_s
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(
            base_url=self.server_url, headers=headers, timeout=TIMEOUT, transport=transport
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def url(self, path: str) -> str:
        """A path from an answer (`stream_url`, `download_url`) as a full URL."""
        return absolute_url(self.server_url, path)

    def upload(self, path: Path, on_bytes: ByteProgress | None = None) -> JSON:
        """Stream a file to POST /videos/upload; `on_bytes` follows the bytes sent."""
        try:
            reader = CountingReader(path, on_bytes)
        except OSError as exc:
            raise ClientError(f"cannot read {path}: {exc.strerror or exc}") from None
        with reader:
            files = {"file": (path.name, reader, "application/octet-stream")}
            return self._json("POST", "/videos/upload", files=files, timeout=UPLOAD_TIMEOUT)

    def upload_resumable(self, path: Path, on_bytes: ByteProgress | None = None) -> JSON:
        """Send a file with tus (resumed after dropped connections); its details."""
        from videoforge.client import resumable

        return self.file(resumable.send(self._http, path, on_bytes))

    def import_url(
        self, url: str, filename: str | None = None, callback: str | None = None
    ) -> JSON:
        """Start the import of a video from `url` (POST /videos/import); the answer names
        the task and the file it will become."""
        body = {
            k: v for k, v in (("url", url), ("filename", filename), ("callback_url", callback)) if v
        }
        return self._json("POST", "/videos/import", json=body)

    def transcode(self, file_id: str, order: JSON) -> JSON:
        """Start a transcode of an uploaded file, as `order` (a `transcode_body`) asks; the
        answer names the task."""
        return self._json("POST", f"/videos/transcode/{_segment(file_id)}", json=order)

    def status(self, task_id: str) -> JSON:
        """A task's status, as GET /videos/task/{task_id} shows it."""
        return self._json("GET", f"/videos/task/{_segment(task_id)}")

    def cancel(self, task_id: str) -> JSON:
        """Cancel a task; the answer is its status afterwards."""
        return self._json("POST", f"/videos/task/{_segment(task_id)}/cancel")

    def files(self, limit: int = 20, offset: int = 0) -> JSON:
        """A page of uploaded files, newest first."""
        return self._json("GET", "/videos", params={"limit": limit, "offset": offset})

    def jobs(self, limit: int = 20, offset: int = 0) -> JSON:
        """A page of the tasks of every file, newest first."""
        return self._json("GET", "/videos/tasks", params={"limit": limit, "offset": offset})

    def presets(self) -> JSON:
        """The latest version of every preset, built-ins first."""
        return self._json("GET", "/presets")

    def webhooks(self, method: str, *segments: str, body: JSON | None = None) -> JSON:
        """A call under /webhooks (endpoints, their deliveries): `segments` join the path."""
        path = "/".join(["/webhooks", *(_segment(part) for part in segments)])
        return self._json(method, path, json=body)

    def delete_webhook(self, endpoint_id: str) -> None:
        """Remove an endpoint (204, no body)."""
        with self._guard():
            response = self._http.delete(f"/webhooks/{_segment(endpoint_id)}")
        raise_for_error(response)

    def workers(self) -> JSON:
        """The live workers: busy or idle, their jobs, whether draining."""
        return self._json("GET", "/workers")

    def drain(self, name: str) -> JSON:
        """Have a worker finish its job and take no new one; the answer is its status."""
        return self._json("POST", f"/workers/{_segment(name)}/drain")

    def resume(self, name: str) -> JSON | None:
        """Let a drained worker take jobs again; None if it is not running now."""
        with self._guard():
            response = self._http.post(f"/workers/{_segment(name)}/resume")
        raise_for_error(response)
        body = response.json()
        return body if isinstance(body, dict) else None

    def file(self, file_id: str) -> JSON:
        """One file's details, with its jobs and finished outputs."""
        return self._json("GET", f"/videos/{_segment(file_id)}")

    def delete(self, file_id: str) -> None:
        """Delete a file with its outputs and jobs (refused while one of its jobs is unfinished)."""
        with self._guard():
            raise_for_error(self._http.delete(f"/videos/{_segment(file_id)}"))

    def events(self, task_id: str) -> Iterator[JSON]:
        """The task's status each time it changes, until it ends: from its event stream, or
        by polling when the stream cannot be had or breaks."""
        last: JSON | None = None
        try:
            for last in self._streamed(task_id):
                yield last
        except _StreamBroken:
            pass
        if not is_finished(last):
            yield from self._polled(task_id, last)

    def download(self, name: str, dest: Path, on_bytes: ByteProgress | None = None) -> Path:
        """Save an output to `dest` (a file, or a folder to put it in); a failed download
        leaves no partial file behind."""
        target = dest / name if dest.is_dir() else dest
        save(self._http, f"/videos/download/{_segment(name)}", target, on_bytes)
        return target

    def thumbnail(
        self, file_id: str, dest: Path, time_s: float | None = None, width: int | None = None
    ) -> JSON:
        """Save a still of an uploaded file to `dest` (a file, or a folder for FILE_ID.jpg),
        as jpg, png or webp by its suffix; taken at `time_s`, `width` wide, when given (the
        server's defaults otherwise). Like a download, a failure leaves no file behind."""
        target = dest / f"{file_id}.jpg" if dest.is_dir() else dest
        path = f"/videos/{_segment(file_id)}/thumbnail.{thumbnail_extension(target)}"
        given = {"time": time_s, "width": width}
        params = {key: value for key, value in given.items() if value is not None}
        content_type = save(self._http, path, target, None, params)
        return {"path": str(target), "bytes": target.stat().st_size, "content_type": content_type}

    def _streamed(self, task_id: str) -> Iterator[JSON]:
        path = f"/videos/task/{_segment(task_id)}/events"
        options: dict[str, Any] = {"headers": {"Accept": "text/event-stream"}}
        try:
            with self._http.stream("GET", path, timeout=EVENTS_TIMEOUT, **options) as response:
                if response.is_error:
                    raise _StreamBroken  # polling reports the error (404 for unknown ids)
                for event in parse_sse(response.iter_lines()):
                    if (body := _event_body(event)) is not None:
                        yield body
        except (httpx.TransportError, ValueError) as exc:
            raise _StreamBroken from exc

    def _polled(self, task_id: str, last: JSON | None) -> Iterator[JSON]:
        shown = status_version(last)
        while True:
            body = self.status(task_id)
            if status_version(body) != shown:
                shown = status_version(body)
                yield body
            if is_finished(body):
                return
            time.sleep(self.poll_interval_s)

    def _json(self, method: str, path: str, **options: Any) -> JSON:
        with self._guard():
            response = self._http.request(method, path, **options)
        raise_for_error(response)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            text = one_line(response.text)[:200]
            raise ClientError(f"unexpected answer from {self.server_url}{path}: {text}")
        return body

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Transport failures, as ClientErrors that name the server."""
        try:
            yield
        except httpx.TransportError as exc:
            raise ClientError(transport_message(self.server_url, exc)) from None


def _segment(value: str) -> str:
    """An id or name made safe as one path segment (a `/` in it cannot reach another route)."""
    return quote(value, safe="")


def _event_body(event: ServerEvent) -> JSON | None:
    """A `status` event's task status; None for other kinds. An `error` event (the task was
    deleted meanwhile) raises its detail."""
    if event.event not in ("status", "error"):
        return None
    body = json.loads(event.data)
    if not isinstance(body, dict):
        raise ValueError(f"an event that is not a JSON object: {event.data[:80]!r}")
    if event.event == "error":
        raise ClientError(one_line(str(body.get("detail", event.data))))
    return body
