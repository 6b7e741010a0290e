"""Passthrough against encode: the same fit 20 s 1080p30 H.264/AAC clip to 1080p MP4,
through `videoforge serve`, once copied (`passthrough: auto`) and once encoded
(`passthrough: never`), alternating. Prints the medians and their ratio. Target: < 0.15.

    python bench/passthrough_vs_encode.py --runs 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import make_clip
from tests.e2e.service import Service
from videoforge.media.binaries import locate

# Keyframes every 2 s and a capped bitrate: fit to stream (see media/passthrough.py).
FIT = ("-preset", "veryfast", "-g", "60", "-sc_threshold", "0", "-maxrate", "6M",
       "-bufsize", "12M", "-profile:v", "high")  # fmt: skip


def timed_job(client: httpx.Client, file_id: str, passthrough: str) -> tuple[float, bool]:
    """Seconds from submit to SUCCESS, and whether the video was copied."""
    body = {"format": "mp4", "resolution": "1920:1080", "passthrough": passthrough}
    started = time.perf_counter()
    task_id = client.post(f"/videos/transcode/{file_id}", json=body).json()["task_id"]
    while True:
        status = client.get(f"/videos/task/{task_id}").json()
        if status["state"] in ("SUCCESS", "FAILURE"):
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    if status["state"] != "SUCCESS":
        raise SystemExit(f"job ended {status['state']}: {status.get('error')}")
    return elapsed, bool(status["result"]["video_passthrough"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    binaries = locate(os.environ.get("FFMPEG_PATH"), os.environ.get("FFPROBE_PATH"))
    with tempfile.TemporaryDirectory(prefix="vf-bench-") as scratch:
        root = Path(scratch)
        clip = make_clip(binaries, root / "fit.mp4", "1920x1080", 20, extra=FIT)
        service = Service(root / "serve", WORKER_CONCURRENCY="1").start()
        try:
            with httpx.Client(base_url=service.url, timeout=120) as client:
                with clip.open("rb") as handle:
                    file_id = client.post("/videos/upload", files={"file": handle}).json()[
                        "file_id"
                    ]
                timed_job(client, file_id, "auto")  # warm-up
                copied_s, encoded_s = [], []
                for _ in range(args.runs):
                    seconds, copied = timed_job(client, file_id, "auto")
                    if not copied:
                        raise SystemExit("the fit clip was not passed through")
                    copied_s.append(seconds)
                    encoded_s.append(timed_job(client, file_id, "never")[0])
        finally:
            service.stop()
    copy, encode = statistics.median(copied_s), statistics.median(encoded_s)
    print("clip: 20 s 1920x1080 30 fps H.264 High (keyframes every 2 s, <= 6 Mbit/s) + AAC")
    print(f"passthrough (copied):  {copy:6.2f} s   runs {[round(s, 2) for s in copied_s]}")
    print(f"encoded (never):       {encode:6.2f} s   runs {[round(s, 2) for s in encoded_s]}")
    print(f"ratio copy/encode:     {copy / encode:6.3f}   (target < 0.15)")


if __name__ == "__main__":
    main()
