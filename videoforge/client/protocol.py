"""What the client knows of the API's wire format: the transcode request, a thumbnail's image
type, Server-Sent Events framing, error bodies, server-relative URLs and task states; and
ClientError, the one failure a command reports.
Pure functions over text and dicts: no HTTP library here, so commands load it only to talk."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import PurePath
from typing import Any

from videoforge.models import JobState

JSON = dict[str, Any]
# Called with the bytes moved so far and the total, when it is known.
ByteProgress = Callable[[int, int | None], None]
TERMINAL_STATES = frozenset(state.value for state in JobState if state.is_terminal)
# A saved thumbnail's suffix, as the extension of the route that draws it.
THUMBNAIL_EXTENSIONS = {".jpg": "jpg", ".jpeg": "jpg", ".png": "png", ".webp": "webp"}


class ClientError(Exception):
    """Raised when the server refuses a request or cannot be reached; its message is one
    line fit to show a person."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


@dataclass(frozen=True)
class ServerEvent:
    """One Server-Sent Event: its type and its data lines, joined."""

    event: str
    data: str


def parse_sse(lines: Iterable[str]) -> Iterator[ServerEvent]:
    """Server-Sent Events from a stream's lines; comments and `retry:` lines are skipped."""
    event, data = "message", list[str]()
    for line in lines:
        if not line:  # a blank line ends an event; one without data is dropped (the spec)
            if data:
                yield ServerEvent(event, "\n".join(data))
            event, data = "message", []
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            event = value
        elif field == "data":
            data.append(value)


def transcode_body(
    format: str | None,
    resolution: str | None = None,
    *,
    upscale: bool = False,
    ladder: str | None = None,
    renditions: Sequence[str] = (),
    segment_format: str | None = None,
    start_s: float | None = None,
    end_s: float | None = None,
    preset: str | None = None,
    priority: str | None = None,
    callback_url: str | None = None,
) -> JSON:
    """The body of POST /videos/transcode/{file_id}, with only the fields given: the server
    applies its defaults and judges the combinations (a 422 says what is wrong). With a
    preset, upscale is sent only when asked for, so the preset's own holds."""
    given = {
        "preset": preset,
        "format": format,
        "resolution": resolution,
        "ladder": ladder,
        "renditions": list(renditions) or None,
        "segment_format": segment_format,
        "start_s": start_s,
        "end_s": end_s,
        "priority": priority,
        "callback_url": callback_url,
    }
    body = {field: value for field, value in given.items() if value is not None}
    return body | ({"upscale": upscale} if upscale or preset is None else {})


def thumbnail_extension(path: PurePath) -> str:
    """The image type to ask for, from the suffix of the file to save: jpg (also for no
    suffix), png or webp."""
    if not path.suffix:
        return "jpg"
    try:
        return THUMBNAIL_EXTENSIONS[path.suffix.lower()]
    except KeyError:
        raise ClientError(
            f"cannot save a thumbnail as {path.suffix}: name the file .jpg, .png or .webp"
        ) from None


def one_line(text: str) -> str:
    """`text` with every run of whitespace (newlines included) made one space."""
    return " ".join(text.split())


def error_message(status_code: int, body: str) -> str:
    """The one-line message of an error answer: its `detail` when it has one."""
    try:
        detail = json.loads(body)["detail"]
    except (ValueError, KeyError, TypeError):
        detail = None
    if isinstance(detail, list):  # FastAPI's own validation errors: [{"loc": .., "msg": ..}]
        detail = "; ".join(str(item.get("msg")) for item in detail if isinstance(item, dict))
    if isinstance(detail, str) and detail.strip():
        return one_line(detail)
    summary = one_line(body)[:200] or _reason_phrase(status_code)
    return f"HTTP {status_code}: {summary}"


def absolute_url(server_url: str, path: str) -> str:
    """A server-relative path from an answer (`/videos/stream/...?exp=..`) as a full URL."""
    if path.startswith(("http://", "https://")):
        return path  # presigned S3 URLs are absolute already
    # Joined, not urljoin'ed: a server URL with a path prefix (behind a proxy) keeps it.
    return f"{server_url.rstrip('/')}/{path.lstrip('/')}"


def status_version(body: JSON | None) -> tuple[object, object]:
    """What tells two answers about a task apart: its state and when it was last written."""
    return (body or {}).get("state"), (body or {}).get("updated_at")


def is_finished(body: JSON | None) -> bool:
    """Whether a task status is terminal: SUCCESS, FAILURE or REVOKED."""
    return (body or {}).get("state") in TERMINAL_STATES


def _reason_phrase(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return ""
