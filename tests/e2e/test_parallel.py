"""One video across many workers, end to end on one machine (`videoforge serve`, two pool
processes): a split HLS job is one continuous stream with its progress summed over its
items, a cancel stops every item and leaves none of them stored, and a ladder is refused.
The same across simulated hosts, with a host killed mid-chunk and VMAF at the joins, is in
tests/topology/test_parallel_hosts.py."""

from __future__ import annotations

import time
from pathlib import Path

from tests.e2e.continuity import check_continuous, join_segments
from tests.e2e.service import Service, descendants, process_names, upload, wait_for
from videoforge.media.binaries import FFmpegBinaries


def test_a_split_hls_job_is_one_continuous_stream(
    service: Service, minute_clip: Path, binaries: FFmpegBinaries, tmp_path: Path
) -> None:
    with service.client() as client:
        file_id = upload(client, minute_clip, "split.mp4")["file_id"]
        body = {"format": "hls", "resolution": "640:360", "parallel": True}
        task = client.post(f"/videos/transcode/{file_id}", json=body).json()
        final, seen = wait_for(client, task["task_id"], timeout_s=300)
        assert final["state"] == "SUCCESS", final
        result = final["result"]
        # 60 s in chunks of 30 s (the default), and the audio encoded once beside them.
        assert [(c["start_s"], c["duration_s"]) for c in result["chunks"]] == [(0, 30), (30, 30)]
        assert all(c["attempts"] == 1 for c in result["chunks"])
        assert result["resumed_from_s"] == 0 and result["workers"]
        percents = [s["progress"]["percent"] for s in seen if s.get("progress")]
        assert percents == sorted(percents), percents  # summed over the items, never back
        joined = tmp_path / "joined.ts"
        playlist = join_segments(client, f"/videos/stream/{task['output_name']}", joined)
        assert playlist.is_endlist and len(playlist.segments) == 10
        assert all(abs(s.duration - 6) < 0.01 for s in playlist.segments)
        check_continuous(binaries, joined, 60, resumed_s=30, primings=0)


def test_cancelling_a_split_job_stops_every_item_and_keeps_none(
    service: Service, minute_clip: Path
) -> None:
    assert service.process is not None
    with service.client() as client:
        file_id = upload(client, minute_clip, "split-cancelled.mp4")["file_id"]
        body = {"format": "mp4", "resolution": "1280:720", "parallel": True}
        task_id = client.post(f"/videos/transcode/{file_id}", json=body).json()["task_id"]
        items = service.data_dir / "objects" / "chunks" / task_id

        def encoders() -> list[str]:
            names = process_names(descendants(service.process.pid))  # type: ignore[union-attr]
            return [name for name in names if "ffmpeg" in name and task_id[:8] in name]

        deadline = time.monotonic() + 300
        # Both pool processes encode one of its chunks at once, the audio already stored.
        while len(encoders()) < 2 or not items.is_dir() or not any(items.iterdir()):
            status = client.get(f"/videos/task/{task_id}").json()
            assert status["state"] not in ("SUCCESS", "FAILURE"), status
            assert time.monotonic() < deadline, (encoders(), status)
            time.sleep(0.1)
        assert client.post(f"/videos/task/{task_id}/cancel").status_code == 200
        deadline = time.monotonic() + 60
        while encoders() or (items.is_dir() and any(items.iterdir())):
            assert time.monotonic() < deadline, (encoders(), list(items.glob("*")))
            time.sleep(0.2)
        assert client.get(f"/videos/task/{task_id}").json()["state"] == "REVOKED"


def test_a_ladder_is_not_split(service: Service, minute_clip: Path) -> None:
    with service.client() as client:
        file_id = upload(client, minute_clip, "split-ladder.mp4")["file_id"]
        before = client.get("/videos/tasks").json()["total"]
        for body in ({"format": "dash", "parallel": True},
                     {"format": "hls", "ladder": "auto", "parallel": True}):  # fmt: skip
            answer = client.post(f"/videos/transcode/{file_id}", json=body)
            assert answer.status_code == 422, answer.text
            assert "parallel splits one rendition" in answer.json()["detail"]
        assert client.get("/videos/tasks").json()["total"] == before  # nothing queued
