"""Resumable uploads (tus 1.0.0) against a running `videoforge serve`: tuspy stops part-way
and a new client resumes at the offset the server reports; the file then transcodes. Two
writers at once: one wins. A finished non-video is refused with a reason. The CLI's client."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tusclient import client as tus

from tests.conftest import make_clip
from tests.e2e import tus_calls
from tests.e2e.service import Service, transcode, wait_success
from tests.integration.conftest import wait_until
from videoforge.client import resumable
from videoforge.client.api import Client
from videoforge.media.binaries import FFmpegBinaries

MIB = 1024**2


@pytest.fixture(scope="module")
def big_clip(tmp_path_factory: pytest.TempPathFactory, binaries: FFmpegBinaries) -> Path:
    """A clip of more than 6 MiB, so 3 MiB chunks stop part-way with bytes still to send."""
    path = make_clip(binaries, tmp_path_factory.mktemp("tus") / "big.mp4", "1280x720", 8,
                     extra=("-b:v", "12M"))  # fmt: skip
    assert path.stat().st_size > 7 * MIB
    return path


def test_tuspy_stops_part_way_a_new_client_resumes_and_the_file_transcodes(
    service: Service, client: httpx.Client, big_clip: Path
) -> None:
    endpoint = f"{service.url}/videos/tus/"
    metadata = {"filename": "big.mp4", "filetype": "video/mp4"}
    # Streams of our own: tuspy leaves the files it opens itself unclosed.
    with big_clip.open("rb") as stream:
        first = tus.TusClient(endpoint).uploader(
            file_stream=stream, chunk_size=3 * MIB, metadata=metadata
        )
        first.upload_chunk()  # type: ignore[no-untyped-call]
        first.upload_chunk()  # type: ignore[no-untyped-call]
    assert first.url is not None
    location = first.url.removeprefix(service.url)
    assert tus_calls.offset(client, location) == 6 * MIB
    assert client.get(location).json()["state"] == "receiving"

    with big_clip.open("rb") as stream:
        second = tus.TusClient(endpoint).uploader(
            file_stream=stream, chunk_size=3 * MIB, url=first.url
        )
        assert second.offset == 6 * MIB  # read from the server (HEAD), not remembered
        second.upload()

    status = client.get(location).json()
    size = big_clip.stat().st_size
    upload_id = location.rsplit("/", 1)[1]
    assert status | {"file_id": None} == {"upload_id": upload_id, "offset": size,
        "length": size, "state": "done", "file_id": None, "error": None}  # fmt: skip
    details = client.get(f"/videos/{status['file_id']}")
    assert details.status_code == 200, details.text
    assert details.json()["original_name"] == "big.mp4"
    task = transcode(client, status["file_id"], "320:-2", "mp4")
    wait_success(client, task["task_id"])
    # The staged bytes went with the upload.
    assert not (service.data_dir / "tus" / f"{upload_id}.part").exists()


def test_two_writers_at_once_one_wins_the_other_gets_409(
    service: Service, client: httpx.Client, clips: dict[str, Path]
) -> None:
    data = clips["wide"].read_bytes()
    location = tus_calls.create(client, len(data))
    staged = service.data_dir / "tus" / f"{location.rsplit('/', 1)[1]}.part"
    go_on = threading.Event()

    def slow_body() -> Iterator[bytes]:
        yield data[:1000]
        go_on.wait(60)  # holds the first writer's PATCH open (and its lock)
        yield data[1000:]

    answers: list[httpx.Response] = []

    def first_writer() -> None:
        with service.client() as own:
            answers.append(tus_calls.patch(own, location, 0, slow_body()))

    writer = threading.Thread(target=first_writer)
    writer.start()
    try:
        wait_until(lambda: staged.exists() and staged.stat().st_size >= 1000, "bytes staged")
        second = tus_calls.patch(client, location, 0, data)
        assert second.status_code == 409, second.text
        assert "another request is writing" in second.json()["detail"]
    finally:
        go_on.set()
        writer.join(60)
    assert answers[0].status_code == 204, answers[0].text
    assert answers[0].headers["upload-offset"] == str(len(data))
    assert tus_calls.offset(client, location) == len(data)
    assert client.get(location).json()["state"] == "done"


def test_a_finished_non_video_is_refused_with_a_reason(
    client: httpx.Client, tmp_path: Path
) -> None:
    junk = b"this is a text file, not a video\n" * 1000
    location = tus_calls.create(client, len(junk), name="notes.txt")
    answer = tus_calls.patch(client, location, 0, junk)
    assert answer.status_code == 204, answer.text
    status = client.get(location).json()
    assert status["state"] == "refused" and status["file_id"] is None
    assert status["error"] and "video" in status["error"].lower(), status
    assert tus_calls.patch(client, location, len(junk), b"").status_code == 409  # over


def test_creation_with_upload_and_termination(client: httpx.Client, clips: dict[str, Path]) -> None:
    data = clips["wide"].read_bytes()
    created = client.post("/videos/tus/", content=data[:5000], headers={**tus_calls.CHUNK,
                          "Upload-Length": str(len(data))})  # fmt: skip
    assert created.status_code == 201, created.text
    assert created.headers["upload-offset"] == "5000" and created.headers["upload-expires"]
    location = created.headers["location"]
    assert tus_calls.offset(client, location) == 5000
    ended = client.delete(location, headers=tus_calls.TUS)
    assert ended.status_code == 204
    assert client.head(location, headers=tus_calls.TUS).status_code == 404
    assert tus_calls.patch(client, location, 5000, data[5000:]).status_code == 404


def test_the_cli_client_sends_a_file_with_tus(service: Service, clips: dict[str, Path]) -> None:
    with Client(service.url) as api:
        details = api.upload_resumable(clips["wide"])
    assert details["original_name"] == "wide.mp4" and details["width"] == 640


def test_a_dropped_connection_keeps_what_arrived(
    service: Service, client: httpx.Client, clips: dict[str, Path]
) -> None:
    data = clips["wide"].read_bytes()
    location = tus_calls.create(client, len(data))
    half = len(data) // 2
    head = (f"PATCH {location} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n"
            "Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n"
            f"Content-Length: {len(data)}\r\n\r\n")  # fmt: skip
    with socket.create_connection(("127.0.0.1", service.port)) as raw:
        raw.sendall(head.encode() + data[:half])
        # The server has the bytes once it writes them: wait for that, then hang up.
        staged = service.data_dir / "tus" / f"{location.rsplit('/', 1)[1]}.part"
        wait_until(lambda: staged.stat().st_size == half, "half the file staged")
    wait_until(lambda: tus_calls.offset(client, location) > 0, "the kept offset")
    assert tus_calls.offset(client, location) == half
    rest = tus_calls.patch(client, location, half, data[half:])
    assert rest.status_code == 204, rest.text
    assert client.get(location).json()["state"] == "done"


class LosesAnswers(httpx.HTTPTransport):
    """Sends the first `drops` PATCHes only half-way, then loses the connection."""

    def __init__(self, drops: int) -> None:
        super().__init__()
        self.drops = drops

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "PATCH" or not self.drops:
            return super().handle_request(request)
        self.drops -= 1
        body = b"".join(request.stream)  # type: ignore[arg-type]
        headers = [(k, v) for k, v in request.headers.items() if k.lower() != "content-length"]
        half = httpx.Request("PATCH", request.url, headers=headers, content=body[: len(body) // 2])
        super().handle_request(half).close()
        raise httpx.ReadError("connection reset by peer (the test's)")


def test_the_cli_client_resumes_after_lost_connections(
    service: Service, client: httpx.Client, clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resumable, "CHUNK_BYTES", 64 * 1024)
    transport = LosesAnswers(drops=3)
    with httpx.Client(base_url=service.url, transport=transport) as http:
        file_id = resumable.send(http, clips["wide"], sleep=lambda _: None)
    assert transport.drops == 0
    details = client.get(f"/videos/{file_id}").json()
    assert details["size_bytes"] == clips["wide"].stat().st_size
