"""A one-rendition HLS job on the production topology (SeaweedFS, Valkey, an API, two
workers): published segment by segment into S3 while it is encoded, and resumed by the
other worker after its worker is SIGKILLed, into one continuous stream."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import m3u8

from tests.conftest import make_clip
from tests.e2e.continuity import check_continuous, join_segments
from tests.e2e.service import alive, transcode, upload, wait_for
from tests.topology.cluster import kill_tree
from tests.topology.conftest import Faulty
from videoforge.media.binaries import FFmpegBinaries

SECONDS = 36  # six segments


def test_a_killed_worker_s_hls_job_resumes_on_the_other_from_s3(
    make_cluster: Callable[..., tuple[Faulty, httpx.Client]],
    binaries: FFmpegBinaries,
    tmp_path: Path,
) -> None:
    # One encoder thread each, so the job is still running when it is partly published.
    cluster, client = make_cluster(JOB_THREADS="1")
    clip = make_clip(binaries, tmp_path / "clip.mp4", "1280x720", SECONDS)
    file_id = upload(client, clip)["file_id"]
    task = transcode(client, file_id, "640:360", "hls")
    url = f"/videos/stream/{task['output_name']}"
    deadline = time.monotonic() + 300
    while True:  # two segments in S3: kill the worker that made them
        status = client.get(f"/videos/task/{task['task_id']}").json()
        assert status["state"] in ("PENDING", "STARTED", "PROGRESS"), status
        if status["playable"] and len(m3u8.loads(client.get(url).text).segments) >= 2:
            break
        assert time.monotonic() < deadline, "the job never got two segments out"
        time.sleep(0.2)
    victim_name = status["worker"]
    tree = kill_tree(cluster.workers[victim_name.split("@")[0]])
    final, _ = wait_for(client, task["task_id"], timeout_s=300)
    assert final["state"] == "SUCCESS", final
    assert final["worker"] != victim_name and final["attempts"] == 2
    resumed_s = final["result"]["resumed_from_s"]
    assert resumed_s >= 12, final["result"]
    done = join_segments(client, url, tmp_path / "joined.ts")
    assert done.is_endlist and done.playlist_type == "event"
    assert alive(tree) == set()
    check_continuous(binaries, tmp_path / "joined.ts", SECONDS, resumed_s)
