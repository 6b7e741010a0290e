"""P2: one ladder job against the same rungs as separate jobs, through `videoforge serve`.

A 10 s 1080p30 clip becomes three rungs (1920:1080, 1280:720, 640:360) as HLS (fMP4):
once as one 3-rung ladder job (one decode, one process), once as three one-rung jobs
queued together, on one worker slot (WORKER_CONCURRENCY=1) so neither gets more cores.
Runs alternate; the medians and their ratio ladder/singles are printed. Target: <= 0.80.

    python bench/ladder_vs_singles.py --runs 2
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import make_clip
from tests.e2e.service import Service
from videoforge.media.binaries import locate

RUNGS = ["1920:1080", "1280:720", "640:360"]


def timed_jobs(client: httpx.Client, file_id: str, bodies: list[dict[str, object]]) -> float:
    """Submit every body at once; seconds until the last one succeeds."""
    started = time.perf_counter()
    tasks = [client.post(f"/videos/transcode/{file_id}", json=body).json()["task_id"]
             for body in bodies]  # fmt: skip
    pending = set(tasks)
    while pending:
        for task_id in list(pending):
            state = client.get(f"/videos/task/{task_id}").json()["state"]
            if state == "FAILURE":
                raise SystemExit(f"job {task_id} failed")
            if state == "SUCCESS":
                pending.discard(task_id)
        time.sleep(0.05)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    binaries = locate(os.environ.get("FFMPEG_PATH"), os.environ.get("FFPROBE_PATH"))
    ladder: list[dict[str, object]] = [{"format": "hls", "renditions": RUNGS}]
    singles: list[dict[str, object]] = [{"format": "hls", "renditions": [r]} for r in RUNGS]
    with tempfile.TemporaryDirectory(prefix="vf-bench-") as scratch:
        root = Path(scratch)
        clip = make_clip(binaries, root / "src.mp4", "1920x1080", 10,
                         extra=("-preset", "veryfast", "-crf", "23"))  # fmt: skip
        service = Service(root / "serve", WORKER_CONCURRENCY="1").start()
        try:
            with httpx.Client(base_url=service.url, timeout=120) as client:
                with clip.open("rb") as handle:
                    upload = client.post("/videos/upload", files={"file": handle}).json()
                file_id = upload["file_id"]
                timed_jobs(client, file_id, singles[-1:])  # warm-up
                ladder_s, singles_s = [], []
                for _ in range(args.runs):
                    ladder_s.append(timed_jobs(client, file_id, ladder))
                    singles_s.append(timed_jobs(client, file_id, singles))
        finally:
            service.stop()
    one, three = statistics.median(ladder_s), statistics.median(singles_s)
    print(f"clip: 10 s 1920x1080 30 fps -> HLS fMP4 rungs {', '.join(RUNGS)}, 1 worker slot")
    print(f"one 3-rung ladder job:   {one:6.2f} s   runs {[round(s, 2) for s in ladder_s]}")
    print(f"three 1-rung jobs:       {three:6.2f} s   runs {[round(s, 2) for s in singles_s]}")
    print(f"P2 ratio ladder/singles: {one / three:6.3f}   (target <= 0.80)")


if __name__ == "__main__":
    main()
