"""P3: how soon an HLS job can be watched. A 60 s 720p clip to 720p HLS, and to a CMAF auto
ladder (four rungs), through `videoforge serve` (one worker slot): seconds from submit until
the task says playable and its first listed segment answers (a ladder's: that of its first
rung's playlist), against seconds until SUCCESS. Target: <= 0.25 of the job's time.

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

from videoforge.media.manifests import hls_variants
from videoforge.segments.playlist import listed_segments

TARGET = 0.25
SINGLE = {"format": "hls", "resolution": "1280:720"}
LADDER = {"format": "cmaf", "ladder": "auto"}


def first_listed(client: httpx.Client, url: str) -> str | None:
    """The first segment a playlist lists (through a master's first rung), as a URL."""
    text = client.get(url).text
    variants = hls_variants(text)
    if variants:
        text = client.get(f"/videos/stream/{variants[0]['playlist']}").text
    listed = listed_segments(text)
    return f"/videos/stream/{listed[0].uri}" if listed else None


def first_segment_s(
    client: httpx.Client, file_id: str, body: dict[str, str]
) -> tuple[float, float]:
    """Seconds until the first segment can be fetched, and until SUCCESS."""
    started = time.perf_counter()
    task_id = submit(client, file_id, body)
    first = None
    while True:
        status = client.get(f"/videos/task/{task_id}").json()
        if status["state"] in ("FAILURE", "REVOKED"):
            raise SystemExit(f"job {task_id} ended {status['state']}: {status.get('error')}")
        if first is None and status.get("playable"):
            segment = first_listed(client, status["stream_url"])
            if segment and client.head(segment).status_code == 200:
                first = time.perf_counter() - started
        if status["state"] == "SUCCESS":
            total = time.perf_counter() - started
            return (first if first is not None else total), total
        time.sleep(POLL_S)


def measure(runs: int, seconds: int, body: dict[str, str]) -> float:
    """Print the runs; the median of first-segment time / job time."""
    with serving("1280x720", seconds, WORKER_CONCURRENCY="1") as setup:
        runs_s = [first_segment_s(setup.client, setup.file_id, body) for _ in range(runs)]
    ratios = [first / total for first, total in runs_s]
    print(f"clip: {seconds} s 1280x720 30 fps to {body} (6 s segments)")
    for first, total in runs_s:
        print(f"first segment playable {first:6.2f} s   job {total:6.2f} s   "
              f"ratio {first / total:.3f}")  # fmt: skip
    return statistics.median(ratios)


def rows(quick: bool) -> list[Row]:
    runs, seconds = (1, 30) if quick else (3, 60)
    return [
        at_most("P3 first segment playable / job time", measure(runs, seconds, SINGLE), TARGET),
        at_most("P3 ladder: first segment / job time", measure(runs, seconds, LADDER), TARGET),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    for name, body in (("HLS", SINGLE), ("CMAF ladder", LADDER)):
        ratio = measure(args.runs, args.seconds, body)
        print(f"P3 {name} median {ratio:.3f} (target <= {TARGET})")


if __name__ == "__main__":
    main()
