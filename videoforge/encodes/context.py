"""What an attempt's encode works from, and the one way it runs FFmpeg."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from videoforge.engine import Engine
from videoforge.jobs.lease import Guard
from videoforge.media import run
from videoforge.models import Job, MediaInfo
from videoforge.segments.chunks import ChunkPlan
from videoforge.segments.resume import LivePlan

OnLine = Callable[[str], None]
# An attempt's scratch dir: the fetched source, and what is published from OUT_DIR.
SOURCE_FILE = "source"
OUT_DIR = "out"


@dataclass(frozen=True)
class Copy:
    """What an attempt copies from the source instead of encoding (passthrough)."""

    video: bool = False
    audio: bool = False


@dataclass(frozen=True)
class Encode:
    """What the encode of one attempt works from."""

    job: Job
    media: MediaInfo
    workdir: Path
    stem: str
    engine: Engine
    on_progress: OnLine
    copy: Copy
    guard: Guard
    live: LivePlan | None = None
    split: ChunkPlan | None = None


def run_ffmpeg(argv: list[str], cwd: Path, engine: Engine, on_progress: OnLine) -> None:
    timeout_s = float(engine.settings.task_soft_time_limit_s)
    run.run_ffmpeg(argv, cwd, engine.binaries, on_progress, timeout_s)
