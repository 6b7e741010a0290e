"""Where a job's time went: an attempt's phases on a monotonic clock, and the `timings` a
finished job records (seconds, to the millisecond)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# The phases of a transcode, in order; an import has `download` instead of fetch and encode.
PHASES = ("fetch", "probe", "encode", "publish")


class PhaseClock:
    """Named durations of one attempt's steps; a phase timed twice adds up."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self.now = now
        self.durations_s: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time the block as `name` (also when it raises, though then nobody reads it)."""
        started = self.now()
        try:
            yield
        finally:
            self.add(name, self.now() - started)

    def add(self, name: str, seconds: float) -> None:
        """Count `seconds` more of `name`."""
        self.durations_s[name] = self.durations_s.get(name, 0.0) + seconds


def job_timings(
    created_at: float, started_at: float, finished_at: float, phases_s: dict[str, float]
) -> dict[str, float]:
    """A finished job's timings: `queued` (from submission to the start of the attempt that
    finished, so a retried job's earlier attempts count as waiting), each phase of that
    attempt, and `total` (submission to finish). Clock skew never makes one negative."""
    timings = {"queued": started_at - created_at, **phases_s, "total": finished_at - created_at}
    return {name: round(max(0.0, seconds), 3) for name, seconds in timings.items()}
