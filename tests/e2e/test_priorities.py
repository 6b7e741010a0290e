"""Priorities and draining on the real thing: `videoforge serve` with ONE worker of
concurrency 1 (and, for draining, a second `videoforge worker` process), FFmpeg, Valkey.

Start order is read from the records, not from clocks: one worker running one job at a time
finishes jobs in the order it starts them.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.service import Service, signal_and_wait, submit, upload, wait_for, wait_success
from videoforge.runtime.valkey import embedded_url

HOST = socket.gethostname()
SERVE_WORKER = f"serve@{HOST}"
EXTRA_WORKER = f"extra@{HOST}"
RUNNING = {"STARTED", "PROGRESS"}
# Encoded, never copied: long enough to keep the one worker busy while others queue.
BLOCKER = {"resolution": "1280:720", "format": "mp4", "passthrough": "never"}
QUICK = {"resolution": "320:180", "format": "mp4"}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    folder = tmp_path_factory.mktemp("priorities")
    running = Service(folder, WORKER_CONCURRENCY="1", STORYBOARDS="false").start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def client(service: Service) -> Iterator[httpx.Client]:
    with service.client() as http:
        yield http


@pytest.fixture(scope="module")
def files(client: httpx.Client, clips: dict[str, Path]) -> dict[str, str]:
    return {name: upload(client, clips[name])["file_id"] for name in ("long", "wide")}


def wait_until(condition: Callable[[], Any], what: str, timeout_s: float = 120) -> Any:
    """Poll until `condition()` is truthy; return it. Fails naming `what` after the deadline."""
    deadline = time.monotonic() + timeout_s
    while not (found := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    return found


def status(client: httpx.Client, task_id: str) -> dict[str, Any]:
    response = client.get(f"/videos/task/{task_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def workers(client: httpx.Client) -> dict[str, dict[str, Any]]:
    response = client.get("/workers")
    assert response.status_code == 200, response.text
    return {item["name"]: item for item in response.json()["items"]}


def test_a_bad_priority_is_422_and_queues_nothing(
    client: httpx.Client, files: dict[str, str]
) -> None:
    before = client.get("/videos/tasks").json()["total"]
    response = client.post(
        f"/videos/transcode/{files['wide']}", json={**QUICK, "priority": "urgent"}
    )
    assert response.status_code == 422
    assert "priority" in response.json()["detail"]
    assert client.get("/videos/tasks").json()["total"] == before


def test_a_queued_high_job_starts_before_earlier_low_ones(
    client: httpx.Client, files: dict[str, str]
) -> None:
    blocker = submit(client, files["long"], **BLOCKER)["task_id"]
    wait_for(client, blocker, states=RUNNING | {"SUCCESS", "FAILURE"})
    queued = {
        name: submit(client, files["wide"], **QUICK, priority=name.rstrip("12"))["task_id"]
        for name in ("low1", "low2", "high")
    }
    places = {name: status(client, task_id) for name, task_id in queued.items()}
    metrics = client.get("/metrics").text
    # Only meaningful while the one worker is still busy: then nothing could have started.
    assert status(client, blocker)["state"] in RUNNING, "the blocker ended too soon"
    assert {name: body["queue_position"] for name, body in places.items()} == {
        "high": 1, "low1": 2, "low2": 3,
    }  # fmt: skip
    assert {body["priority"] for body in places.values()} == {"high", "low"}
    assert 'videoforge_queue_depth{priority="high"} 1.0' in metrics
    assert 'videoforge_queue_depth{priority="low"} 2.0' in metrics
    finished = {name: wait_success(client, task_id) for name, task_id in queued.items()}
    blocker_body = wait_success(client, blocker)
    assert blocker_body["queue_position"] is None and blocker_body["priority"] == "normal"
    order = sorted(finished, key=lambda name: finished[name]["updated_at"])
    assert order == ["high", "low1", "low2"]
    assert {body["worker"] for body in finished.values()} == {SERVE_WORKER}


@pytest.fixture
def extra_worker(service: Service) -> Iterator[subprocess.Popen[bytes]]:
    url = embedded_url(service.data_dir)
    assert url, "serve runs no embedded Valkey"
    with (service.data_dir / "extra-worker.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "videoforge.cli", "worker", "--hostname", "extra@%h"],
            env={**service.env, "REDIS_URL": url},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    yield process
    signal_and_wait(process, signal.SIGTERM, timeout_s=60)


def cli(service: Service, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "videoforge.cli", *args, "--server", service.url],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_drained_worker_takes_nothing_new_until_resumed(
    service: Service,
    client: httpx.Client,
    files: dict[str, str],
    extra_worker: subprocess.Popen[bytes],
) -> None:
    both = {SERVE_WORKER, EXTRA_WORKER}
    wait_until(lambda: set(workers(client)) >= both, "both workers in GET /workers")
    listed = cli(service, "workers")
    assert SERVE_WORKER in listed and EXTRA_WORKER in listed
    answer = client.post("/workers/nobody@nowhere/drain")
    assert answer.status_code == 404 and "no live worker" in answer.json()["detail"]

    assert cli(service, "drain", SERVE_WORKER).startswith(f"{SERVE_WORKER} draining")
    wait_until(lambda: not workers(client)[SERVE_WORKER]["consuming"], "the drain applied")
    blocker = submit(client, files["long"], **BLOCKER)["task_id"]
    quick = submit(client, files["wide"], **QUICK)["task_id"]
    # The drained worker is idle, yet the quick job waits for the busy one.
    shown = wait_until(
        lambda: (w := workers(client))[EXTRA_WORKER]["task_id"] == blocker and w,
        "the extra worker shown busy with the blocker",
    )
    assert shown[EXTRA_WORKER]["status"] == "busy"
    assert shown[SERVE_WORKER]["status"] == "idle" and shown[SERVE_WORKER]["draining"]
    assert not shown[EXTRA_WORKER]["draining"]
    assert wait_success(client, quick)["worker"] == EXTRA_WORKER
    assert wait_success(client, blocker)["worker"] == EXTRA_WORKER

    assert cli(service, "resume", SERVE_WORKER).startswith(f"{SERVE_WORKER} resumed")
    wait_until(lambda: workers(client)[SERVE_WORKER]["consuming"], "the resume applied")
    assert not workers(client)[SERVE_WORKER]["draining"]
    first = submit(client, files["long"], **BLOCKER)["task_id"]
    wait_for(client, first, states=RUNNING | {"SUCCESS", "FAILURE"})
    second = submit(client, files["wide"], **QUICK)["task_id"]
    ran_on = {wait_success(client, second)["worker"], wait_success(client, first)["worker"]}
    assert ran_on == both  # the one not busy with the first took the second
