"""Run `videoforge serve` as a real child process for end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from videoforge.runtime.processes import free_port

TERMINAL = {"SUCCESS", "FAILURE"}


class Service:
    """One `videoforge serve` (Valkey, Celery worker, API) on a free port."""

    def __init__(self, data_dir: Path, **env: str) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if k != "REDIS_URL"},
            "DATA_DIR": str(data_dir),
            "PORT": str(self.port),
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / "serve.log"

    def start(self, timeout_s: float = 60) -> Service:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "videoforge.cli", "serve"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.wait_ready(timeout_s)
        return self

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"serve not ready in {timeout_s} s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 60) -> int:
        assert self.process is not None
        return signal_and_wait(self.process, sig, timeout_s)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)


def signal_and_wait(process: subprocess.Popen[bytes], sig: int, timeout_s: float) -> int:
    """Send `sig` unless the process already ended; return its exit code."""
    if process.poll() is None:
        process.send_signal(sig)
    return process.wait(timeout=timeout_s)


def upload(client: httpx.Client, path: Path, name: str | None = None) -> dict[str, Any]:
    with path.open("rb") as handle:
        response = client.post("/videos/upload", files={"file": (name or path.name, handle)})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def transcode(
    client: httpx.Client, file_id: str, resolution: str, fmt: str, **extra: Any
) -> dict[str, Any]:
    response = client.post(
        f"/videos/transcode/{file_id}", json={"resolution": resolution, "format": fmt, **extra}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def wait_for(
    client: httpx.Client, task_id: str, timeout_s: float = 120, states: set[str] = TERMINAL
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Poll a task until it reaches one of `states`; return the last answer and all answers."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        response = client.get(f"/videos/task/{task_id}")
        assert response.status_code == 200, response.text
        seen.append(response.json())
        if seen[-1]["state"] in states:
            return seen[-1], seen
        time.sleep(0.2)
    raise AssertionError(f"task {task_id} stuck: {seen[-1] if seen else None}")


def submit(client: httpx.Client, file_id: str, **body: Any) -> dict[str, Any]:
    """POST a transcode request with any body (ladders, renditions, segment formats)."""
    response = client.post(f"/videos/transcode/{file_id}", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def wait_success(client: httpx.Client, task_id: str, timeout_s: float = 300) -> dict[str, Any]:
    final, _ = wait_for(client, task_id, timeout_s=timeout_s)
    assert final["state"] == "SUCCESS", final
    return final


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A service that requires API keys and runs jobs inline: one per test module that
    imports this fixture."""
    folder = tmp_path_factory.mktemp("locked")
    service = Service(folder, API_KEYS_REQUIRED="true", VIDEOFORGE_EXECUTOR="inline")
    yield service.start()
    service.stop()


def keys(service: Service, *args: str) -> subprocess.CompletedProcess[str]:
    """`videoforge keys ...` against a service (create, list, revoke)."""
    return subprocess.run(
        [sys.executable, "-m", "videoforge.cli", "keys", *args],
        env=service.env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def children(pid: int) -> set[int]:
    """Direct children of `pid`, read from /proc."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(map(int, (task / "children").read_text().split()))
        except OSError:
            continue
    return found


def descendants(pid: int) -> set[int]:
    """All processes below `pid`, read from /proc."""
    found: set[int] = set()
    pending = [pid]
    while pending:
        current = pending.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    pending.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    living = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            living.add(pid)
    return living


def process_names(pids: set[int]) -> list[str]:
    names = []
    for pid in pids:
        try:
            names.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue
    return names


def send(pid: int, sig: int) -> None:
    os.kill(pid, sig)


def fetch_when_made(client: httpx.Client, url: str, timeout_s: float = 180) -> httpx.Response:
    """GET a storyboard until a worker has made it: 202 (with Retry-After) until then, never
    an error; the first other answer is returned."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = client.get(url)
        if response.status_code != 202:
            return response
        assert int(response.headers["retry-after"]) > 0
        assert "being made" in response.json()["detail"]
        assert time.monotonic() < deadline, f"{url} still not made after {timeout_s} s"
        time.sleep(0.5)
