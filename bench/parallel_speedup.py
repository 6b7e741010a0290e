"""P7: one video across workers. A 2-minute 1080p clip to 1080p MP4 through `videoforge
serve` with FFMPEG_THREADS=1: the job on one worker slot as one encode (the baseline), the
same job split on one slot (what splitting costs: items, stores, the stitch), and split on
two slots (two workers of one thread each). Target: two workers >= 1.7x one.

Figures for docs/scaling.md come from the split runs: items, seconds per item, and the
split's overhead per chunk on one slot.

    python bench/parallel_speedup.py --seconds 120
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from figures import Row, at_least
from served import finish, serving, submit

TARGET = 1.7
SIZE = "1920x1080"


def timed(slots: int, seconds: int, parallel: bool) -> tuple[float, dict[str, Any]]:
    """Seconds from submit to SUCCESS of one job on a service of `slots` one-thread slots,
    and its result. Chunks of 30 s (the default), 6 s for a quick trial's short clip."""
    env = {"WORKER_CONCURRENCY": str(slots), "FFMPEG_THREADS": "1", "STORYBOARDS": "false",
           "CHUNK_SECONDS": "30" if seconds >= 120 else "6"}  # fmt: skip
    with serving(SIZE, seconds, (), **env) as setup:
        body = {"format": "mp4", "resolution": "1920:1080", "parallel": parallel,
                "passthrough": "never"}  # fmt: skip
        started = time.perf_counter()
        task_id = submit(setup.client, setup.file_id, body)
        status = finish(setup.client, [task_id])[task_id]
        return time.perf_counter() - started, status["result"]


def measure(seconds: int) -> tuple[float, float, int]:
    """The speed-up of two slots over one, the split's cost per chunk on one slot (s), and
    how many chunks there were."""
    whole_s, _ = timed(1, seconds, parallel=False)
    alone_s, alone = timed(1, seconds, parallel=True)
    pair_s, pair = timed(2, seconds, parallel=True)
    chunks = len(pair["chunks"])
    print(f"clip: {seconds} s {SIZE} 30 fps to 1080p MP4, libx264 veryfast, 1 thread per slot")
    print(f"one slot, one encode     {whole_s:7.1f} s")
    print(f"one slot, split          {alone_s:7.1f} s  ({len(alone['chunks'])} chunks + audio)")
    print(f"two slots, split         {pair_s:7.1f} s  workers {pair['workers']}")
    by_worker: dict[str, int] = {}
    for chunk in pair["chunks"]:
        by_worker[chunk["worker"]] = by_worker.get(chunk["worker"], 0) + 1
    print(f"chunks per worker        {by_worker}")
    return whole_s / pair_s, (alone_s - whole_s) / chunks, chunks


def rows(quick: bool) -> list[Row]:
    speedup, per_chunk_s, _ = measure(seconds=36 if quick else 120)
    return [
        at_least("P7 two workers / one (1 thread each)", speedup, TARGET, "x", digits=2),
        Row("P7 split cost per chunk on one worker", f"{per_chunk_s:.2f} s", "(reported)", None),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=120)
    args = parser.parse_args()
    speedup, per_chunk_s, chunks = measure(args.seconds)
    print(f"P7 speed-up {speedup:.2f}x (target >= {TARGET}x); split cost {per_chunk_s:.2f} s "
          f"per chunk over {chunks} chunks")  # fmt: skip


if __name__ == "__main__":
    main()
