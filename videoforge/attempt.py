"""One attempt at a job, in its own scratch dir: check disk, fetch, probe, plan, transcode,
publish. This is the only place that knows the order of those steps."""

from __future__ import annotations

import logging
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from videoforge import sources, workspace
from videoforge.encodes.context import OUT_DIR, SOURCE_FILE, Copy, Encode, run_ffmpeg
from videoforge.encodes.ladder import encode_ladder
from videoforge.engine import Engine
from videoforge.errors import TransientError
from videoforge.jobs.chunk_store import ChunkStore
from videoforge.jobs.lease import Guard
from videoforge.jobs.progress_writer import progress_writer
from videoforge.jobs.timings import PhaseClock
from videoforge.media import command, passthrough, run
from videoforge.media.encoding import Encoding
from videoforge.media.filters import VideoPrep
from videoforge.models import Job, MediaInfo, OutputFormat
from videoforge.outputs import attempt_name, publish
from videoforge.segments import chunks, parallel, running
from videoforge.segments.live import LivePublisher
from videoforge.segments.resume import publishes_live, resumes_live
from videoforge.storage import source_key

log = logging.getLogger(__name__)

# Room for the input, the output and ffmpeg's own files, relative to the input's size.
DISK_NEED_FACTOR = 3


@dataclass(frozen=True)
class Outcome:
    """What a successful attempt produced: the result for the record, the keys written and
    how long each phase took (seconds)."""

    result: dict[str, Any]
    published_name: str
    keys: list[str]
    phases_s: dict[str, float] = field(default_factory=dict)


def run_attempt(job: Job, engine: Engine, guard: Guard, attempt_tag: str) -> Outcome:
    """Do the work of one attempt, publishing under the attempt's own names (see
    outputs.attempt_name), or, resuming a live HLS output, under the names of the attempt it
    resumes; the scratch dir is removed on every exit path."""
    workdir = workspace.create(engine.settings.temp_dir, job.task_id)
    try:
        return _work(workdir, job, engine, guard, attempt_tag)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _work(workdir: Path, job: Job, engine: Engine, guard: Guard, attempt_tag: str) -> Outcome:
    source, clock = workdir / SOURCE_FILE, PhaseClock()
    _check_disk(engine, job, workdir)
    with clock.phase("fetch"):
        engine.storage.fetch_file(source_key(job.file_id), source)
    with clock.phase("probe"):  # no ffprobe: the upload's probe is in the file's record
        media = sources.stored_media(engine, job.file_id)
    stem = Path(attempt_name(job.output_name, attempt_tag)).stem
    duration_s = job.clip.duration_s if job.clip else media.duration_s
    outdir = workdir / OUT_DIR
    outdir.mkdir()
    with clock.phase("probe"):  # the keyframe check reads the source like a probe
        copy = _passthrough(job, media, source, engine)
    split = parallel.split_plan(job, media, copy.video, engine.settings,
                                ChunkStore(engine.jobs.client))  # fmt: skip
    live = None
    if publishes_live(job, copy.video or copy.audio, split is not None):
        # Published as it is made, and resumed after what is published; a split job
        # resumes by its items instead (see segments.parallel).
        can_resume = resumes_live(job) and not copy.video and split is None
        live = running.plan_for(job, engine, guard, workdir, stem, can_resume)
        stem = live.stem
    resumed_s = live.resume.start_s if live and live.resume else 0.0
    on_progress = progress_writer(job.task_id, duration_s, engine.jobs, guard, resumed_s)
    encode = Encode(job, media, workdir, stem, engine, on_progress, copy, guard, live, split)
    with clock.phase("encode"):
        main_name, facts = encode_ladder(encode) if job.renditions else _encode_single(encode)
    encode_s = clock.durations_s["encode"]
    # Fencing: a cancelled or superseded attempt publishes nothing more (a live output is
    # all published by now: this guards its commit).
    guard.check(force=True)
    with clock.phase("publish"):
        if live is None:
            keys, size_bytes = publish(outdir, main_name, engine.storage)
        else:
            keys, size_bytes = facts.pop("published")
    result = {
        "status": "completed",
        "output_name": job.output_name,
        "format": job.format.value,
        "width": job.width,
        "height": job.height,
        "duration_s": round(duration_s, 3),
        "size_bytes": size_bytes,
        "encode_seconds": round(encode_s, 2),
        # Of what this attempt encoded: a resumed one encoded only the rest.
        "speed": round((duration_s - resumed_s) / encode_s, 2) if encode_s > 0 else None,
        "video_passthrough": copy.video,
        **facts,
    }
    return Outcome(result, main_name, keys, clock.durations_s)


def _passthrough(job: Job, media: MediaInfo, source: Path, engine: Engine) -> Copy:
    """Copy the source's video when it is fit to stream at the size asked (and its audio
    when that is AAC-LC); clips and WebM are always encoded."""
    if not job.passthrough or job.clip or job.format is OutputFormat.WEBM:
        return Copy()
    top = job.renditions[0] if job.renditions else None
    size = (top.width, top.height) if top else (job.width, job.height)
    reason = passthrough.unfit_reason(media, size)
    if reason is None:
        argv = passthrough.keyframes_argv(engine.binaries.ffprobe, source, media.video_index)
        gap_s = passthrough.max_keyframe_gap_s(run.run_ffprobe(argv, engine.binaries),
                                               media.duration_s)  # fmt: skip
        if gap_s > passthrough.MAX_KEYFRAME_GAP_S:
            reason = f"keyframes are up to {gap_s:.1f} s apart"
    if reason is not None:
        log.info("task %s: the video is encoded: %s", job.task_id, reason)
        return Copy()
    log.info("task %s: the source's video is fit to stream: copied", job.task_id)
    return Copy(video=True, audio=passthrough.audio_copyable(media))


def _encode_single(e: Encode) -> tuple[str, dict[str, Any]]:
    job, media, workdir, stem, engine, copy = e.job, e.media, e.workdir, e.stem, e.engine, e.copy
    settings, resume = engine.settings, e.live.resume if e.live else None
    resume_s = resume.start_s if resume else 0.0
    plan = command.EncodePlan(
        input_path=workdir / SOURCE_FILE,
        stem=stem,
        format=job.format,
        width=job.width,
        height=job.height,
        has_audio=media.audio_codec is not None,
        x264_preset=settings.x264_preset,
        max_pixels=settings.max_input_pixels,
        prep=VideoPrep.of(media),
        threads=settings.job_threads,
        clip=job.clip,
        copy_video=copy.video,
        copy_audio=copy.audio,
        encoding=Encoding.of(job.encoding),
        start_number=resume.index if resume else 0,
        resume_s=resume_s,
        resume_audio_s=resume.audio_start_s if resume else None,
    )
    argv, on_progress = command.transcode_argv(engine.binaries.ffmpeg, plan), e.on_progress
    split_facts: dict[str, Any] = {}
    if e.split is not None:  # encoded in items across workers, then joined by stream copy
        split = parallel.SplitRun(engine, job, e.guard, workdir, media, e.split, stem,
                                  job.worker or "worker")  # fmt: skip
        joined, split_facts = parallel.encode_items(split)
        assert isinstance(joined, command.EncodePlan)  # one rendition (a ladder: encodes)
        plan, argv = joined, chunks.stitch_argv(engine.binaries.ffmpeg, joined, joined.has_audio)

        def on_progress(_: str) -> None:  # the items' progress was the job's; SUCCESS ends it
            e.guard.check()

    if e.live is None:
        run_ffmpeg(argv, workdir / OUT_DIR, engine, on_progress)
        return plan.output_name, split_facts
    # A copied video is cut on the source's keyframes: a segment may run past 6 s.
    target_s = command.HLS_SEGMENT_S + (
        math.ceil(passthrough.MAX_KEYFRAME_GAP_S) if copy.video else 0
    )
    publisher = LivePublisher(
        workdir / OUT_DIR, plan.output_name, engine.storage, running.fence(engine, job, e.guard),
        running.going_live(engine, job, e.guard, plan.output_name), target_s, e.live.earlier,
        e.live.earlier_size_bytes,
    )  # fmt: skip

    def on_line(line: str) -> None:
        publisher.raise_if_failed()  # publishing stopped (cancel, lease lost): so does FFmpeg
        on_progress(line)

    if not e.live.complete:  # an earlier attempt published it all, and did not commit
        with publisher:
            run_ffmpeg(argv, workdir / OUT_DIR, engine, on_line)
    return plan.output_name, {"published": publisher.finish(), "resumed_from_s": resume_s,
                              **split_facts}  # fmt: skip


def _check_disk(engine: Engine, job: Job, workdir: Path) -> None:
    need = engine.storage.size(source_key(job.file_id)) * DISK_NEED_FACTOR
    need += engine.settings.min_free_disk_bytes
    free = shutil.disk_usage(workdir).free
    if free < need:
        # Another worker, or this one later, may have the room: worth a retry.
        raise TransientError(f"not enough disk space on this worker ({free} free, {need} needed)")
