"""The client of the `videoforge` commands: wire format (pure), and its HTTP behaviour over
httpx.MockTransport: errors as one line, the event stream and its polling fallback,
streamed uploads and all-or-nothing downloads."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console

from videoforge.client import render
from videoforge.client.api import Client, transport_message
from videoforge.client.protocol import (
    ClientError,
    ServerEvent,
    absolute_url,
    error_message,
    is_finished,
    parse_sse,
)

SERVER = "http://vf.test:8000"
Handler = Callable[[httpx.Request], httpx.Response]


def task(state: str, updated_at: float, **extra: Any) -> dict[str, Any]:
    return {"task_id": "t1", "state": state, "updated_at": updated_at, **extra}


def sse(*events: dict[str, Any], kind: str = "status") -> bytes:
    """An event stream as the server writes it, with a ping and retry lines."""
    parts = [": ping\n\n"]
    parts += [f"event: {kind}\ndata: {json.dumps(e)}\nretry: 2000\n\n" for e in events]
    return "".join(parts).encode()


def client_for(handler: Handler, api_key: str | None = None) -> Client:
    return Client(SERVER, api_key, transport=httpx.MockTransport(handler), poll_interval_s=0)


class BrokenStream(httpx.SyncByteStream):
    """A response body that sends `head`, then fails as a dropped connection does."""

    def __init__(self, head: bytes) -> None:
        self.head = head

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        raise httpx.ReadError("connection reset by peer")


# --- wire format (pure) ---


def test_sse_events_skip_comments_and_retry_lines() -> None:
    lines = sse(task("PENDING", 1), task("SUCCESS", 2)).decode().split("\n")
    events = list(parse_sse(lines))
    assert [e.event for e in events] == ["status", "status"]
    assert [json.loads(e.data)["state"] for e in events] == ["PENDING", "SUCCESS"]


def test_sse_joins_data_lines_and_drops_an_unfinished_event() -> None:
    lines = ["data:a", "data: b", "", "event: status", "data: cut off"]
    assert list(parse_sse(lines)) == [ServerEvent("message", "a\nb")]


def test_sse_blank_lines_without_data_dispatch_nothing() -> None:
    assert list(parse_sse(["", ": ping", "", "retry: 10", "event: x", ""])) == []


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (404, '{"detail":"no task abc"}', "no task abc"),
        (
            415,
            '{"detail":"not a video:\\n  moov atom not found"}',
            "not a video: moov atom not found",
        ),
        (422, '{"detail":[{"loc":["q"],"msg":"too big"},{"msg":"odd"}]}', "too big; odd"),
        (
            502,
            "<html>\n<h1>Bad Gateway</h1></html>",
            "HTTP 502: <html> <h1>Bad Gateway</h1></html>",
        ),
        (503, "", "HTTP 503: Service Unavailable"),
        (500, '{"error":"x"}', 'HTTP 500: {"error":"x"}'),
    ],
)
def test_error_message_is_the_detail_on_one_line(status: int, body: str, message: str) -> None:
    assert error_message(status, body) == message


def test_transport_messages_name_the_server_and_the_reason() -> None:
    refused = httpx.ConnectError("[Errno 111] Connection refused")
    assert transport_message(SERVER, refused) == (
        f"cannot reach videoforge at {SERVER}: connection refused"
    )
    slow = transport_message(SERVER, httpx.ReadTimeout("timed out"))
    assert slow == f"videoforge at {SERVER} did not answer in time (timed out)"
    reset = transport_message(SERVER, httpx.RemoteProtocolError("Server disconnected"))
    assert reset == f"lost the connection to videoforge at {SERVER}: server disconnected"


@pytest.mark.parametrize(
    ("server", "path", "url"),
    [
        ("http://h:8000", "/videos/stream/a.mp4", "http://h:8000/videos/stream/a.mp4"),
        ("http://h:8000/", "/videos/stream/a.m3u8?exp=1&sig=x", "http://h:8000/videos/stream/a.m3u8?exp=1&sig=x"),
        ("https://h/vf", "/videos/download/a.mp4", "https://h/vf/videos/download/a.mp4"),
        ("http://h", "https://s3.test/b/a.mp4?X-Amz=1", "https://s3.test/b/a.mp4?X-Amz=1"),
    ],
)  # fmt: skip
def test_absolute_url(server: str, path: str, url: str) -> None:
    assert absolute_url(server, path) == url


def test_terminal_states() -> None:
    assert [is_finished({"state": s}) for s in ("PROGRESS", "RETRY", "SUCCESS", "REVOKED")] == [
        False, False, True, True,
    ]  # fmt: skip
    assert not is_finished(None)


# --- HTTP behaviour ---


def test_error_answers_raise_their_detail_and_status() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"detail": f"no task {request.url.path.split('/')[-1]}"})

    with pytest.raises(ClientError) as caught, client_for(handler) as client:
        client.status("abc")
    assert (caught.value.message, caught.value.status_code) == ("no task abc", 404)


def test_the_api_key_is_sent_as_a_bearer_token_and_ids_stay_one_segment() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=task("PENDING", 1))

    with client_for(handler, api_key="k-123") as client:
        client.status("../videos")
    assert seen[0].headers["authorization"] == "Bearer k-123"
    assert seen[0].url.raw_path == b"/videos/task/..%2Fvideos"


def test_an_unreachable_server_is_one_client_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    with pytest.raises(ClientError, match=r"^cannot reach videoforge at http://vf.test:8000: "):
        client_for(handler).files()


def test_an_answer_that_is_not_json_is_a_client_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>a proxy page</html>")

    with pytest.raises(ClientError, match=r"unexpected answer from .*/videos: <html>"):
        client_for(handler).files()


def test_a_server_url_without_a_scheme_is_refused() -> None:
    with pytest.raises(ClientError, match="http:// or https://"):
        Client("localhost:8000")


def test_events_follow_the_stream_to_the_end() -> None:
    body = sse(task("PENDING", 1), task("PROGRESS", 2), task("SUCCESS", 3))

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/videos/task/t1/events"
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    states = [e["state"] for e in client_for(handler).events("t1")]
    assert states == ["PENDING", "PROGRESS", "SUCCESS"]


def test_events_poll_on_from_where_a_broken_stream_stopped() -> None:
    polled = iter(
        [task("PROGRESS", 2), task("PROGRESS", 2), task("PROGRESS", 3), task("SUCCESS", 4)]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/events"):
            return httpx.Response(
                200, stream=BrokenStream(sse(task("PENDING", 1), task("PROGRESS", 2)))
            )
        return httpx.Response(200, json=next(polled))

    seen = [(e["state"], e["updated_at"]) for e in client_for(handler).events("t1")]
    # Each change once: the poll that repeats what the stream showed last is not repeated.
    assert seen == [("PENDING", 1), ("PROGRESS", 2), ("PROGRESS", 3), ("SUCCESS", 4)]


def test_events_poll_when_the_stream_is_refused_and_report_polling_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"detail": "no task t1"})

    with pytest.raises(ClientError, match=r"^no task t1$"):
        list(client_for(handler).events("t1"))


def test_an_error_event_ends_the_events_with_its_detail() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = sse(task("PROGRESS", 1)) + sse({"detail": "no task t1"}, kind="error")
        return httpx.Response(200, content=body)

    events = client_for(handler).events("t1")
    assert next(events)["state"] == "PROGRESS"
    with pytest.raises(ClientError, match=r"^no task t1$"):
        next(events)


def test_upload_streams_the_file_as_multipart_with_byte_progress(tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"\x00video!" * 50_000)
    received: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert int(request.headers["content-length"]) > 350_000  # known length, not chunked
        received.append(request.read())
        return httpx.Response(200, json={"file_id": "f1"})

    progress: list[tuple[int, int | None]] = []
    answer = client_for(handler).upload(video, lambda done, total: progress.append((done, total)))
    assert answer == {"file_id": "f1"}
    assert b'name="file"; filename="clip.mp4"' in received[0]
    assert video.read_bytes() in received[0]
    assert len(progress) > 1 and progress[-1] == (350_000, 350_000)
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)


def test_upload_of_a_missing_file_is_a_client_error(tmp_path: Path) -> None:
    with pytest.raises(ClientError, match=r"^cannot read .*nope.mp4: No such file"):
        client_for(lambda request: httpx.Response(500)).upload(tmp_path / "nope.mp4")


def test_download_saves_the_bytes_with_progress(tmp_path: Path) -> None:
    content = bytes(range(256)) * 4000

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/videos/download/out.mp4"
        return httpx.Response(200, content=content)

    progress: list[tuple[int, int | None]] = []
    saved = client_for(handler).download("out.mp4", tmp_path, lambda *p: progress.append(p))
    assert saved == tmp_path / "out.mp4" and saved.read_bytes() == content
    assert progress[-1] == (len(content), len(content))
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"]


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(404, json={"detail": "no output named 'out.mp4'"}),
        httpx.Response(200, headers={"content-length": "9999"}, stream=BrokenStream(b"part")),
    ],
)
def test_a_failed_download_leaves_no_file(tmp_path: Path, response: httpx.Response) -> None:
    dest = tmp_path / "kept.mp4"
    with pytest.raises(ClientError):
        client_for(lambda request: response).download("out.mp4", dest)
    assert list(tmp_path.iterdir()) == []


# --- what the commands show ---


def test_job_bar_fields_from_progress_and_success() -> None:
    body = task("PROGRESS", 1, status="transcoding")
    body["progress"] = {"percent": 42.5, "fps": 119.6, "speed": 4.0, "eta_seconds": 75.4}
    fields = render.job_bar_fields(body)
    assert fields == {
        "description": "transcoding",
        "completed": 42.5,
        "fps": "120 fps",
        "eta": "ETA 0:01:15",
    }
    done = render.job_bar_fields(task("SUCCESS", 2, status="completed"))
    assert done == {"description": "completed", "completed": 100.0, "fps": "", "eta": ""}


def test_a_failed_job_ends_with_its_error() -> None:
    failed = task("FAILURE", 1, status="failed", error="FFmpeg error: bad input")
    assert render.ending_line(failed) == "task t1 failed: FFmpeg error: bad input"
    cancelled = task("REVOKED", 1, status="cancelled", error="cancelled")
    assert render.ending_line(cancelled) == "task t1 cancelled"


def test_the_status_table_shows_full_urls_and_leaves_out_what_does_not_apply() -> None:
    body = task("SUCCESS", 1, status="completed", format="mp4", attempts=1)
    body["result"] = {
        "width": 320,
        "height": 180,
        "size_bytes": 1500,
        "stream_url": "/videos/stream/x.mp4",
    }
    rows = dict(render.status_rows(body, lambda path: absolute_url(SERVER, path)))
    assert rows["stream url"] == f"{SERVER}/videos/stream/x.mp4"
    assert rows["size"] == "320x180, 1.5 kB"
    assert "error" not in rows and "progress" not in rows and "download url" not in rows


def test_tables_keep_ids_whole_on_a_narrow_screen() -> None:
    task_id = "575af325-5ea5-4d09-82f2-a2f38fb88ed9"
    page = {
        "items": [task("PROGRESS", 1, task_id=task_id, progress={"percent": 5})],
        "total": 7,
        "offset": 0,
    }
    out = StringIO()
    Console(file=out, width=60).print(render.jobs_table(page))
    assert task_id in out.getvalue()
    assert "1-1 of 7" in out.getvalue()


def test_the_status_text_keeps_a_long_signed_url_on_one_line() -> None:
    path = "/videos/stream/" + "a" * 120 + ".mp4?exp=1795887187&sig=" + "f" * 32
    body = task("SUCCESS", 1, status="completed", format="mp4", attempts=1)
    body["result"] = {"width": 320, "height": 180, "size_bytes": 1500, "stream_url": path}
    lines = render.status_text(body, lambda p: absolute_url(SERVER, p)).splitlines()
    assert f"stream url  {SERVER}{path}" in lines


def test_brackets_in_names_and_errors_are_printed_as_they_are() -> None:
    page = {
        "items": [{"file_id": "f" * 32, "original_name": "clip [final] [/x].mp4",
                   "size_bytes": 10, "duration_s": 1.0, "width": 2, "height": 2}],
        "total": 1, "offset": 0, "limit": 20,
    }  # fmt: skip
    console = Console(width=200, record=True)
    console.print(render.files_table(page))
    assert "clip [final] [/x].mp4" in console.export_text()
    shown = Console(width=200, record=True, force_terminal=True)
    with render.bytes_shown(shown, "uploading [/x].mp4", True, 10) as moved:
        moved(10, 10)
    assert "uploading [/x].mp4" in shown.export_text()
