"""The one transcoding pipeline: fetch, probe, plan, transcode, publish.

Both executors (Celery task, in-process threads) are thin adapters over `run_job`. It is the
only place that knows the order of the steps and which failures are worth another attempt.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from videoforge import logs, workspace
from videoforge.errors import MediaError, TransientError, VideoforgeError
from videoforge.jobs.store import JobStore
from videoforge.media import command, plan, run
from videoforge.media.binaries import FFmpegBinaries
from videoforge.media.progress import ProgressParser
from videoforge.metrics import JobMetrics
from videoforge.models import Job, JobState, MediaInfo, Progress
from videoforge.settings import Settings
from videoforge.storage import Storage, output_key, source_key

log = logging.getLogger(__name__)

PROGRESS_WRITE_INTERVAL_S = 1.0


@dataclass(frozen=True)
class Engine:
    """What a pipeline run needs; built once per process by `wiring`."""

    settings: Settings
    storage: Storage
    jobs: JobStore
    binaries: FFmpegBinaries
    metrics: JobMetrics
    # Exceptions an executor raises into a job when its own time limit expires.
    timeout_errors: tuple[type[BaseException], ...] = ()


@dataclass(frozen=True)
class RetryLater:
    """run_job's answer when a transient failure deserves another attempt."""

    delay_s: float


def retry_delay_s(attempt: int) -> float:
    """Exponential backoff between attempts: 5, 10, 20 ... capped at 60 seconds."""
    return float(min(60, 5 * 2 ** (attempt - 1)))


class Interrupted(BaseException):
    """Raised inside a running job when its executor is shutting down."""


def run_job(
    task_id: str, engine: Engine, stop: threading.Event | None = None, worker: str | None = None
) -> RetryLater | None:
    """Run one attempt of a job and record its outcome; ask for a retry when that may help.

    `stop`, when set, interrupts the attempt (ffmpeg is killed) and returns the job to the
    queue without counting the attempt. `worker` names who runs it, for the record.
    """
    try:
        return _run(task_id, engine, stop, worker)
    except TransientError as exc:
        # The job store itself is unreachable, so nothing can be recorded: try again later.
        log.warning("task %s could not be run (%s); retry later", task_id, exc.message)
        return RetryLater(retry_delay_s(1))


def _run(
    task_id: str, engine: Engine, stop: threading.Event | None, worker: str | None
) -> RetryLater | None:
    job = engine.jobs.get(task_id)
    with logs.job_context(task_id, job.file_id):
        return _run_attempt(job, engine, stop, worker)


def _run_attempt(
    job: Job, engine: Engine, stop: threading.Event | None, worker: str | None
) -> RetryLater | None:
    task_id = job.task_id
    if job.state.is_terminal:
        log.info("task %s already %s; duplicate delivery ignored", task_id, job.state)
        return None
    attempt = engine.jobs.start_attempt(task_id)
    if attempt > engine.settings.max_retries:
        # Only redeliveries get here (a worker lost mid-job, e.g. OOM-killed): stop the loop.
        _fail(job, engine, f"gave up after {attempt - 1} attempts: the worker running it was lost")
        return None
    engine.jobs.update(task_id, state=JobState.STARTED, progress=None, worker=worker)
    log.info("task %s file %s attempt %d started on %s", task_id, job.file_id, attempt, worker)
    try:
        result = _attempt(job, engine, stop)
    except TransientError as exc:
        return _transient_failure(job, engine, attempt, exc.message)
    except (SystemExit, KeyboardInterrupt, Interrupted):
        # The worker is stopping; the job goes back to the queue and this run does not count.
        log.warning("task %s interrupted by shutdown; it will run again", task_id)
        engine.jobs.update(task_id, state=JobState.PENDING, progress=None, attempts=attempt - 1)
        raise
    except engine.timeout_errors:
        _fail(job, engine, f"timeout: job ran longer than {engine.settings.task_soft_time_limit} s")
    except VideoforgeError as exc:
        _fail(job, engine, exc.message)
    except Exception as exc:
        log.exception("task %s failed unexpectedly", task_id)
        _fail(job, engine, f"internal error: {type(exc).__name__}: {exc}")
    else:
        engine.jobs.update(task_id, state=JobState.SUCCESS, result=result, error=None)
        log.info("task %s file %s succeeded: %s", task_id, job.file_id, job.output_name)
        _count_success(job, engine, result)
    return None


def _count_success(job: Job, engine: Engine, result: dict[str, Any]) -> None:
    fmt = job.format.value
    engine.metrics.count("jobs_succeeded", fmt)
    engine.metrics.observe("job_duration_seconds", fmt, time.time() - job.created_at)
    if result.get("speed"):
        engine.metrics.observe("encode_speed_ratio", fmt, float(result["speed"]))


def _transient_failure(job: Job, engine: Engine, attempt: int, reason: str) -> RetryLater | None:
    if attempt >= engine.settings.max_retries:
        _fail(job, engine, f"{reason} (after {attempt} attempts)")
        return None
    delay_s = retry_delay_s(attempt)
    log.warning(
        "task %s attempt %d failed (%s); retry in %.0f s", job.task_id, attempt, reason, delay_s
    )
    engine.jobs.update(job.task_id, state=JobState.RETRY, error=reason)
    engine.metrics.count("jobs_retried", job.format.value)
    return RetryLater(delay_s)


def _fail(job: Job, engine: Engine, reason: str) -> None:
    log.warning("task %s file %s failed: %s", job.task_id, job.file_id, reason)
    engine.jobs.update(job.task_id, state=JobState.FAILURE, error=reason)
    engine.metrics.count("jobs_failed", job.format.value)


def _attempt(job: Job, engine: Engine, stop: threading.Event | None) -> dict[str, Any]:
    workdir = workspace.create(engine.settings.temp_dir, job.task_id)
    try:
        return _transcode_in(workdir, job, engine, stop)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _transcode_in(
    workdir: Path, job: Job, engine: Engine, stop: threading.Event | None
) -> dict[str, Any]:
    source = workdir / "source"
    engine.storage.fetch_file(source_key(job.file_id), source)
    binaries = engine.binaries
    media = run.probe_media(binaries.ffprobe, binaries.env, source)
    encode = _encode_plan(job, media, source, engine.settings)
    outdir = workdir / "out"
    outdir.mkdir()
    started = time.monotonic()
    run.run_ffmpeg(
        command.transcode_argv(binaries.ffmpeg, encode),
        cwd=outdir,
        env=binaries.env,
        on_progress_line=_progress_writer(job.task_id, media.duration_s, engine, stop),
        timeout_s=float(engine.settings.task_soft_time_limit),
    )
    encode_s = time.monotonic() - started
    size_bytes = _publish(outdir, encode.output_name, engine.storage)
    return {
        "status": "completed",
        "output_name": encode.output_name,
        "format": job.format.value,
        "width": encode.width,
        "height": encode.height,
        "duration_s": media.duration_s,
        "size_bytes": size_bytes,
        "encode_seconds": round(encode_s, 2),
        "speed": round(media.duration_s / encode_s, 2) if encode_s > 0 else None,
    }


def _encode_plan(
    job: Job, media: MediaInfo, source: Path, settings: Settings
) -> command.EncodePlan:
    box = plan.parse_resolution(job.resolution)
    width, height = plan.fit(media.display_size, box, upscale=job.upscale)
    return command.EncodePlan(
        input_path=source,
        stem=Path(job.output_name).stem,
        format=job.format,
        width=width,
        height=height,
        has_audio=media.audio_codec is not None,
        x264_preset=settings.x264_preset,
    )


def _progress_writer(
    task_id: str, duration_s: float, engine: Engine, stop: threading.Event | None
) -> Callable[[str], None]:
    parser = ProgressParser(duration_s)
    last_write = 0.0

    def on_line(line: str) -> None:
        nonlocal last_write
        if stop is not None and stop.is_set():
            raise Interrupted  # unwinds through media.run, which kills ffmpeg's group
        snapshot: Progress | None = parser.feed(line)
        now = time.monotonic()
        if snapshot is None or now - last_write < PROGRESS_WRITE_INTERVAL_S:
            return
        last_write = now
        engine.jobs.update(task_id, state=JobState.PROGRESS, progress=snapshot)

    return on_line


def _publish(outdir: Path, main_name: str, storage: Storage) -> int:
    """Upload every output file, the main one (playlist or video) last: once it is visible,
    everything it refers to already is."""
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
        # A failed attempt leaves nothing behind for readers to find.
        for key in published:
            with contextlib.suppress(Exception):
                storage.delete(key)
        raise
    return sum(path.stat().st_size for path in files)
