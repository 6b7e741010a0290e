"""Segments as the unit of work, end to end on a real service: an HLS output is playable
while it is encoded (an EVENT playlist whose every listed segment answers, ended with
EXT-X-ENDLIST),
and a worker killed (SIGKILL) halfway through leaves a job that resumes after its last
published segment, into one continuous stream with every frame."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import m3u8

from tests.e2e.continuity import check_continuous, join_segments
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


def playlist(client: httpx.Client, url: str) -> m3u8.M3U8:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"].endswith("no-cache")  # it changes while it grows
    return m3u8.loads(response.text)


def test_an_hls_job_is_playable_while_it_encodes_and_then_ends(
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
    # RFC 8216 6.2.1: an EVENT playlist only grows; its end is EXT-X-ENDLIST, not a new type.
    assert final.playlist_type == "event" and final.is_endlist
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
            done = join_segments(client, url, tmp_path / "joined.ts")
    finally:
        service.stop()
    assert done.is_endlist and done.playlist_type == "event"
    assert len({segment.uri.rsplit("_", 1)[0] for segment in done.segments}) == 1  # one stem
    check_continuous(binaries, tmp_path / "joined.ts", 60, resumed_s)


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
