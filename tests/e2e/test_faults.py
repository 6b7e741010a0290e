"""Faults a job must survive or report: time limits, storage outages, a Redis that is gone."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

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


def test_time_limit_fails_the_job_with_timeout_and_no_retry(
    tmp_path: Path, clips: dict[str, Path]
) -> None:
    service = Service(tmp_path / "serve", TASK_SOFT_TIME_LIMIT_S="1", TASK_TIME_LIMIT_S="4").start()
    assert service.process is not None
    try:
        with service.client() as client:
            file_id = upload(client, clips["long"])["file_id"]
            task = transcode(client, file_id, "1280:720", "webm")
            ffmpeg: set[int] = set()
            deadline = time.monotonic() + 30
            while not ffmpeg and time.monotonic() < deadline:
                tree = descendants(service.process.pid)
                ffmpeg = {pid for pid in tree if "ffmpeg" in " ".join(process_names({pid}))}
                time.sleep(0.05)
            assert ffmpeg, "ffmpeg never started"
            final, seen = wait_for(client, task["task_id"], timeout_s=60)
            assert final["state"] == "FAILURE", final
            assert final["error"].startswith("timeout"), final["error"]
            assert final["attempts"] == 1
            assert "RETRY" not in {s["state"] for s in seen}
            assert client.get(f"/videos/stream/{task['output_name']}").status_code == 404
        deadline = time.monotonic() + 30  # its group is killed at the limit
        while alive(ffmpeg) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert alive(ffmpeg) == set(), process_names(alive(ffmpeg))
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


def test_redis_gone_gives_503_with_a_message(tmp_path: Path, clips: dict[str, Path]) -> None:
    service = Service(tmp_path / "serve").start()
    assert service.process is not None
    try:
        with service.client() as client:
            file_id = upload(client, clips["noaudio"])["file_id"]
            (valkey,) = [
                pid
                for pid in children(service.process.pid)
                if "valkey-server" in process_names({pid})[0]
            ]
            os.kill(valkey, signal.SIGKILL)
            response = client.post(
                f"/videos/transcode/{file_id}", json={"resolution": "320:240", "format": "mp4"}
            )
            assert response.status_code == 503, response.text
            assert response.json() == {"detail": "job store unavailable, try again shortly"}
            status = client.get("/videos/task/00000000-0000-0000-0000-000000000000")
            assert status.status_code == 503
            ready = client.get("/readyz")
            assert ready.status_code == 503 and ready.json()["checks"]["redis"] != "ok"
    finally:
        assert service.stop() == 0
