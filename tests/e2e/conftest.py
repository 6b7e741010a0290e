"""One real `videoforge serve` (embedded Valkey, Celery worker, FFmpeg) for the e2e suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import make_clip
from tests.e2e.ladder_jobs import full_dash, full_hls, ladder_sources, ladders
from tests.e2e.service import Service, transcode, upload, wait_for
from videoforge.media.binaries import FFmpegBinaries

# The ladder jobs the test_ladder_* modules share, exposed here once so that each runs once.
__all__ = ["full_dash", "full_hls", "ladder_sources", "ladders"]  # fixtures, used by name


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    running = Service(tmp_path_factory.mktemp("serve"), WORKER_CONCURRENCY="2").start()
    yield running
    running.stop()


# Webhooks to a receiver on loopback, retried quickly.
FAST_RETRIES = {
    "WEBHOOK_ALLOW_PRIVATE": "true",
    "WEBHOOK_RETRY_BASE_S": "0.5",
    "WEBHOOK_RETRY_MAX_S": "2",
    "WEBHOOK_HOLD_S": "5",
    "WEBHOOK_TIMEOUT_S": "3",
}


@pytest.fixture(scope="session")
def hooked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A service whose webhooks may reach loopback (the test receivers)."""
    running = Service(tmp_path_factory.mktemp("hooked"), **FAST_RETRIES).start()
    yield running
    running.stop()


@pytest.fixture
def client(service: Service) -> Iterator[httpx.Client]:
    with service.client() as http:
        yield http


@pytest.fixture(scope="session")
def uploaded(service: Service, clips: dict[str, Path]) -> dict[str, dict[str, Any]]:
    """Each clip uploaded once."""
    with service.client() as http:
        return {name: upload(http, path) for name, path in clips.items()}


@pytest.fixture(scope="session")
def finished(service: Service, uploaded: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The wide clip transcoded to every format (box 1280:720, so no upscale: 640x360)."""
    file_id = uploaded["wide"]["file_id"]
    with service.client() as http:
        tasks = {fmt: transcode(http, file_id, "1280:720", fmt) for fmt in ("hls", "mp4", "webm")}
        return {fmt: wait_for(http, task["task_id"])[0] for fmt, task in tasks.items()}


@pytest.fixture(scope="session")
def long_hls(service: Service, uploaded: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The 12 s clip as HLS: long enough for several segments."""
    with service.client() as http:
        task = transcode(http, uploaded["long"]["file_id"], "640:360", "hls")
        return wait_for(http, task["task_id"], timeout_s=180)[0]


@pytest.fixture(scope="session")
def minute_clip(tmp_path_factory: pytest.TempPathFactory, binaries: FFmpegBinaries) -> Path:
    """60 s of 720p test pattern (a frame counter in the picture) with a tone."""
    return make_clip(binaries, tmp_path_factory.mktemp("minute") / "minute.mp4", "1280x720", 60)
