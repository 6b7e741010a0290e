"""An encode's progress, from FFmpeg's `-progress` lines to the job's record."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from videoforge.errors import TransientError
from videoforge.jobs.lease import Guard
from videoforge.jobs.store import JobStore
from videoforge.media.progress import ProgressParser
from videoforge.models import JobState, Progress

OnLine = Callable[[str], None]
PROGRESS_WRITE_INTERVAL_S = 1.0


def progress_writer(
    task_id: str, duration_s: float, jobs: JobStore, guard: Guard, done_s: float = 0.0
) -> OnLine:
    """What an encode does with each line of FFmpeg's progress: check the guard (a cancel
    kills FFmpeg), and write a snapshot at most every PROGRESS_WRITE_INTERVAL_S. `done_s`:
    what earlier attempts published (a resumed encode's FFmpeg counts from 0)."""
    parser = ProgressParser(duration_s, done_s)
    last_write = 0.0

    def on_line(line: str) -> None:
        nonlocal last_write
        guard.check()  # raising here unwinds through media.run, which kills ffmpeg's group
        snapshot: Progress | None = parser.feed(line)
        now = time.monotonic()
        if snapshot is None or now - last_write < PROGRESS_WRITE_INTERVAL_S:
            return
        if snapshot.percent >= 100:
            # ffmpeg's last block: the encode is done but publishing is not, and a PROGRESS
            # record at 100% would tell clients the job is finished. SUCCESS says that.
            return
        last_write = now
        # Progress is best effort: a Redis blip must not cost the transcode.
        with contextlib.suppress(TransientError):
            jobs.update(task_id, state=JobState.PROGRESS, progress=snapshot)

    return on_line
