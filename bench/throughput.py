"""Throughput: N independent short jobs on a worker with two job slots (WORKER_CONCURRENCY=2)
against the same FFmpeg commands run two at a time bare.

A 6 s 1280x720 clip to 640:360 MP4, N times: bare, the argv a 2-slot worker builds
(bench/transcode_overhead.py's bare_argv) on a pool of two threads, each running one FFmpeg at
a time; through the service, the clip uploaded once and N jobs submitted at once, timed until
all succeed. Runs alternate; the ratio of the medians service/bare. Target: <= 1.10.

    python bench/throughput.py --jobs 8 --runs 2
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from figures import Row, at_most
from served import ffmpeg, serving, timed_jobs
from transcode_overhead import bare_argv, run_bare

SLOTS = 2
BOX = "640:360"
TARGET = 1.10


def bare_batch(argv: list[str], jobs: int, root: Path) -> float:
    """Seconds `jobs` runs of `argv` take, two at a time, each in its own folder."""
    binaries = ffmpeg()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=SLOTS) as pool:
        list(pool.map(lambda n: run_bare(binaries, argv, root / f"bare{n}"), range(jobs)))
    return time.perf_counter() - started


def measure(jobs: int, runs: int, seconds: int) -> float:
    """Print the runs; the ratio of the medians, service/bare."""
    bodies = [{"resolution": BOX, "format": "mp4"}] * jobs
    with serving("1280x720", seconds, WORKER_CONCURRENCY=str(SLOTS)) as setup:
        client, file_id = setup.client, setup.file_id
        argv = bare_argv(ffmpeg(), setup.clip, BOX, concurrency=SLOTS)
        timed_jobs(client, file_id, bodies[:SLOTS])  # warm-up: both pool children
        bare_batch(argv, SLOTS, setup.root)  # and the bare runs' page cache
        bare_s, service_s = [], []
        for _ in range(runs):  # interleaved, so a busy moment hits both alike
            bare_s.append(bare_batch(argv, jobs, setup.root))
            service_s.append(timed_jobs(client, file_id, bodies))
    bare, served = statistics.median(bare_s), statistics.median(service_s)
    print(f"throughput: {jobs} jobs of {seconds} s 1280x720 -> {BOX} mp4, {SLOTS} at a time")
    print(f"bare ffmpeg, {SLOTS} at a time:  {bare:6.2f} s   runs {[round(s, 2) for s in bare_s]}")
    print(f"service, {SLOTS} job slots:      {served:6.2f} s   "
          f"runs {[round(s, 2) for s in service_s]}")  # fmt: skip
    print(f"ratio service/bare:          {served / bare:6.3f}   (target <= {TARGET})")
    return served / bare


def rows(quick: bool) -> list[Row]:
    ratio = measure(jobs=4, runs=1, seconds=3) if quick else measure(jobs=8, runs=2, seconds=6)
    return [at_most(f"throughput: jobs on {SLOTS} slots / bare {SLOTS} at a time", ratio, TARGET)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=6, help="length of the clip")
    args = parser.parse_args()
    measure(args.jobs, args.runs, args.seconds)


if __name__ == "__main__":
    main()
