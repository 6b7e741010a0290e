"""VIDEOFORGE_EXECUTOR=inline: the same pipeline on threads of the API process."""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import make_clip
from tests.e2e.service import (
    Service,
    alive,
    descendants,
    process_names,
    transcode,
    upload,
    wait_for,
)
from videoforge.media.binaries import FFmpegBinaries

LIMIT_BYTES = 12_000_000  # above every test clip
TOO_BIG = b"\0" * (LIMIT_BYTES + 1_000_000)


def sources(service: Service) -> set[str]:
    folder = service.data_dir / "objects" / "sources"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


@pytest.fixture(scope="module")
def inline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    service = Service(
        tmp_path_factory.mktemp("inline"),
        VIDEOFORGE_EXECUTOR="inline",
        MAX_UPLOAD_BYTES=str(LIMIT_BYTES),
        UPLOAD_IDLE_TIMEOUT_S="2",
    ).start()
    yield service
    service.stop()


def test_inline_executor_runs_the_same_pipeline(inline: Service, clips: dict[str, Path]) -> None:
    assert inline.process is not None
    assert "celery" not in " ".join(process_names(descendants(inline.process.pid)))
    with inline.client() as client:
        file_id = upload(client, clips["noaudio"])["file_id"]
        task = transcode(client, file_id, "640:480", "hls")
        final, _ = wait_for(client, task["task_id"])
        assert final["state"] == "SUCCESS", final
        playlist = client.get(f"/videos/stream/{task['output_name']}")
        assert playlist.status_code == 200 and "#EXT-X-ENDLIST" in playlist.text
        assert client.get("/readyz").json()["checks"]["worker"] == "ok"


def test_upload_over_the_limit_is_413_while_streaming(
    inline: Service, clips: dict[str, Path]
) -> None:
    before = sources(inline)
    with inline.client() as client:
        declared = client.post("/videos/upload", files={"file": ("big.mp4", TOO_BIG)})
        assert declared.status_code == 413
        assert f"{LIMIT_BYTES} bytes" in declared.json()["detail"]
        for field in ("file", "other"):  # every field counts, not only the file

            def chunks(name: str = field) -> Iterator[bytes]:  # no Content-Length
                yield f'--xyzzy\r\nContent-Disposition: form-data; name="{name}"; '.encode()
                yield b'filename="big.mp4"\r\nContent-Type: video/mp4\r\n\r\n'
                for start in range(0, len(TOO_BIG), 65536):
                    yield TOO_BIG[start : start + 65536]
                yield b"\r\n--xyzzy--\r\n"

            streamed = client.post(
                "/videos/upload",
                content=chunks(),
                headers={"content-type": "multipart/form-data; boundary=xyzzy"},
            )
            assert streamed.status_code == 413, (field, streamed.text)
    assert list((inline.data_dir / "tmp").glob("upload-*")) == []
    assert sources(inline) == before


def test_api_answers_while_its_threads_transcode(inline: Service, clips: dict[str, Path]) -> None:
    with inline.client() as client:
        file_id = upload(client, clips["long"])["file_id"]
        tasks = [transcode(client, file_id, "1280:720", "webm")["task_id"] for _ in range(3)]
        wait_for(client, tasks[0], states={"PROGRESS"})
        # Both pool threads are encoding, a third job is queued: the API still answers, each
        # request within a generous deadline (latency itself is measured by make bench).
        for _ in range(10):
            assert client.get(f"/videos/task/{tasks[2]}", timeout=5).status_code == 200
        for task_id in tasks:
            assert wait_for(client, task_id, timeout_s=240)[0]["state"] == "SUCCESS"


def test_sigterm_interrupts_inline_jobs_and_restart_resumes_them(
    tmp_path: Path, clips: dict[str, Path]
) -> None:
    data_dir = tmp_path / "inline"
    first = Service(data_dir, VIDEOFORGE_EXECUTOR="inline").start()
    assert first.process is not None
    with first.client() as client:
        file_id = upload(client, clips["long"])["file_id"]
        task = transcode(client, file_id, "1280:720", "webm")
        wait_for(client, task["task_id"], states={"PROGRESS"})
    tree = descendants(first.process.pid)
    assert "ffmpeg" in " ".join(process_names(tree))
    started = time.monotonic()
    assert first.stop(signal.SIGTERM) == 0
    assert time.monotonic() - started < 60  # interrupted, not waited for
    assert alive(tree) == set(), process_names(alive(tree))
    second = Service(data_dir, VIDEOFORGE_EXECUTOR="inline").start()
    try:
        with second.client() as client:
            final, _ = wait_for(client, task["task_id"], timeout_s=240)
    finally:
        second.stop()
    assert final["state"] == "SUCCESS" and final["attempts"] == 1, final


def test_an_upload_that_stalls_gets_408(inline: Service) -> None:
    before = sources(inline)
    with socket.create_connection(("127.0.0.1", inline.port), timeout=20) as raw:
        raw.sendall(
            b"POST /videos/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\n\r\n--b\r\n"
        )
        answer = b""
        while b"sent nothing" not in answer:
            chunk = raw.recv(4096)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b"the upload sent nothing for 2 s" in answer
    assert list((inline.data_dir / "tmp").glob("upload-*")) == []
    assert sources(inline) == before


def test_a_split_job_runs_on_the_inline_threads(
    inline: Service, binaries: FFmpegBinaries, tmp_path: Path
) -> None:
    # Its helper waits its turn in the same priority queue as jobs, on the second thread.
    clip = make_clip(binaries, tmp_path / "split.mp4", "320x240", 36)  # under the upload limit
    with inline.client() as client:
        file_id = upload(client, clip)["file_id"]
        body = {"format": "mp4", "resolution": "320:240", "parallel": True}
        task = client.post(f"/videos/transcode/{file_id}", json=body).json()
        final, _ = wait_for(client, task["task_id"], timeout_s=300)
        assert final["state"] == "SUCCESS", final
        assert [c["duration_s"] for c in final["result"]["chunks"]] == [30, 6]
        assert final["result"]["workers"] == [f"inline@{socket.gethostname()}"]
        assert not list((inline.data_dir / "objects" / "chunks").glob("*/*"))  # dropped
