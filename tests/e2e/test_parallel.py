"""One video across many workers, end to end on one machine (`videoforge serve`, two pool
processes): a split HLS job is one continuous stream with its progress summed over its
items, a cancel stops every item and leaves none of them stored, and a split CMAF ladder is
packaged from each rung's joined chunks.
The same across simulated hosts, with a host killed mid-chunk and VMAF at the joins, is in
tests/topology/test_parallel_hosts.py."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

from tests.e2e.continuity import FPS, check_continuous, join_segments, packets
from tests.e2e.ladder_checks import read_hls
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
            # The attempt reads its fetched copy (in its scratch dir), a helper the stored file.
            ours = (task_id[:8], file_id)
            return [name for name in names if "ffmpeg" in name and any(o in name for o in ours)]

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


def test_a_split_cmaf_ladder_is_packaged_from_each_rungs_joined_chunks(
    service: Service, minute_clip: Path, binaries: FFmpegBinaries, tmp_path: Path
) -> None:
    with service.client() as client:
        file_id = upload(client, minute_clip, "split-ladder.mp4")["file_id"]
        body = {"format": "cmaf", "renditions": ["640:360", "320:180"], "parallel": True}
        task = client.post(f"/videos/transcode/{file_id}", json=body).json()
        final, _ = wait_for(client, task["task_id"], timeout_s=300)
        assert final["state"] == "SUCCESS", final
        result = final["result"]
        assert [(c["start_s"], c["duration_s"]) for c in result["chunks"]] == [(0, 30), (30, 30)]
        assert [(r["width"], r["height"]) for r in result["renditions"]] == [(640, 360),
                                                                           (320, 180)]  # fmt: skip
        ladder = read_hls(client, result["manifests"]["hls"])
        assert ladder.audio is not None and len(ladder.variants) == 2
        for _, track in ladder.variants:  # each rung: every frame, one frame apart
            assert all(abs(s.duration_s - 6) < 0.01 for s in track.segments)
            whole = tmp_path / "rung.mp4"
            whole.write_bytes(track.whole())
            video = sorted(packets(binaries, whole, "v:0"))
            assert len(video) == 60 * FPS
            steps = [b - a for a, b in itertools.pairwise(video)]
            assert max(steps) < 1.5 / FPS and min(steps) > 0.5 / FPS, (min(steps), max(steps))
        mpd = client.get(result["manifests"]["dash"])  # a URL, as the API gives it
        assert mpd.status_code == 200 and 'type="static"' in mpd.text
