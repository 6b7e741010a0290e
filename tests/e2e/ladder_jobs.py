"""The ladder jobs the test_ladder_* modules share, as session fixtures: tests/e2e/conftest.py
exposes them once, so each job runs once per session however many modules read it (a test
module must not import them itself: that would make its own copy and submit the jobs again)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_clip
from tests.e2e.ladder_checks import DashTrack, HlsLadder, dash_tracks, get, parse_mpd, read_hls
from tests.e2e.service import Service, submit, upload, wait_success
from videoforge.media.binaries import FFmpegBinaries


@pytest.fixture(scope="session")
def ladder_sources(
    tmp_path_factory: pytest.TempPathFactory, binaries: FFmpegBinaries
) -> dict[str, Path]:
    """A 1080p source long enough for two segments (6 s and 2 s), and one below every rung."""
    folder = tmp_path_factory.mktemp("ladder-clips")
    return {
        "full": make_clip(binaries, folder / "full.mp4", "1920x1080", 8),
        "tiny": make_clip(binaries, folder / "tiny.mp4", "176x144", 3),
    }


@pytest.fixture(scope="session")
def ladders(
    service: Service, ladder_sources: dict[str, Path], clips: dict[str, Path]
) -> dict[str, dict[str, Any]]:
    """The ladder jobs, submitted together (they share the worker's two slots):
    the 1080p source and the tiny one as CMAF with the auto ladder, and the 640x360 clip
    as an MPEG-TS HLS ladder."""
    with service.client() as client:
        ids = {name: upload(client, path)["file_id"] for name, path in ladder_sources.items()}
        ids["wide"] = upload(client, clips["wide"])["file_id"]
        tasks = {
            "full": submit(client, ids["full"], format="cmaf", ladder="auto"),
            "tiny": submit(client, ids["tiny"], format="cmaf", ladder="auto"),
            "ts": submit(client, ids["wide"], format="hls", ladder="auto", segment_format="ts"),
        }
        return {name: wait_success(client, task["task_id"]) for name, task in tasks.items()}


@pytest.fixture(scope="session")
def full_hls(service: Service, ladders: dict[str, dict[str, Any]]) -> HlsLadder:
    with service.client() as client:
        return read_hls(client, ladders["full"]["result"]["manifests"]["hls"])


@pytest.fixture(scope="session")
def full_dash(service: Service, ladders: dict[str, dict[str, Any]]) -> tuple[Any, list[DashTrack]]:
    url = ladders["full"]["result"]["manifests"]["dash"]
    with service.client() as client:
        mpd = parse_mpd(get(client, url, "application/dash+xml").text)
    return mpd, dash_tracks(mpd, url)
