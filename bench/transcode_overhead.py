"""Service overhead: upload -> SUCCESS through `videoforge serve` versus bare FFmpeg.

Encodes a 20 s 1080p30 clip (lavfi test pattern + tone) to 720p MP4 both ways with the same
FFmpeg argv (built by videoforge.media.command), alternating runs, and prints the medians and
the ratio service/bare. Target: <= 1.10.

    make bench                      # starts its own service on a free port
    python bench/transcode_overhead.py --runs 5 --url http://127.0.0.1:8000   # a running one
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import make_clip
from tests.e2e.service import Service
from videoforge.media import command, plan, run
from videoforge.media.binaries import FFmpegBinaries, locate
from videoforge.media.filters import VideoPrep
from videoforge.models import OutputFormat
from videoforge.settings import Settings

BOX = "1280:720"


def bare_run(binaries: FFmpegBinaries, clip: Path, workdir: Path) -> float:
    # The argv a worker with one job slot builds: the same preparation and threads.
    media = run.probe_media(binaries, clip)
    width, height = plan.fit((1920, 1080), plan.parse_resolution(BOX))
    threads = Settings(worker_concurrency=1).job_threads
    encode = command.EncodePlan(clip, "bare", OutputFormat.MP4, width, height, has_audio=True,
                                prep=VideoPrep.of(media), threads=threads)  # fmt: skip
    argv = command.transcode_argv(binaries.ffmpeg, encode)
    started = time.perf_counter()
    subprocess.run(argv, cwd=workdir, check=True, env={**os.environ, **binaries.env},
                   stdout=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - started


def service_run(url: str, clip: Path) -> float:
    with httpx.Client(base_url=url, timeout=120) as client:
        started = time.perf_counter()
        with clip.open("rb") as handle:
            file_id = client.post("/videos/upload", files={"file": handle}).json()["file_id"]
        body = {"resolution": BOX, "format": "mp4"}
        task_id = client.post(f"/videos/transcode/{file_id}", json=body).json()["task_id"]
        while True:
            state = client.get(f"/videos/task/{task_id}").json()["state"]
            if state in ("SUCCESS", "FAILURE"):
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
    if state != "SUCCESS":
        raise SystemExit(f"service job ended {state}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--url", help="use a running service instead of starting one")
    args = parser.parse_args()
    binaries = locate(os.environ.get("FFMPEG_PATH"), os.environ.get("FFPROBE_PATH"))
    with tempfile.TemporaryDirectory(prefix="vf-bench-") as scratch:
        root = Path(scratch)
        clip = make_clip(binaries, root / "src.mp4", "1920x1080", 20,
                         extra=("-preset", "veryfast", "-crf", "23"))  # fmt: skip
        service = None if args.url else Service(root / "serve", WORKER_CONCURRENCY="1").start()
        url = args.url or (service.url if service else "")
        try:
            service_run(url, clip)  # warm-up: worker start, page cache
            bare_s, service_s = [], []
            for _ in range(args.runs):
                bare_s.append(bare_run(binaries, clip, root))
                service_s.append(service_run(url, clip))
        finally:
            if service is not None:
                service.stop()
    bare, served = statistics.median(bare_s), statistics.median(service_s)
    print(f"clip: 20 s 1920x1080 30 fps H.264+AAC -> {BOX} mp4 (x264 veryfast, CRF 23)")
    print(f"ffmpeg: {binaries.source} ({binaries.ffmpeg})   runs: {args.runs}, medians")
    print(f"bare ffmpeg:               {bare:6.2f} s   runs {[round(s, 2) for s in bare_s]}")
    print(f"service (upload->SUCCESS): {served:6.2f} s   runs {[round(s, 2) for s in service_s]}")
    print(f"ratio service/bare:        {served / bare:6.3f}   (target <= 1.10)")


if __name__ == "__main__":
    main()
