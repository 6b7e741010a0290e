"""Measuring media with FFmpeg's own tools: ffprobe as JSON, and ffmpeg's analysis filters
(psnr, signalstats, idet), whose results go to its log. Used by the tricky-source and ladder
e2e tests."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from videoforge.media.binaries import FFmpegBinaries


def lavfi(graph: str) -> tuple[str, ...]:
    return ("-f", "lavfi", "-i", graph)


def probe(binaries: FFmpegBinaries, path: Path, *entries: str) -> dict[str, Any]:
    argv = [binaries.ffprobe, "-v", "error", "-of", "json", *entries, str(path)]
    out = subprocess.run(argv, check=True, capture_output=True, env=binaries.process_env)
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def video(binaries: FFmpegBinaries, path: Path) -> dict[str, Any]:
    (stream,) = [
        s for s in probe(binaries, path, "-show_streams")["streams"] if s["codec_type"] == "video"
    ]
    return stream


def frame_times(binaries: FFmpegBinaries, path: Path, stream: int) -> list[float]:
    """Presentation times of a stream's frames, in order, from its packets (Matroska gives
    blocks no durations, so intervals are measured between frames)."""
    data = probe(binaries, path, "-select_streams", str(stream), "-show_entries", "packet=pts_time")
    return sorted(float(packet["pts_time"]) for packet in data["packets"])


def intervals(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(times)]


def constant(steps: list[float]) -> bool:
    return max(steps) - min(steps) < 1e-3


def analyse(binaries: FFmpegBinaries, *args: str) -> str:
    """Run ffmpeg to a null output and return its log, where analysis filters report."""
    argv = [binaries.ffmpeg, "-hide_banner", "-nostats", "-xerror", *args, "-f", "null", "-"]
    run = subprocess.run(argv, capture_output=True, text=True, env=binaries.process_env)
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stderr


def decoded_frames(binaries: FFmpegBinaries, path: Path) -> int:
    """Decode every frame (-xerror: any decoding error fails) and count them."""
    data = probe(binaries, path, "-count_frames", "-select_streams", "v:0", "-show_entries",
                 "stream=nb_read_frames")  # fmt: skip
    analyse(binaries, "-i", str(path), "-map", "0:v:0")
    return int(data["streams"][0]["nb_read_frames"])


def psnr(
    binaries: FFmpegBinaries, distorted: Path, reference: str, stream: str = "v", skip: int = 0
) -> float:
    """Mean PSNR (dB) of a file's video `stream`, its first `skip` frames left out, against
    a lavfi source, frames paired in order. Encoded copies score 35-45 dB; other pictures
    10 dB or less."""
    graph = (
        f"[0:{stream}]trim=start_frame={skip},setpts=PTS-STARTPTS[d];"
        "[1:v]setpts=PTS-STARTPTS[r];[d][r]psnr=shortest=1"
    )
    log = analyse(binaries, "-i", str(distorted), *lavfi(reference), "-lavfi", graph)
    found = re.search(r"PSNR y:.* average:([0-9.]+|inf)", log)
    assert found, log[-2000:]
    return float(found.group(1))


def frame_stats(binaries: FFmpegBinaries, source: list[str], frame: int) -> dict[str, float]:
    """signalstats of one frame, 8-bit scale: mean luma, its 10th-90th percentile spread,
    mean saturation."""
    graph = f"select=eq(n\\,{frame}),format=yuv420p,signalstats,metadata=print"
    log = analyse(binaries, *source, "-vf", graph)
    stats = dict(re.findall(r"lavfi\.signalstats\.(\w+)=([0-9.]+)", log))
    assert stats, log[-2000:]
    return {
        "luma": float(stats["YAVG"]),
        "contrast": float(stats["YHIGH"]) - float(stats["YLOW"]),
        "saturation": float(stats["SATAVG"]),
    }


def idet(binaries: FFmpegBinaries, path: Path) -> Counter[str]:
    """idet's multi-frame verdicts over the whole video: TFF, BFF, Progressive, Undetermined."""
    log = analyse(binaries, "-i", str(path), "-map", "0:v:0", "-vf", "idet")
    found = re.search(r"Multi frame detection: (.*)", log)
    assert found, log[-2000:]
    return Counter({k: int(v) for k, v in re.findall(r"(\w+):\s*(\d+)", found.group(1))})


def mostly(counts: Counter[str], *kinds: str) -> bool:
    return sum(counts[k] for k in kinds) >= 0.9 * sum(counts.values()) > 0


def rate(text: str) -> float:
    num, _, den = text.partition("/")
    return float(num) / float(den or 1)
