"""One video across many workers: the job's own attempt plans the work items (the chunks
and the audio, see segments.chunks), asks for helpers, takes items like any of them, waits
for the rest and leaves the stitch to the attempt; a helper (a Celery task any worker may
take) takes items until none is left. Finished items outlive an attempt, so a new one
after a crash redoes only what was in flight.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from videoforge import sources, workspace
from videoforge.engine import Engine
from videoforge.errors import NotFound, TransientError, VideoforgeError
from videoforge.jobs.chunk_store import ChunkState, ChunkStore
from videoforge.jobs.lease import Cancelled, Guard, Interrupted, LeaseLost
from videoforge.jobs.progress_writer import PROGRESS_WRITE_INTERVAL_S
from videoforge.jobs.store import JobStore
from videoforge.media.command import HLS_SEGMENT_S, EncodePlan
from videoforge.media.encoding import Encoding
from videoforge.media.filters import VideoPrep
from videoforge.media.ladder_encode import LadderPlan
from videoforge.models import Job, JobState, MediaInfo, Progress
from videoforge.segments.chunk_work import Site, job_checker, take_items
from videoforge.segments.chunks import (
    CHUNKS_DIR,
    ChunkPlan,
    exact_fps,
    plan_chunks,
    wants_split,
)
from videoforge.segments.items import Split, join_lists
from videoforge.settings import Settings
from videoforge.storage import Storage, discard, source_key

log = logging.getLogger(__name__)

# How often the job's attempt looks at items others hold, once none is left to claim.
WAIT_S = 0.5
SOURCE_FILE = "source"  # as in attempt.py: a helper's scratch dir is laid out alike


def split_plan(
    job: Job, media: MediaInfo, copies_video: bool, settings: Settings, store: ChunkStore
) -> ChunkPlan | None:
    """The job's chunks when it is split, else None (see chunks.wants_split; a copied
    video has nothing to encode, and one chunk is no split). A job an earlier attempt split
    stays split, with that attempt's plan, whatever this host's settings say."""
    recorded = store.state(job.task_id).plan
    if recorded is not None:
        return ChunkPlan.from_dict(recorded)
    duration_s = job.clip.duration_s if job.clip else media.duration_s
    min_s = settings.parallel_min_duration_s
    ladder = bool(job.renditions)
    # The source's own rate: unknown, the output's would be a guess (30), and chunks are
    # counted in frames.
    if copies_video or not wants_split(job.parallel, job.format, ladder, duration_s,
                                       media.fps, min_s):  # fmt: skip
        return None
    fps = VideoPrep.of(media).fps
    has_audio = media.audio_codec is not None
    plan = plan_chunks(duration_s, exact_fps(fps), settings.chunk_seconds, has_audio,
                       HLS_SEGMENT_S, settings.x264_preset)  # fmt: skip
    return plan if len(plan.chunks) > 1 else None


def encode_plan(job: Job, media: MediaInfo, settings: Settings, input_path: Path, stem: str,
                chunks: ChunkPlan) -> Split:  # fmt: skip
    """What every item of a split job is encoded with: one rendition's plan (the stitch's
    too), or a ladder's (every rung encoded, none copied; packaged after the joins)."""
    if job.renditions:
        return LadderPlan(
            input_path=input_path, renditions=tuple(job.renditions),
            has_audio=media.audio_codec is not None, prep=VideoPrep.of(media),
            x264_preset=chunks.x264_preset, max_pixels=settings.max_input_pixels,
            threads=settings.job_threads, clip=job.clip, encoding=Encoding.of(job.encoding),
        )  # fmt: skip
    return EncodePlan(
        input_path=input_path, stem=stem, format=job.format, width=job.width,
        height=job.height, has_audio=media.audio_codec is not None,
        x264_preset=chunks.x264_preset, max_pixels=settings.max_input_pixels,
        prep=VideoPrep.of(media), threads=settings.job_threads, clip=job.clip,
        encoding=Encoding.of(job.encoding),
    )  # fmt: skip


@dataclass
class SplitRun:
    """What the job's attempt splits: its engine, job, lease guard and scratch dir (whose
    source is fetched), the source's media, the chunks, the output's stem and who it is."""

    engine: Engine
    job: Job
    guard: Guard
    workdir: Path
    media: MediaInfo
    chunks: ChunkPlan
    stem: str
    worker: str


def encode_items(run: SplitRun) -> tuple[Split, dict[str, Any]]:
    """Every item encoded (here or by helpers) and fetched into CHUNKS_DIR with the lists
    that join them (see segments.items); returns the plan they were encoded with and what
    the result says of the split."""
    engine, task_id = run.engine, run.job.task_id
    store = ChunkStore(engine.jobs.client)
    # A later attempt goes on with the first attempt's items, whatever the settings now.
    chunks = ChunkPlan.from_dict(store.start(task_id, run.chunks.to_dict()))
    encode = encode_plan(run.job, run.media, engine.settings, run.workdir / SOURCE_FILE,
                         run.stem, chunks)  # fmt: skip
    before = store.state(task_id)
    resumed_s = sum(chunks.duration_of(c) for c in chunks.chunks if c.item in before.done)
    missing = [item for item in chunks.items if item not in before.done]
    if len(missing) > 1 and engine.ask_helpers is not None:
        engine.ask_helpers(task_id, run.job.priority, len(missing) - 1)
    folder = run.workdir / CHUNKS_DIR
    folder.mkdir(exist_ok=True)
    progress = _ProgressWriter(engine.jobs, store, task_id, chunks, resumed_s)
    site = Site(engine, task_id, chunks, encode, folder, run.worker, run.guard.check,
                progress.tick, keep=True)  # fmt: skip
    own: set[str] = set()  # finished here: their files are in `folder` already
    while True:
        own.update(take_items(site))
        state = store.state(task_id)
        if all(item in state.done for item in chunks.items):
            break
        progress.tick(state)
        run.guard.check(force=True)
        time.sleep(WAIT_S)
    for item, done in state.done.items():
        for name, key in done["keys"].items():
            if item not in own:  # in place of whatever an encode here left (lost, or partial)
                (folder / name).unlink(missing_ok=True)
                engine.storage.fetch_file(key, folder / name)
    for name, script in join_lists(encode, chunks).items():
        (folder / name).write_text(script)
    listed = [
        {"index": c.index, "start_s": round(chunks.start_s(c), 3),
         "duration_s": round(chunks.duration_of(c), 3), "worker": state.done[c.item]["worker"],
         "attempts": state.claims.get(c.item, 1)}
        for c in chunks.chunks
    ]  # fmt: skip
    return encode, {
        "chunks": listed,
        "workers": sorted({str(done["worker"]) for done in state.done.values()}),
        "resumed_from_s": round(resumed_s, 3),
    }


class _ProgressWriter:
    """The job's progress from its items': seconds of video encoded over the whole, written
    at most once a second, below 100 until the stitch is done (SUCCESS says that)."""

    def __init__(self, jobs: JobStore, store: ChunkStore, task_id: str, chunks: ChunkPlan,
                 resumed_s: float) -> None:  # fmt: skip
        self.jobs, self.store, self.task_id, self.chunks = jobs, store, task_id, chunks
        self.resumed_s, self.started_at, self.written_at = resumed_s, time.monotonic(), 0.0
        self.percent = 0.0

    def tick(self, state: ChunkState | None = None) -> None:
        now = time.monotonic()
        if now - self.written_at < PROGRESS_WRITE_INTERVAL_S:
            return
        self.written_at = now
        with contextlib.suppress(TransientError):  # progress is best effort
            state = state or self.store.state(self.task_id)
            encoded_s = sum(
                self.chunks.duration_of(c) if c.item in state.done
                else min(state.progress_s.get(c.item, 0.0), self.chunks.duration_of(c))
                for c in self.chunks.chunks
            )  # fmt: skip
            total_s = max(self.chunks.duration_s, 1e-6)
            speed = (encoded_s - self.resumed_s) / max(now - self.started_at, 1e-6)
            eta_s = (total_s - encoded_s) / speed if speed > 0 else None
            eta = round(eta_s, 1) if eta_s is not None else None
            # Never back: an item taken over from a lost worker is encoded again from 0.
            percent = self.percent = max(
                self.percent, round(min(99.0, 100 * encoded_s / total_s), 1)
            )
            snapshot = Progress(percent=percent, fps=0.0, speed=round(speed, 2), eta_seconds=eta)
            self.jobs.update(self.task_id, state=JobState.PROGRESS, progress=snapshot)


def help_split(
    engine: Engine, task_id: str, worker: str, stop: threading.Event | None = None
) -> int:
    """A helper's run: take a split job's items until none is left; returns how many it
    encoded. It leaves at once when the job has ended or has nothing left to claim, and
    when `stop` is set (its executor shuts down: the item goes back at once)."""
    try:
        job = engine.jobs.get(task_id)
        state = ChunkStore(engine.jobs.client).state(task_id)
    except NotFound:
        return 0
    except TransientError as exc:  # the job's attempt takes the items meanwhile
        log.warning("task %s: helper on %s not started: %s", task_id, worker, exc.message)
        return 0
    if job.state.is_terminal or state.plan is None:
        return 0
    workdir = workspace.create(engine.settings.temp_dir, task_id)
    fetched = workdir / SOURCE_FILE
    try:
        media = sources.stored_media(engine, job.file_id)
        stored = sources.lookup(engine, job.file_id)
        chunks = ChunkPlan.from_dict(state.plan)
        plan = encode_plan(job, media, engine.settings, fetched, "helper", chunks)
        folder = workdir / CHUNKS_DIR
        folder.mkdir()

        def locate() -> Path | str:
            where = sources.in_place(engine.storage, stored)
            if where is None and not fetched.exists():
                engine.storage.fetch_file(source_key(job.file_id), fetched)
            return where or fetched

        job_check = job_checker(engine, task_id)

        def check() -> None:
            if stop is not None and stop.is_set():
                raise Interrupted
            job_check()

        site = Site(engine, task_id, chunks, plan, folder, worker, check, locate=locate)
        return len(take_items(site))
    except Interrupted:
        log.info("task %s: helper on %s stops, its executor shuts down", task_id, worker)
        return 0
    except (Cancelled, LeaseLost):
        log.info("task %s: helper on %s stops, the job was cancelled or ended", task_id, worker)
        return 0
    except VideoforgeError as exc:  # its item went back: the job's attempt meets it too
        log.warning("task %s: helper on %s stops: %s", task_id, worker, exc.message)
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def drop_items(jobs: JobStore, storage: Storage, task_id: str) -> None:
    """Remove a split job's items and their objects (its end: success, failure, cancel)."""
    store = ChunkStore(jobs.client)
    state = store.state(task_id)
    if state.plan is None:
        return
    discard(storage, [str(key) for done in state.done.values() for key in done["keys"].values()])
    store.forget(task_id, ChunkPlan.from_dict(state.plan).items)
