"""P2: one ladder job against the same rungs as separate jobs, through `videoforge serve`.

A 10 s 1080p30 clip becomes three rungs (1920:1080, 1280:720, 640:360) as HLS (fMP4):
once as one 3-rung ladder job (one decode, one process), once as three one-rung jobs
queued together, on one worker slot (WORKER_CONCURRENCY=1) so neither gets more cores.
Runs alternate; the medians and their ratio ladder/singles are printed. Target: <= 0.80.

    python bench/ladder_vs_singles.py --runs 2
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from figures import Row, at_most
from served import serving, timed_jobs

VERYFAST = ("-preset", "veryfast", "-crf", "23")
RUNGS = ["1920:1080", "1280:720", "640:360"]
TARGET = 0.80


def measure(runs: int, seconds: int) -> float:
    """Print the runs; the ratio of the medians, ladder/singles."""
    ladder: list[dict[str, Any]] = [{"format": "hls", "renditions": RUNGS}]
    singles: list[dict[str, Any]] = [{"format": "hls", "renditions": [r]} for r in RUNGS]
    with serving("1920x1080", seconds, VERYFAST, WORKER_CONCURRENCY="1") as setup:
        timed_jobs(setup.client, setup.file_id, singles[-1:])  # warm-up
        ladder_s, singles_s = [], []
        for _ in range(runs):
            ladder_s.append(timed_jobs(setup.client, setup.file_id, ladder))
            singles_s.append(timed_jobs(setup.client, setup.file_id, singles))
    one, three = statistics.median(ladder_s), statistics.median(singles_s)
    print(f"P2: {seconds} s 1920x1080 30 fps -> HLS fMP4 rungs {', '.join(RUNGS)}, 1 worker slot")
    print(f"one 3-rung ladder job:   {one:6.2f} s   runs {[round(s, 2) for s in ladder_s]}")
    print(f"three 1-rung jobs:       {three:6.2f} s   runs {[round(s, 2) for s in singles_s]}")
    print(f"P2 ratio ladder/singles: {one / three:6.3f}   (target <= {TARGET})")
    return one / three


def rows(quick: bool) -> list[Row]:
    ratio = measure(runs=1, seconds=4) if quick else measure(runs=2, seconds=10)
    return [at_most("P2 ladder job / three single jobs", ratio, TARGET)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10, help="length of the clip")
    args = parser.parse_args()
    measure(args.runs, args.seconds)


if __name__ == "__main__":
    main()
