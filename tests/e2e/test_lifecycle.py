"""Start-up, shutdown and restart of `videoforge serve`, and the inline executor."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
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
