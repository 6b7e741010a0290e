"""One attempt of an import: download the URL into a scratch dir (guarded, bounded), then
probe and accept it as an upload is accepted, and list it (`file.uploaded`). The pipeline
records the outcome, as for a transcode."""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from pathlib import Path

from videoforge import sources, workspace
from videoforge.attempt import Outcome
from videoforge.catalog import SourceCatalog
from videoforge.engine import Engine
from videoforge.errors import TransientError
from videoforge.jobs.lease import Guard
from videoforge.jobs.progress_writer import PROGRESS_WRITE_INTERVAL_S
from videoforge.jobs.timings import PhaseClock
from videoforge.models import Job, JobState, Progress
from videoforge.net import fetch, rules
from videoforge.storage import meta_key, source_key

log = logging.getLogger(__name__)

DOWNLOAD_FILE = "download"


def run_import(job: Job, engine: Engine, guard: Guard, attempt_tag: str) -> Outcome:
    """Download, probe and accept; the scratch dir is removed on every exit path."""
    workdir = workspace.create(engine.settings.temp_dir, job.task_id)
    try:
        return _work(workdir / DOWNLOAD_FILE, job, engine, guard)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _work(path: Path, job: Job, engine: Engine, guard: Guard) -> Outcome:
    settings = engine.settings
    url = job.source_url or ""
    limits = fetch.Limits(
        settings.max_upload_bytes, settings.import_timeout_s, settings.import_allow_private
    )
    clock = PhaseClock()
    with clock.phase("download"):
        fetched = fetch.download(url, path, limits, progress_writer(job.task_id, engine, guard))
    guard.check(force=True)
    name = job.source_name or rules.name_from_url(fetched.url)
    with clock.phase("probe"):
        media = sources.probe_checked(engine, path)
    with clock.phase("publish"):
        source = sources.keep_probed(engine, path, media, name, job.file_id)
        keys = [meta_key(source.file_id), source_key(source.file_id)]
        try:
            guard.check(force=True)  # a cancelled import lists nothing
            SourceCatalog(engine.jobs.client).add(source)
        except BaseException:
            sources.discard_upload(engine, source.file_id)
            raise
    log.info("imported %s as %s (%d bytes)", url, source.file_id, fetched.size_bytes)
    result = {
        "status": "completed",
        "file_id": source.file_id,
        "filename": source.filename,
        "original_name": source.original_name,
        "size_bytes": fetched.size_bytes,
        "duration_s": source.media.duration_s,
        "width": source.media.width,
        "height": source.media.height,
    }
    return Outcome(result=result, published_name="", keys=keys, phases_s=clock.durations_s)


def progress_writer(task_id: str, engine: Engine, guard: Guard) -> fetch.OnBytes:
    """Checks the guard on every chunk (a cancel stops the download) and writes the
    download's progress at most once a second."""
    last_write = 0.0

    def on_bytes(received_bytes: int, total_bytes: int | None) -> None:
        nonlocal last_write
        guard.check()
        now = time.monotonic()
        if now - last_write < PROGRESS_WRITE_INTERVAL_S:
            return
        last_write = now
        with contextlib.suppress(TransientError):  # best effort, as a transcode's
            engine.jobs.update(
                task_id,
                state=JobState.PROGRESS,
                progress=download_progress(received_bytes, total_bytes),
            )

    return on_bytes


def download_progress(received_bytes: int, total_bytes: int | None) -> Progress:
    """A download's progress as the record keeps it: percent when the size is known."""
    return Progress(
        percent=rules.percent(received_bytes, total_bytes),
        fps=0.0,
        speed=0.0,
        eta_seconds=None,
        received_bytes=received_bytes,
        total_bytes=total_bytes,
    )
