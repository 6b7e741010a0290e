"""Start-up, shutdown and restart of `videoforge serve`, and the inline executor."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.service import (
    Service,
    alive,
    children,
    descendants,
    process_names,
    transcode,
    upload,
    wait_for,
)


def test_bad_setting_stops_startup_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "videoforge.cli", "serve"],
        env={"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path), "PORT": "eighty"},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines == [lines[-1]] and "PORT" in lines[-1] and "Traceback" not in result.stderr


def test_sigterm_mid_job_leaves_no_process_behind(tmp_path: Path, clips: dict[str, Path]) -> None:
    service = Service(tmp_path / "serve").start()
    assert service.process is not None
    with service.client() as client:
        file_id = upload(client, clips["long"])["file_id"]
        task = transcode(client, file_id, "1280:720", "webm")
        wait_for(client, task["task_id"], states={"PROGRESS"})
    tree = descendants(service.process.pid)
    names = " ".join(process_names(tree))
    assert "valkey-server" in names and "celery" in names and "ffmpeg" in names, names
    assert service.stop(signal.SIGTERM, timeout_s=60) == 0
    deadline = time.monotonic() + 5
    while alive(tree) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alive(tree) == set(), process_names(alive(tree))
    # The interrupted attempt's temp dir is gone too.
    assert list((service.data_dir / "tmp").glob("job-*")) == []


def test_jobs_queued_before_a_restart_still_run(tmp_path: Path, clips: dict[str, Path]) -> None:
    data_dir = tmp_path / "serve"
    first = Service(data_dir, WORKER_CONCURRENCY="1").start()
    with first.client() as client:
        file_id = upload(client, clips["long"])["file_id"]
        tasks = [transcode(client, file_id, "640:360", "webm")["task_id"] for _ in range(3)]
        wait_for(client, tasks[0], states={"PROGRESS"})
    # One job running, two queued: Ctrl-C (SIGINT) takes everything down.
    assert first.stop(signal.SIGINT) == 0
    second = Service(data_dir, WORKER_CONCURRENCY="2").start()
    try:
        with second.client() as client:
            finals = [wait_for(client, task_id, timeout_s=240)[0] for task_id in tasks]
    finally:
        second.stop()
    assert [f["state"] for f in finals] == ["SUCCESS"] * 3, finals
    assert [p.name for p in (data_dir / "tmp").glob("job-*")] == []


@pytest.fixture(scope="module")
def inline(tmp_path_factory: pytest.TempPathFactory) -> Service:
    service = Service(
        tmp_path_factory.mktemp("inline"), VIDEOFORGE_EXECUTOR="inline", MAX_UPLOAD_BYTES="400000"
    ).start()
    yield service  # type: ignore[misc]
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
    big = clips["long"]
    assert big.stat().st_size > 400_000
    with inline.client() as client:
        declared = client.post("/videos/upload", files={"file": ("big.mp4", big.read_bytes())})
        assert declared.status_code == 413
        assert "400000 bytes" in declared.json()["detail"]

        def chunks():  # no Content-Length: the limit is hit mid-stream
            boundary = b"xyzzy"
            yield b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; '
            yield b'filename="big.mp4"\r\nContent-Type: video/mp4\r\n\r\n'
            data = big.read_bytes()
            for start in range(0, len(data), 65536):
                yield data[start : start + 65536]
            yield b"\r\n--" + boundary + b"--\r\n"

        streamed = client.post(
            "/videos/upload",
            content=chunks(),
            headers={"content-type": "multipart/form-data; boundary=xyzzy"},
        )
        assert streamed.status_code == 413
    assert list((inline.data_dir / "tmp").glob("upload-*")) == []
    assert (
        not (inline.data_dir / "objects" / "sources").exists()
        or len(list((inline.data_dir / "objects" / "sources").iterdir())) == 1
    )


def test_api_never_blocks_while_jobs_run(inline: Service, clips: dict[str, Path]) -> None:
    with inline.client() as client:
        file_id = upload(client, clips["noaudio"])["file_id"]
        tasks = [transcode(client, file_id, "320:240", "webm")["task_id"] for _ in range(4)]
        started = time.monotonic()
        assert client.get("/healthz").status_code == 200
        assert time.monotonic() - started < 1.0
        for task_id in tasks:
            assert wait_for(client, task_id)[0]["state"] == "SUCCESS"
    _ = httpx  # the client type used above


def test_time_limit_fails_the_job_with_timeout_and_no_retry(
    tmp_path: Path, clips: dict[str, Path]
) -> None:
    service = Service(tmp_path / "serve", TASK_SOFT_TIME_LIMIT="1", TASK_TIME_LIMIT="4").start()
    assert service.process is not None
    try:
        with service.client() as client:
            file_id = upload(client, clips["long"])["file_id"]
            task = transcode(client, file_id, "1280:720", "webm")
            final, seen = wait_for(client, task["task_id"], timeout_s=60)
            tree = descendants(service.process.pid)
            assert final["state"] == "FAILURE", final
            assert final["error"].startswith("timeout"), final["error"]
            assert final["attempts"] == 1
            assert "RETRY" not in {s["state"] for s in seen}
            assert client.get(f"/videos/stream/{task['output_name']}").status_code == 404
        assert "ffmpeg" not in " ".join(process_names(alive(tree)))
        assert list((service.data_dir / "tmp").glob("job-*")) == []
    finally:
        service.stop()


def test_storage_outage_is_retried_by_celery_then_succeeds(
    service: Service, clips: dict[str, Path]
) -> None:
    outputs = service.data_dir / "objects" / "outputs"
    with service.client() as client:
        file_id = upload(client, clips["noaudio"], "retry.mp4")["file_id"]
        # A file where the outputs folder should be stands in for a full or read-only disk.
        outputs.mkdir(parents=True, exist_ok=True)
        parked = outputs.with_name("outputs-parked")
        outputs.rename(parked)
        outputs.write_bytes(b"in the way")
        try:
            task = transcode(client, file_id, "320:240", "mp4")
            retry, _ = wait_for(client, task["task_id"], states={"RETRY", "SUCCESS", "FAILURE"})
        finally:
            outputs.unlink()
            parked.rename(outputs)
        assert retry["state"] == "RETRY", retry
        assert retry["error"].startswith("storage write failed")
        final, _ = wait_for(client, task["task_id"], timeout_s=60)
    assert final["state"] == "SUCCESS", final
    assert final["attempts"] == 2


def test_a_dead_worker_is_replaced(service: Service, clips: dict[str, Path]) -> None:
    assert service.process is not None
    (worker,) = [
        pid for pid in children(service.process.pid) if "celery" in process_names({pid})[0]
    ]
    old_tree = {worker, *descendants(worker)}
    os.kill(worker, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while alive(old_tree) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alive(old_tree) == set(), process_names(alive(old_tree))
    service.wait_ready(60)
    with service.client() as client:
        file_id = upload(client, clips["noaudio"], "after-restart.mp4")["file_id"]
        task = transcode(client, file_id, "320:240", "webm")
        assert wait_for(client, task["task_id"])[0]["state"] == "SUCCESS"
    (replacement,) = [
        pid for pid in children(service.process.pid) if "celery" in process_names({pid})[0]
    ]
    assert replacement != worker
