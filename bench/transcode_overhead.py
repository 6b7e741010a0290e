"""P1, service overhead: upload -> SUCCESS through `videoforge serve` versus bare FFmpeg.

Encodes a 20 s 1080p30 clip (lavfi test pattern + tone) to 720p MP4 both ways with the same
FFmpeg binary and argv (built by videoforge.media.command), in interleaved pairs (bare,
service, bare, service...), and prints the medians and the ratio service/bare.
Target: <= 1.03.

    python bench/transcode_overhead.py --runs 5      # starts its own service on a free port
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from figures import Row, at_most
from served import ffmpeg, finish, serving, settle, submit, upload

from videoforge.media import command, plan, run
from videoforge.media.binaries import FFmpegBinaries
from videoforge.media.filters import VideoPrep
from videoforge.models import OutputFormat
from videoforge.settings import Settings

BOX = "1280:720"
VERYFAST = ("-preset", "veryfast", "-crf", "23")
TARGET = 1.03


def bare_argv(binaries: FFmpegBinaries, clip: Path, box: str, concurrency: int) -> list[str]:
    """The argv a worker with `concurrency` job slots builds for an MP4 of the clip in `box`:
    the same preparation and threads. It writes `bare.mp4` in the working directory."""
    media = run.probe_media(binaries, clip)
    width, height = plan.fit(media.display_size, plan.parse_resolution(box))
    settings = Settings(worker_concurrency=concurrency)
    encode = command.EncodePlan(clip, "bare", OutputFormat.MP4, width, height,
                                has_audio=media.audio_codec is not None,
                                x264_preset=settings.x264_preset,
                                max_pixels=settings.max_input_pixels,
                                prep=VideoPrep.of(media), threads=settings.job_threads)  # fmt: skip
    return command.transcode_argv(binaries.ffmpeg, encode)


def run_bare(binaries: FFmpegBinaries, argv: list[str], workdir: Path) -> float:
    """Seconds one bare FFmpeg run takes in `workdir`."""
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    subprocess.run(argv, cwd=workdir, check=True, env={**os.environ, **binaries.env},
                   stdout=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - started


def service_run(url: str, clip: Path) -> float:
    with httpx.Client(base_url=url, timeout=120) as client:
        started = time.perf_counter()
        file_id = upload(client, clip)
        finish(client, [submit(client, file_id, {"resolution": BOX, "format": "mp4"})])
        elapsed_s = time.perf_counter() - started
        settle(client, file_id)  # its storyboard, made after the job: outside the timing
        return elapsed_s


def measure(runs: int, seconds: int) -> float:
    """Print the runs; the ratio of the medians, service/bare."""
    binaries = ffmpeg()
    with serving("1920x1080", seconds, VERYFAST, WORKER_CONCURRENCY="1") as setup:
        argv = bare_argv(binaries, setup.clip, BOX, concurrency=1)
        service_run(setup.url, setup.clip)  # warm-up: worker start, page cache
        bare_s, service_s = [], []
        for _ in range(runs):  # interleaved pairs, so a busy moment hits both alike
            bare_s.append(run_bare(binaries, argv, setup.root / "bare"))
            service_s.append(service_run(setup.url, setup.clip))
    bare, served = statistics.median(bare_s), statistics.median(service_s)
    print(f"P1: {seconds} s 1920x1080 30 fps H.264+AAC -> {BOX} mp4, {runs} interleaved pairs")
    print(f"ffmpeg: {binaries.source} ({binaries.ffmpeg})")
    print(f"bare ffmpeg:               {bare:6.2f} s   runs {[round(s, 2) for s in bare_s]}")
    print(f"service (upload->SUCCESS): {served:6.2f} s   runs {[round(s, 2) for s in service_s]}")
    print(f"ratio service/bare:        {served / bare:6.3f}   (target <= {TARGET})")
    return served / bare


def rows(quick: bool) -> list[Row]:
    ratio = measure(runs=2, seconds=8) if quick else measure(runs=5, seconds=20)
    return [at_most("P1 end to end / bare ffmpeg", ratio, TARGET)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=20, help="length of the clip")
    args = parser.parse_args()
    measure(args.runs, args.seconds)


if __name__ == "__main__":
    main()
