"""One attempt at a job, in its own scratch dir: check disk, fetch, probe, plan, transcode,
publish. This is the only place that knows the order of those steps."""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from videoforge import sources, workspace
from videoforge.engine import Engine
from videoforge.errors import MediaError, TransientError
from videoforge.jobs.lease import Guard
from videoforge.media import command, run
from videoforge.media.progress import ProgressParser
from videoforge.models import Job, JobState, MediaInfo, Progress
from videoforge.outputs import attempt_name
from videoforge.settings import Settings
from videoforge.storage import Storage, discard, output_key, source_key

PROGRESS_WRITE_INTERVAL_S = 1.0
# Room for the input, the output and ffmpeg's own files, relative to the input's size.
DISK_NEED_FACTOR = 3


@dataclass(frozen=True)
class Outcome:
    """What a successful attempt produced: the result for the record and the keys written."""

    result: dict[str, Any]
    published_name: str
    keys: list[str]


def run_attempt(job: Job, engine: Engine, guard: Guard, attempt_tag: str) -> Outcome:
    """Do the work of one attempt, publishing under the attempt's own names (see
    outputs.attempt_name); the scratch dir is removed on every exit path."""
    workdir = workspace.create(engine.settings.temp_dir, job.task_id)
    try:
        return _work(workdir, job, engine, guard, attempt_tag)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _work(workdir: Path, job: Job, engine: Engine, guard: Guard, attempt_tag: str) -> Outcome:
    source = workdir / "source"
    _check_disk(engine, job, workdir)
    engine.storage.fetch_file(source_key(job.file_id), source)
    binaries = engine.binaries
    media = sources.probe_checked(engine, source)
    encode = _encode_plan(job, media, source, engine.settings, attempt_tag)
    outdir = workdir / "out"
    outdir.mkdir()
    started = time.monotonic()
    run.run_ffmpeg(
        command.transcode_argv(binaries.ffmpeg, encode),
        cwd=outdir,
        binaries=binaries,
        on_progress_line=_progress_writer(job.task_id, media.duration_s, engine, guard),
        timeout_s=float(engine.settings.task_soft_time_limit_s),
    )
    encode_s = time.monotonic() - started
    guard.check(force=True)  # fencing: a cancelled or superseded attempt publishes nothing
    keys, size_bytes = publish(outdir, encode.output_name, engine.storage)
    result = {
        "status": "completed",
        "output_name": job.output_name,
        "format": job.format.value,
        "width": encode.width,
        "height": encode.height,
        "duration_s": media.duration_s,
        "size_bytes": size_bytes,
        "encode_seconds": round(encode_s, 2),
        "speed": round(media.duration_s / encode_s, 2) if encode_s > 0 else None,
    }
    return Outcome(result, encode.output_name, keys)


def _check_disk(engine: Engine, job: Job, workdir: Path) -> None:
    need = engine.storage.size(source_key(job.file_id)) * DISK_NEED_FACTOR
    need += engine.settings.min_free_disk_bytes
    free = shutil.disk_usage(workdir).free
    if free < need:
        # Another worker, or this one later, may have the room: worth a retry.
        raise TransientError(f"not enough disk space on this worker ({free} free, {need} needed)")


def _encode_plan(
    job: Job, media: MediaInfo, source: Path, settings: Settings, attempt_tag: str
) -> command.EncodePlan:
    return command.EncodePlan(
        input_path=source,
        stem=Path(attempt_name(job.output_name, attempt_tag)).stem,
        format=job.format,
        width=job.width,
        height=job.height,
        has_audio=media.audio_codec is not None,
        x264_preset=settings.x264_preset,
        max_pixels=settings.max_input_pixels,
    )


def _progress_writer(
    task_id: str, duration_s: float, engine: Engine, guard: Guard
) -> Callable[[str], None]:
    parser = ProgressParser(duration_s)
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
            engine.jobs.update(task_id, state=JobState.PROGRESS, progress=snapshot)

    return on_line


def publish(outdir: Path, main_name: str, storage: Storage) -> tuple[list[str], int]:
    """Upload every output file, the main one (playlist or video) last: once it is visible,
    everything it refers to already is. Returns the keys written and their total size."""
    files = sorted(p for p in outdir.iterdir() if p.is_file() and p.name != main_name)
    files.append(outdir / main_name)
    if not files[-1].is_file():
        raise MediaError(f"FFmpeg error: {main_name} was not produced")
    published: list[str] = []
    try:
        for path in files:
            storage.put_file(output_key(path.name), path)
            published.append(output_key(path.name))
    except BaseException:
        discard(storage, published)  # a failed attempt leaves nothing for readers to find
        raise
    return published, sum(path.stat().st_size for path in files)
