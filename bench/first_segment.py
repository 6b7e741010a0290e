"""P3: how soon an HLS job can be watched. A 60 s 720p clip to 720p HLS through `videoforge
serve` (one worker slot): seconds from submit until the task says playable and its first
listed segment answers, against seconds until SUCCESS. Target: <= 0.25 of the job's time.

    python bench/first_segment.py --runs 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from figures import Row, at_most
from served import POLL_S, serving, submit

from videoforge.segments.playlist import listed_segments

TARGET = 0.25


def first_segment_s(client: httpx.Client, file_id: str) -> tuple[float, float]:
    """Seconds until the first segment can be fetched, and until SUCCESS."""
    started = time.perf_counter()
    task_id = submit(client, file_id, {"format": "hls", "resolution": "1280:720"})
    first = None
    while True:
        status = client.get(f"/videos/task/{task_id}").json()
        if status["state"] in ("FAILURE", "REVOKED"):
            raise SystemExit(f"job {task_id} ended {status['state']}: {status.get('error')}")
        if first is None and status.get("playable"):
            listed = listed_segments(client.get(status["stream_url"]).text)
            if listed and client.head(f"/videos/stream/{listed[0].uri}").status_code == 200:
                first = time.perf_counter() - started
        if status["state"] == "SUCCESS":
            total = time.perf_counter() - started
            return (first if first is not None else total), total
        time.sleep(POLL_S)


def measure(runs: int, seconds: int) -> float:
    """Print the runs; the median of first-segment time / job time."""
    with serving("1280x720", seconds, WORKER_CONCURRENCY="1") as setup:
        runs_s = [first_segment_s(setup.client, setup.file_id) for _ in range(runs)]
    ratios = [first / total for first, total in runs_s]
    print(f"clip: {seconds} s 1280x720 30 fps to 720p HLS (6 s segments)")
    for first, total in runs_s:
        print(f"first segment playable {first:6.2f} s   job {total:6.2f} s   "
              f"ratio {first / total:.3f}")  # fmt: skip
    return statistics.median(ratios)


def rows(quick: bool) -> list[Row]:
    ratio = measure(runs=1, seconds=30) if quick else measure(runs=3, seconds=60)
    return [at_most("P3 first segment playable / job time", ratio, TARGET)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    print(f"P3 median {measure(args.runs, args.seconds):.3f} (target <= {TARGET})")


if __name__ == "__main__":
    main()
