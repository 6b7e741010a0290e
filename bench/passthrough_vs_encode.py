"""Passthrough against encode: the same fit 20 s 1080p30 H.264/AAC clip to 1080p MP4,
through `videoforge serve`, once copied (`passthrough: auto`) and once encoded
(`passthrough: never`), alternating. Prints the medians and their ratio. Target: < 0.15.

    python bench/passthrough_vs_encode.py --runs 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from figures import Row, below
from served import finish, serving, submit

# Keyframes every 2 s and a capped bitrate: fit to stream (see media/passthrough.py).
FIT = ("-preset", "veryfast", "-g", "60", "-sc_threshold", "0", "-maxrate", "6M",
       "-bufsize", "12M", "-profile:v", "high")  # fmt: skip
TARGET = 0.15


def timed_job(client: httpx.Client, file_id: str, passthrough: str) -> tuple[float, bool]:
    """Seconds from submit to SUCCESS, and whether the video was copied."""
    body = {"format": "mp4", "resolution": "1920:1080", "passthrough": passthrough}
    started = time.perf_counter()
    task_id = submit(client, file_id, body)
    status = finish(client, [task_id])[task_id]
    return time.perf_counter() - started, bool(status["result"]["video_passthrough"])


def measure(runs: int, seconds: int) -> float:
    """Print the runs; the ratio of the medians, copied/encoded."""
    with serving("1920x1080", seconds, FIT, WORKER_CONCURRENCY="1") as setup:
        client, file_id = setup.client, setup.file_id
        timed_job(client, file_id, "auto")  # warm-up
        copied_s, encoded_s = [], []
        for _ in range(runs):
            seconds_taken, copied = timed_job(client, file_id, "auto")
            if not copied:
                raise SystemExit("the fit clip was not passed through")
            copied_s.append(seconds_taken)
            encoded_s.append(timed_job(client, file_id, "never")[0])
    copy, encode = statistics.median(copied_s), statistics.median(encoded_s)
    print(f"clip: {seconds} s 1920x1080 30 fps H.264 High (keyframes every 2 s, <= 6 Mbit/s)"
          " + AAC")  # fmt: skip
    print(f"passthrough (copied):  {copy:6.2f} s   runs {[round(s, 2) for s in copied_s]}")
    print(f"encoded (never):       {encode:6.2f} s   runs {[round(s, 2) for s in encoded_s]}")
    print(f"ratio copy/encode:     {copy / encode:6.3f}   (target < {TARGET})")
    return copy / encode


def rows(quick: bool) -> list[Row]:
    ratio = measure(runs=1, seconds=8) if quick else measure(runs=3, seconds=20)
    return [below("passthrough / encode", ratio, TARGET)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=20, help="length of the clip")
    args = parser.parse_args()
    measure(args.runs, args.seconds)


if __name__ == "__main__":
    main()
