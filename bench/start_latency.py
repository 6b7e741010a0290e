"""P6: how long a job waits between its submission and its start on an idle worker, from the
job's own timestamps (`started_at - created_at` in GET /videos/task/{id}).

Starts `videoforge serve`, uploads a 1 s 160x120 clip, then submits `--jobs` tiny MP4 jobs
one after another, each once the one before has finished (so the worker is idle).
Targets: p50 < 10 ms, p99 < 50 ms.

    python bench/start_latency.py --jobs 50
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from figures import Row, below
from served import finish, serving, submit

TINY = {"resolution": "160:120", "format": "mp4"}


def measure(jobs: int) -> list[float] | None:
    """Print the spread; each job's wait in ms, or None if the status has no `started_at`."""
    with serving("160x120", 1) as setup:
        client, file_id = setup.client, setup.file_id
        finish(client, [submit(client, file_id, TINY)])  # warm-up: worker, page cache
        statuses = []
        for _ in range(jobs):
            task_id = submit(client, file_id, TINY)
            statuses.append(finish(client, [task_id])[task_id])
    if any(status.get("started_at") is None for status in statuses):
        print("P6: the task status has no started_at; nothing to measure")
        return None
    waits = sorted(1e3 * (s["started_at"] - s["created_at"]) for s in statuses)
    print(f"P6: submit -> started over {jobs} jobs on an idle worker (ms): "
          f"min {waits[0]:.1f}, p50 {p50(waits):.1f}, p99 {p99(waits):.1f}, "
          f"max {waits[-1]:.1f}")  # fmt: skip
    return waits


def p50(values: list[float]) -> float:
    return statistics.median(values)


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def rows(quick: bool) -> list[Row]:
    waits = measure(jobs=10 if quick else 50)
    if waits is None:
        missing = "no started_at"
        return [Row("P6 submit -> started p50", missing, "< 10 ms", False),
                Row("P6 submit -> started p99", missing, "< 50 ms", False)]  # fmt: skip
    return [
        below("P6 submit -> started p50", p50(waits), 10, " ms", digits=1),
        below("P6 submit -> started p99", p99(waits), 50, " ms", digits=1),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=50)
    measure(parser.parse_args().jobs)


if __name__ == "__main__":
    main()
