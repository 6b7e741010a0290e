"""The CLI's tus client against an in-memory tus server (httpx.MockTransport): it resumes at
the offset the server reports after a dropped connection, and backs off between tries."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from videoforge.client import resumable
from videoforge.client.protocol import ClientError


class TusServer:
    """Just enough tus: create, HEAD, PATCH (which can drop the connection part-way)."""

    def __init__(self, drops: int = 0, keep: float = 0.5, refuse: str | None = None) -> None:
        self.data = bytearray()
        self.length = 0
        self.drops = drops  # PATCHes that keep half their bytes, then drop the connection
        self.keep = keep  # the share of a dropped PATCH's bytes the server kept
        self.refuse = refuse
        self.patches: list[int] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["tus-resumable"] == "1.0.0"
        if request.method == "POST":
            self.length = int(request.headers["upload-length"])
            return httpx.Response(201, headers={"location": "/videos/tus/abc"})
        if request.method == "HEAD":
            return httpx.Response(200, headers={"upload-offset": str(len(self.data))})
        if request.method == "GET":
            done = len(self.data) == self.length
            state = "refused" if done and self.refuse else "done" if done else "receiving"
            body = {"state": state, "file_id": "f1", "error": self.refuse, "offset": len(self.data)}
            return httpx.Response(200, json=body)
        offset = int(request.headers["upload-offset"])
        if offset != len(self.data):
            return httpx.Response(409, json={"detail": "wrong offset"})
        chunk = request.read()
        self.patches.append(offset)
        if self.drops:
            self.drops -= 1
            self.data += chunk[: int(len(chunk) * self.keep)]
            raise httpx.ReadError("connection reset by peer")
        self.data += chunk
        return httpx.Response(204, headers={"upload-offset": str(len(self.data))})


@pytest.fixture
def video(tmp_path: Path) -> Path:
    path = tmp_path / "big.mp4"
    path.write_bytes(bytes(range(256)) * 4000)  # 1 MB, not a multiple of the chunk size
    return path


def send(server: TusServer, video: Path, waits: list[float]) -> str:
    http = httpx.Client(base_url="http://videoforge.test", transport=httpx.MockTransport(server))
    return resumable.send(http, video, sleep=waits.append)


def test_a_dropped_connection_resumes_where_the_server_is(
    video: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resumable, "CHUNK_BYTES", 300_000)
    server = TusServer(drops=2)
    waits: list[float] = []
    assert send(server, video, waits) == "f1"
    assert bytes(server.data) == video.read_bytes()
    assert server.patches[:3] == [0, 150_000, 300_000]  # each retry starts at the HEAD offset
    assert waits == [1.0, 1.0]  # progress in between resets the backoff


def test_too_many_failures_in_a_row_give_up(video: Path) -> None:
    waits: list[float] = []
    with pytest.raises(ClientError, match="failed 9 times in a row"):
        send(TusServer(drops=100, keep=0), video, waits)
    assert waits == [1, 2, 4, 8, 16, 30, 30, 30]


def test_a_refused_upload_says_why(video: Path) -> None:
    with pytest.raises(ClientError, match="refused the upload: not a video"):
        send(TusServer(refuse="not a video"), video, [])


def test_backoff_doubles_up_to_30_s() -> None:
    assert [resumable.backoff_s(n) for n in (1, 2, 3, 5, 6, 9)] == [1, 2, 4, 16, 30, 30]
