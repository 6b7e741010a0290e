"""Jobs through `videoforge serve`, as the benchmarks time them: a service with a test clip
uploaded, then submit bodies and follow them (event streams, or polls every 50 ms) until
they end."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import make_clip
from tests.e2e.service import Service
from videoforge.media.binaries import FFmpegBinaries, locate

POLL_S = 0.05


@dataclass(frozen=True)
class Served:
    root: Path  # a scratch folder, removed at the end
    clip: Path
    url: str
    client: httpx.Client
    file_id: str  # the clip, uploaded


@contextmanager
def serving(
    size: str, seconds: float, clip_args: tuple[str, ...] = (), **env: str
) -> Iterator[Served]:
    """A test clip of `size` ("WxH") and `seconds` (make_clip, with `clip_args` for the
    encoder), `videoforge serve` on a free port with `env` as settings, the clip uploaded."""
    with tempfile.TemporaryDirectory(prefix="vf-bench-") as scratch:
        root = Path(scratch)
        clip = make_clip(ffmpeg(), root / "src.mp4", size, seconds, extra=clip_args)
        service = Service(root / "serve", **env).start()
        try:
            with httpx.Client(base_url=service.url, timeout=120) as client:
                file_id = upload(client, clip)
                settle(client, file_id)
                yield Served(root, clip, service.url, client, file_id)
        finally:
            service.stop()


def ffmpeg() -> FFmpegBinaries:
    """The FFmpeg the service finds: FFMPEG_PATH and FFPROBE_PATH, else the bundled one."""
    return locate(os.environ.get("FFMPEG_PATH"), os.environ.get("FFPROBE_PATH"))


def upload(client: httpx.Client, clip: Path) -> str:
    """Upload a clip; its file id."""
    with clip.open("rb") as handle:
        answer = client.post("/videos/upload", files={"file": handle})
    if answer.status_code != 200:
        raise SystemExit(f"upload answered {answer.status_code}: {answer.text[:300]}")
    file_id: str = answer.json()["file_id"]
    return file_id


def settle(client: httpx.Client, file_id: str) -> None:
    """Wait until the upload's own background work (its storyboard) is done, so that it
    does not run inside a later measurement. Asking for it queues it at once."""
    while client.get(f"/videos/{file_id}/storyboard.json").status_code == 202:
        time.sleep(POLL_S)


def submit(client: httpx.Client, file_id: str, body: dict[str, Any]) -> str:
    """Queue a transcode; its task id."""
    answer = client.post(f"/videos/transcode/{file_id}", json=body)
    if answer.status_code != 200:
        raise SystemExit(f"transcode answered {answer.status_code}: {answer.text[:300]}")
    task_id: str = answer.json()["task_id"]
    return task_id


def finish(client: httpx.Client, task_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Wait until every task has succeeded; their last statuses. Exits if one fails. One
    task is followed over its event stream; several are polled through one page of the
    newest tasks per poll, so a batch costs the service no more polling than one job does."""
    pending, done = set(task_ids), {}
    while pending:
        for status in _statuses(client, pending):
            task_id = status["task_id"]
            if status["state"] in ("FAILURE", "REVOKED"):
                raise SystemExit(f"job {task_id} ended {status['state']}: {status.get('error')}")
            if status["state"] == "SUCCESS":
                pending.discard(task_id)
                done[task_id] = status
        if pending:
            time.sleep(POLL_S)
    return done


def _statuses(client: httpx.Client, task_ids: set[str]) -> list[dict[str, Any]]:
    if len(task_ids) == 1:
        return [_followed(client, next(iter(task_ids)))]
    page = client.get("/videos/tasks", params={"limit": 100}).json()["items"]
    return [status for status in page if status["task_id"] in task_ids]


def _followed(client: httpx.Client, task_id: str) -> dict[str, Any]:
    """One task followed over its event stream (as a client waiting on it would: the end is
    seen within milliseconds, with no polling); its last status."""
    last: dict[str, Any] = {}
    with client.stream("GET", f"/videos/task/{task_id}/events") as response:
        for line in response.iter_lines():
            if line.startswith("data:"):
                last = json.loads(line.removeprefix("data:"))
    return last


def timed_jobs(client: httpx.Client, file_id: str, bodies: list[dict[str, Any]]) -> float:
    """Submit every body at once; seconds until the last one succeeds."""
    started = time.perf_counter()
    finish(client, [submit(client, file_id, body) for body in bodies])
    return time.perf_counter() - started
