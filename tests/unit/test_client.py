"""The client of the `videoforge` commands: wire format (pure), and its HTTP behaviour over
httpx.MockTransport: errors as one line, the event stream and its polling fallback,
streamed uploads and all-or-nothing downloads; the transcode requests the commands build and
how a finished ladder is shown."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console
from typer.testing import CliRunner

from videoforge.cli import cli
from videoforge.client import api, render, renditions
from videoforge.client.api import Client
from videoforge.client.protocol import (
    ClientError,
    ServerEvent,
    absolute_url,
    error_message,
    is_finished,
    parse_sse,
    transcode_body,
)
from videoforge.client.transfers import transport_message

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


def jpeg(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=JPEG, headers={"content-type": "image/jpeg"})


JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40


@pytest.mark.parametrize(
    ("options", "route", "query", "saved"),
    [
        ([], "/videos/f1/thumbnail.jpg", {}, "f1.jpg"),
        (["-o", "."], "/videos/f1/thumbnail.jpg", {}, "f1.jpg"),
        (["--time", "2.5", "-o", "shot.png"], "/videos/f1/thumbnail.png", {"time": "2.5"},
         "shot.png"),
        (["--width", "320", "--time", "0", "-o", "poster.WebP"], "/videos/f1/thumbnail.webp",
         {"time": "0.0", "width": "320"}, "poster.WebP"),
        (["-o", "still.jpeg"], "/videos/f1/thumbnail.jpg", {}, "still.jpeg"),
        (["-o", "still"], "/videos/f1/thumbnail.jpg", {}, "still"),
    ],
)  # fmt: skip
def test_thumbnail_asks_for_the_type_of_its_file_and_saves_it(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    options: list[str],
    route: str,
    query: dict[str, str],
    saved: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    result, sent = cli_against(monkeypatch, jpeg, "thumbnail", "f1", *options)
    assert result.exit_code == 0, result.output
    assert [(r.method, r.url.path, dict(r.url.params)) for r in sent] == [("GET", route, query)]
    assert Path(result.stdout.strip()).resolve() == (tmp_path / saved).resolve()
    assert [p.name for p in tmp_path.iterdir()] == [saved]
    assert (tmp_path / saved).read_bytes() == JPEG


def test_thumbnail_json_names_the_file_its_size_and_type(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    dest = tmp_path / "a b" / "poster.jpg"
    dest.parent.mkdir()
    result, sent = cli_against(monkeypatch, jpeg, "thumbnail", "f/1", "-o", str(dest), "--json")
    assert result.exit_code == 0, result.output
    assert sent[0].url.raw_path == b"/videos/f%2F1/thumbnail.jpg"
    assert json.loads(result.stdout) == {
        "path": str(dest), "bytes": len(JPEG), "content_type": "image/jpeg",
    }  # fmt: skip
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(422, json={"detail": "time must be within the video (0 to 4 s), got 9"}),
         "time must be within the video (0 to 4 s), got 9"),
        (httpx.Response(404, json={"detail": "no file f1"}), "no file f1"),
        (httpx.Response(401, json={"detail": "an API key is required"}),
         "an API key is required"),
        (httpx.Response(200, headers={"content-length": "9999"}, stream=BrokenStream(b"\xff\xd8")),
         f"lost the connection to videoforge at {SERVER}: connection reset by peer"),
    ],
)  # fmt: skip
def test_a_failed_thumbnail_is_one_line_and_leaves_no_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, response: httpx.Response, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result, _ = cli_against(monkeypatch, lambda request: response, "thumbnail", "f1", "--time", "9")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == f"videoforge: {message}\n"
    assert list(tmp_path.iterdir()) == []


def test_a_thumbnail_of_an_unknown_type_is_refused_before_asking(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    result, sent = cli_against(monkeypatch, jpeg, "thumbnail", "f1", "-o", str(tmp_path / "x.gif"))
    assert result.exit_code == 1 and sent == []
    assert result.stderr == (
        "videoforge: cannot save a thumbnail as .gif: name the file .jpg, .png or .webp\n"
    )
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
    assert "timings" not in rows
    body["timings"] = {"queued": 0.125, "encode": 2.0, "total": 3.5}
    rows = dict(render.status_rows(body, lambda path: absolute_url(SERVER, path)))
    assert rows["timings"] == "queued 0.12 s, encode 2.00 s, total 3.50 s"


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


# --- transcode requests and ladders ---

LADDER_RESULT: dict[str, Any] = {
    "format": "cmaf",
    "width": 640,
    "height": 360,
    "size_bytes": 552384,
    "segment_seconds": 6,
    "segment_format": "fmp4",
    "renditions": [
        {"width": 640, "height": 360, "bandwidth": 1826813, "average_bandwidth": 826813,
         "codecs": "avc1.64001e,mp4a.40.2", "frame_rate": 30.0,
         "playlist": "/videos/stream/x-ea6d_v0.m3u8"},
        {"width": 426, "height": 240, "bandwidth": 383753, "average_bandwidth": 383753,
         "codecs": "avc1.640015,mp4a.40.2", "frame_rate": 29.97,
         "playlist": "/videos/stream/x-ea6d_v1.m3u8"},
    ],
    "manifests": {"hls": "/videos/stream/x.m3u8", "dash": "/videos/stream/x-ea6d.mpd"},
    "stream_url": "/videos/stream/x.m3u8",
    "download_url": "/videos/download/x.m3u8",
}  # fmt: skip


@pytest.mark.parametrize(
    ("args", "kwargs", "body"),
    [
        (("mp4", "1280:720"), {}, {"format": "mp4", "resolution": "1280:720", "upscale": False}),
        (("cmaf",), {"ladder": "auto"}, {"format": "cmaf", "ladder": "auto", "upscale": False}),
        (("dash",), {}, {"format": "dash", "upscale": False}),
        (
            ("hls", "1920:1080"),
            {"ladder": "auto", "segment_format": "ts", "upscale": True},
            {"format": "hls", "resolution": "1920:1080", "ladder": "auto",
             "segment_format": "ts", "upscale": True},
        ),
        (
            ("hls",),
            {"renditions": ("1280:720", "640:360")},
            {"format": "hls", "renditions": ["1280:720", "640:360"], "upscale": False},
        ),
        (
            ("mp4", "640:360"),
            {"start_s": 1.0, "end_s": 3.5},
            {"format": "mp4", "resolution": "640:360", "upscale": False,
             "start_s": 1.0, "end_s": 3.5},
        ),
        (("webm", "640:360"), {"start_s": 0.0}, {"format": "webm", "resolution": "640:360",
                                                 "upscale": False, "start_s": 0.0}),
        (("hls", "640:360"), {"end_s": 2}, {"format": "hls", "resolution": "640:360",
                                            "upscale": False, "end_s": 2}),
    ],
)  # fmt: skip
def test_transcode_body_carries_only_what_was_given(
    args: tuple[str, ...], kwargs: dict[str, Any], body: dict[str, Any]
) -> None:
    assert transcode_body(*args, **kwargs) == body


def cli_against(
    monkeypatch: pytest.MonkeyPatch, handler: Handler, *args: str
) -> tuple[Any, list[httpx.Request]]:
    """Run `videoforge ARGS` in-process, its Client talking to `handler`; the result and the
    requests it sent."""
    sent: list[httpx.Request] = []

    def recording(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return handler(request)

    def client(server_url: str, api_key: str | None = None) -> Client:
        return Client(server_url, api_key, httpx.MockTransport(recording), poll_interval_s=0)

    monkeypatch.setattr(api, "Client", client)
    return CliRunner().invoke(cli, [*args, "--server", SERVER]), sent


def started(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"task_id": "t1", "file_id": "f1", "status": "processing"})


@pytest.mark.parametrize(
    ("options", "body"),
    [
        (["-f", "cmaf", "--ladder", "auto"], {"format": "cmaf", "ladder": "auto"}),
        (
            ["-f", "hls", "--rendition", "1280:720", "--rendition", "640:360",
             "--segment-format", "ts"],
            {"format": "hls", "renditions": ["1280:720", "640:360"], "segment_format": "ts"},
        ),
        (
            ["-f", "dash", "-r", "1920:1080", "--ladder", "auto", "--upscale"],
            {"format": "dash", "resolution": "1920:1080", "ladder": "auto", "upscale": True},
        ),
        (["-f", "webm", "-r", "854:-2"], {"format": "webm", "resolution": "854:-2"}),
        (
            ["-f", "mp4", "-r", "640:360", "--start", "1", "--end", "3.25"],
            {"format": "mp4", "resolution": "640:360", "start_s": 1.0, "end_s": 3.25},
        ),
        (["-f", "cmaf", "--end", "2.5"], {"format": "cmaf", "end_s": 2.5}),
    ],
)  # fmt: skip
def test_transcode_options_become_the_request_body(
    monkeypatch: pytest.MonkeyPatch, options: list[str], body: dict[str, Any]
) -> None:
    result, sent = cli_against(monkeypatch, started, "transcode", "f1", *options)
    assert result.exit_code == 0, result.output
    assert result.stdout == "t1\n"
    assert sent[0].url.path == "/videos/transcode/f1"
    assert json.loads(sent[0].content) == {"upscale": False, **body}


def test_a_refused_ladder_is_the_servers_detail_and_exit_1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        detail = "a ladder needs format hls, dash or cmaf; mp4 is one rendition"
        return httpx.Response(422, json={"detail": detail})

    result, _ = cli_against(
        monkeypatch, refused, "transcode", "f1", "-f", "mp4", "--ladder", "auto"
    )
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == (
        "videoforge: a ladder needs format hls, dash or cmaf; mp4 is one rendition\n"
    )


def test_submit_sends_start_and_end_and_shows_a_refusal_as_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"\0" * 1000)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/videos/upload":
            return httpx.Response(200, json={"file_id": "f1", "filename": "clip.mp4"})
        if request.method == "DELETE":
            return httpx.Response(204)
        detail = "end_s must be within the video (0 to 4 s), got 9"
        return httpx.Response(422, json={"detail": detail})

    args = ("submit", str(video), "-f", "mp4", "-r", "640:360", "--start", "1", "--end", "9")
    result, sent = cli_against(monkeypatch, handler, *args)
    assert [(r.method, r.url.path) for r in sent] == [
        ("POST", "/videos/upload"),
        ("POST", "/videos/transcode/f1"),
        ("DELETE", "/videos/f1"),
    ]
    body = json.loads(sent[1].content)
    assert (body["start_s"], body["end_s"]) == (1.0, 9.0)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        "videoforge: end_s must be within the video (0 to 4 s), got 9 (the upload was removed)"
    )


def finished_ladder(request: httpx.Request) -> httpx.Response:
    if request.method == "POST":
        return started(request)
    if request.url.path.endswith("/events"):
        return httpx.Response(404, json={"detail": "no stream here"})  # polling takes over
    return httpx.Response(200, json=task("SUCCESS", 2, status="completed", result=LADDER_RESULT))


def test_wait_on_a_ladder_prints_its_renditions_and_absolute_manifest_urls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = ("transcode", "f1", "-f", "cmaf", "--ladder", "auto", "--wait")
    result, _ = cli_against(monkeypatch, finished_ladder, *args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[-2:] == [
        f"hls   {SERVER}/videos/stream/x.m3u8",
        f"dash  {SERVER}/videos/stream/x-ea6d.mpd",
    ]
    table = "\n".join(lines[:-2])
    assert "640x360" in table and "1.8 Mb/s" in table and "827 kb/s" in table
    assert "426x240" in table and "avc1.640015,mp4a.40.2" in table and "29.97 fps" in table
    assert "cmaf: 2 renditions, fmp4 segments of 6 s" in table


def test_wait_json_on_a_ladder_is_the_raw_final_status(monkeypatch: pytest.MonkeyPatch) -> None:
    args = ("transcode", "f1", "-f", "cmaf", "--ladder", "auto", "--wait", "--json")
    result, _ = cli_against(monkeypatch, finished_ladder, *args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["result"] == LADDER_RESULT
    assert result.stderr == ""


def test_rendition_rows_and_manifest_lines() -> None:
    assert renditions.rendition_rows(LADDER_RESULT) == [
        ("640x360", "1.8 Mb/s", "827 kb/s", "avc1.64001e,mp4a.40.2", "30 fps"),
        ("426x240", "384 kb/s", "384 kb/s", "avc1.640015,mp4a.40.2", "29.97 fps"),
    ]
    text = renditions.manifest_text(LADDER_RESULT, lambda path: absolute_url(SERVER, path))
    assert text == (f"hls   {SERVER}/videos/stream/x.m3u8\ndash  {SERVER}/videos/stream/x-ea6d.mpd")
    dash_only = {**LADDER_RESULT, "manifests": {"dash": "/videos/stream/y.mpd?exp=1&sig=ab"}}
    assert renditions.manifest_text(dash_only, str) == "dash  /videos/stream/y.mpd?exp=1&sig=ab"
    assert renditions.is_ladder(LADDER_RESULT) and not renditions.is_ladder({"width": 2})
    assert not renditions.is_ladder(None)


def test_bitrate_and_frame_rate_text() -> None:
    bitrates = [850_400, 999_999, 1_000_000, 4_249_999, 0, None, "1000"]
    assert [renditions.bitrate_text(b) for b in bitrates] == [
        "850 kb/s", "1.0 Mb/s", "1.0 Mb/s", "4.2 Mb/s", "", "", "",
    ]  # fmt: skip
    frame_rates = [30.0, 29.97002997, 23.976, 60, 0, None]
    assert [renditions.frame_rate_text(f) for f in frame_rates] == [
        "30 fps", "29.97 fps", "23.976 fps", "60 fps", "", "",
    ]  # fmt: skip


def test_the_renditions_table_fits_a_narrow_screen_with_every_size() -> None:
    console = Console(width=60, record=True)
    console.print(renditions.renditions_table(LADDER_RESULT))
    shown = console.export_text()
    assert "640x360" in shown and "426x240" in shown and "frame" in shown


def test_the_status_of_a_ladder_names_its_renditions_and_manifests() -> None:
    body = task("SUCCESS", 1, status="completed", format="cmaf", resolution="auto",
                renditions=["640x360", "426x240"], attempts=1, result=LADDER_RESULT)  # fmt: skip
    rows = dict(render.status_rows(body, lambda path: absolute_url(SERVER, path)))
    assert rows["renditions"] == "640x360, 426x240"
    assert rows["hls manifest"] == f"{SERVER}/videos/stream/x.m3u8"
    assert rows["dash manifest"] == f"{SERVER}/videos/stream/x-ea6d.mpd"
