"""What the outbox costs a job's writes: `JobStore.update` (the Lua script that checks the
record, writes it and appends the change's event with a snapshot of the record) against a
bare HSET of the same fields, on one embedded Valkey, interleaved in the same run.

Progress is the frequent write (about once a second per running job), so that is the one
timed. The ratio is what a job's bookkeeping costs in Redis now; both stay far below an
encode's own time.

    python bench/outbox_cost.py --writes 2000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))

from figures import Row

from videoforge.jobs.names import EVENTS_KEY, job_key
from videoforge.jobs.records import stamped_fields
from videoforge.jobs.store import JobStore
from videoforge.models import Job, JobState, OutputFormat, Progress
from videoforge.runtime.valkey import EmbeddedValkey
from videoforge.runtime.wiring import redis_client

ROUNDS = 5


def measure(writes: int) -> float:
    """Print the cost per write both ways; the ratio outbox/bare."""
    with tempfile.TemporaryDirectory() as folder:
        server = EmbeddedValkey(Path(folder))
        client = redis_client(server.start())
        try:
            jobs = JobStore(client)
            jobs.create(Job("bench", "f" * 32, "f_640x360_bench.mp4", "640:360",
                            OutputFormat.MP4, 640, 360))  # fmt: skip
            jobs.update("bench", state=JobState.STARTED)
            bare, outbox = [], []
            for _ in range(ROUNDS):  # interleaved, so a busy moment hits both alike
                bare.append(_timed(lambda n: _hset(client, n), writes))
                outbox.append(_timed(lambda n: _update(jobs, n), writes))
            events = client.xlen(EVENTS_KEY)
        finally:
            client.close()
            server.stop()
    base, with_events = statistics.median(bare), statistics.median(outbox)
    print(f"progress writes, median of {ROUNDS} rounds of {writes}")
    print(f"bare HSET                     {1e6 * base:7.1f} us/write")
    print(f"update + event (outbox)       {1e6 * with_events:7.1f} us/write   "
          f"{with_events / base:4.2f}x bare   ({events} events written)")  # fmt: skip
    return with_events / base


def rows(quick: bool) -> list[Row]:
    ratio = measure(writes=500 if quick else 2000)
    return [Row("outbox cost: update+event / bare HSET", f"{ratio:.2f}x", "(reported)", None)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=2000)
    measure(parser.parse_args().writes)


def _progress(n: int) -> Progress:
    return Progress(percent=n % 100, fps=30.0, speed=2.0, eta_seconds=10.0)


def _hset(client: redis.Redis, n: int) -> None:
    fields = stamped_fields({"state": JobState.PROGRESS, "progress": _progress(n)})
    client.hset(job_key("bench"), mapping=dict(zip(fields[::2], fields[1::2], strict=True)))


def _update(jobs: JobStore, n: int) -> None:
    assert jobs.update("bench", state=JobState.PROGRESS, progress=_progress(n))


def _timed(write: Callable[[int], None], count: int) -> float:
    started = time.perf_counter()
    for n in range(count):
        write(n)
    return (time.perf_counter() - started) / count


if __name__ == "__main__":
    main()
