"""Segments as the unit of work, end to end on a real service: an HLS output is playable
while it is encoded (an EVENT playlist whose every listed segment answers, VOD at the end),
and a worker killed (SIGKILL) halfway through leaves a job that resumes after its last
published segment, into one continuous stream with every frame."""

from __future__ import annotations

import itertools
import json
import os
import signal
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import m3u8
import pytest

from tests.conftest import make_clip
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
from videoforge.media.binaries import FFmpegBinaries

FPS = 30


@pytest.fixture(scope="module")
def minute_clip(tmp_path_factory: pytest.TempPathFactory, binaries: FFmpegBinaries) -> Path:
    """60 s of 720p test pattern (a frame counter in the picture) with a tone."""
    return make_clip(binaries, tmp_path_factory.mktemp("minute") / "minute.mp4", "1280x720", 60)


def playlist(client: httpx.Client, url: str) -> m3u8.M3U8:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"].endswith("no-cache")  # it changes while it grows
    return m3u8.loads(response.text)


def test_an_hls_job_is_playable_while_it_encodes_and_ends_vod(
    service: Service, minute_clip: Path
) -> None:
    with service.client() as client:
        file_id = upload(client, minute_clip)["file_id"]
        task = transcode(client, file_id, "640:360", "hls")
        growing: list[int] = []  # segments listed by each EVENT playlist seen
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            status = client.get(f"/videos/task/{task['task_id']}").json()
            if status["state"] in ("SUCCESS", "FAILURE"):
                break
            if status["playable"]:
                assert status["stream_url"] == f"/videos/stream/{task['output_name']}"
                live = playlist(client, status["stream_url"])
                if live.playlist_type == "event" and not live.is_endlist:
                    growing.append(len(live.segments))
                    for segment in live.segments:  # a listed segment is always there
                        answer = client.head(f"/videos/stream/{segment.uri}")
                        assert answer.status_code == 200, segment.uri
            time.sleep(0.3)
        assert status["state"] == "SUCCESS", status
        final = playlist(client, f"/videos/stream/{task['output_name']}")
    assert growing and growing[0] >= 1, "never saw the playlist while the job ran"
    assert growing == sorted(growing) and growing[-1] < len(final.segments)
    assert final.playlist_type == "vod" and final.is_endlist
    assert abs(sum(s.duration for s in final.segments) - 60) < 0.1
    assert status["result"]["resumed_from_s"] == 0


def celery_worker(service: Service) -> int:
    assert service.process is not None
    (worker,) = [
        pid for pid in children(service.process.pid) if "celery" in process_names({pid})[0]
    ]
    return worker


def test_a_worker_killed_mid_job_resumes_after_the_last_published_segment(
    tmp_path: Path, minute_clip: Path, binaries: FFmpegBinaries
) -> None:
    # One encoder thread, so the job is still running when it is half published.
    service = Service(tmp_path / "serve", JOB_THREADS="1", LEASE_TTL_S="3",
                      REAPER_INTERVAL_S="1").start()  # fmt: skip
    try:
        with service.client() as client:
            file_id = upload(client, minute_clip)["file_id"]
            task = transcode(client, file_id, "854:480", "hls")
            url = f"/videos/stream/{task['output_name']}"
            listed = 0
            deadline = time.monotonic() + 300
            while listed < 5:  # 30 s of the 60 published: kill now
                assert time.monotonic() < deadline, "the job never got halfway"
                status = client.get(f"/videos/task/{task['task_id']}").json()
                assert status["state"] in ("PENDING", "STARTED", "PROGRESS"), status
                if status["playable"]:
                    listed = len(playlist(client, url).segments)
                time.sleep(0.2)
            worker = celery_worker(service)
            tree = {worker, *descendants(worker)}
            os.kill(worker, signal.SIGKILL)
            deadline = time.monotonic() + 30
            while alive(tree) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert alive(tree) == set(), process_names(alive(tree))
            final, seen = wait_for(client, task["task_id"], timeout_s=300)
            assert final["state"] == "SUCCESS", final
            assert final["attempts"] == 2
            # Playable throughout: the published half stayed while nobody ran the job.
            assert all(s["playable"] for s in seen)
            resumed_s = final["result"]["resumed_from_s"]
            assert resumed_s >= 24, final["result"]
            joined = tmp_path / "joined.ts"
            done = playlist(client, url)
            with joined.open("wb") as out:
                for segment in done.segments:
                    answer = client.get(f"/videos/stream/{segment.uri}")
                    assert answer.status_code == 200
                    out.write(answer.content)
    finally:
        service.stop()
    assert done.is_endlist and done.playlist_type == "vod"
    assert len({segment.uri.rsplit("_", 1)[0] for segment in done.segments}) == 1  # one stem
    check_continuous(binaries, joined, resumed_s)


def packets(binaries: FFmpegBinaries, path: Path, stream: str) -> list[float]:
    """Presentation times of a stream's packets, in the order they are stored."""
    argv = [binaries.ffprobe, "-v", "error", "-select_streams", stream, "-show_entries",
            "packet=pts_time", "-of", "json", str(path)]  # fmt: skip
    out = subprocess.run(argv, check=True, capture_output=True, env=binaries.process_env).stdout
    found: list[dict[str, Any]] = json.loads(out)["packets"]
    return [float(p["pts_time"]) for p in found]


def check_continuous(binaries: FFmpegBinaries, joined: Path, resumed_s: float) -> None:
    """Every frame of 60 s at 30 fps, one frame apart throughout (across the joint too), and
    audio with no gap, and no overlap but the resumed encoder's priming frame, which lies
    exactly on the last published one."""
    video = sorted(packets(binaries, joined, "v:0"))  # stored in decoding order
    assert len(video) == 60 * FPS
    steps = [b - a for a, b in itertools.pairwise(video)]
    assert max(steps) < 1.5 / FPS and min(steps) > 0.5 / FPS, (min(steps), max(steps))
    audio = packets(binaries, joined, "a:0")
    steps = [b - a for a, b in itertools.pairwise(audio)]
    frame_s = statistics.median(steps)  # 1024 samples
    assert max(steps) < 1.01 * frame_s and min(steps) > -0.001, (min(steps), max(steps))
    assert sum(step < 0.5 * frame_s for step in steps) == 1  # the priming frame
    audio_span = audio[-1] + frame_s - audio[0]
    video_span = video[-1] + 1 / FPS - video[0]
    assert abs(audio_span - video_span) < 0.1, (audio_span, video_span)
    joint = min(range(len(video)), key=lambda i: abs(video[i] - video[0] - resumed_s))
    assert abs(video[joint] - video[0] - resumed_s) < 1 / FPS  # the joint is where it says


def test_a_cancelled_job_leaves_nothing_of_what_it_published(
    service: Service, minute_clip: Path
) -> None:
    with service.client() as client:
        file_id = upload(client, minute_clip, "cancelled.mp4")["file_id"]
        task = transcode(client, file_id, "640:360", "hls")
        deadline = time.monotonic() + 300
        while True:
            status = client.get(f"/videos/task/{task['task_id']}").json()
            assert status["state"] not in ("SUCCESS", "FAILURE"), status
            if status["playable"]:
                break
            assert time.monotonic() < deadline, "never playable"
            time.sleep(0.2)
        assert client.post(f"/videos/task/{task['task_id']}/cancel").status_code == 200
        stem = task["output_name"].removesuffix(".m3u8")
        outputs = service.data_dir / "objects" / "outputs"
        deadline = time.monotonic() + 60
        while list(outputs.glob(f"{stem}*")):  # the running attempt may add one, then goes
            assert time.monotonic() < deadline, sorted(p.name for p in outputs.glob(f"{stem}*"))
            time.sleep(0.2)
        final = client.get(f"/videos/task/{task['task_id']}").json()
        assert final["state"] == "REVOKED" and final["playable"] is False
        assert "stream_url" not in final
        assert client.get(f"/videos/stream/{task['output_name']}").status_code == 404
