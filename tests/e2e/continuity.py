"""Whether a joined HLS output is one continuous stream: what the resume tests check of
the segments a job published over two attempts (the first killed)."""

from __future__ import annotations

import itertools
import json
import statistics
import subprocess
from pathlib import Path
from typing import Any

import httpx
import m3u8

from videoforge.media.binaries import FFmpegBinaries

FPS = 30


def packets(binaries: FFmpegBinaries, path: Path, stream: str) -> list[float]:
    """Presentation times of a stream's packets, in the order they are stored."""
    argv = [binaries.ffprobe, "-v", "error", "-select_streams", stream, "-show_entries",
            "packet=pts_time", "-of", "json", str(path)]  # fmt: skip
    out = subprocess.run(argv, check=True, capture_output=True, env=binaries.process_env).stdout
    found: list[dict[str, Any]] = json.loads(out)["packets"]
    return [float(p["pts_time"]) for p in found]


def join_segments(client: httpx.Client, playlist_url: str, joined: Path) -> m3u8.M3U8:
    """The playlist at `playlist_url`, its segments fetched and written one after another
    into `joined` (MPEG-TS segments join by concatenation)."""
    playlist = m3u8.loads(client.get(playlist_url).text)
    with joined.open("wb") as out:
        for segment in playlist.segments:
            answer = client.get(f"/videos/stream/{segment.uri}")
            assert answer.status_code == 200, segment.uri
            out.write(answer.content)
    return playlist


def check_continuous(
    binaries: FFmpegBinaries, joined: Path, duration_s: int, resumed_s: float, primings: int = 1
) -> None:
    """Every frame of `duration_s` at 30 fps, one frame apart throughout (the joint too), and
    audio with no gap, and no overlap but the resumed encoder's priming frame, which lies
    exactly on the last published one (`primings`: how many such joints there are; a split
    job's audio is encoded once, so it has none)."""
    video = sorted(packets(binaries, joined, "v:0"))  # stored in decoding order
    assert len(video) == duration_s * FPS
    steps = [b - a for a, b in itertools.pairwise(video)]
    assert max(steps) < 1.5 / FPS and min(steps) > 0.5 / FPS, (min(steps), max(steps))
    audio = packets(binaries, joined, "a:0")
    steps = [b - a for a, b in itertools.pairwise(audio)]
    frame_s = statistics.median(steps)  # 1024 samples
    assert max(steps) < 1.01 * frame_s and min(steps) > -0.001, (min(steps), max(steps))
    assert sum(step < 0.5 * frame_s for step in steps) == primings  # the priming frames
    audio_span = audio[-1] + frame_s - audio[0]
    video_span = video[-1] + 1 / FPS - video[0]
    assert abs(audio_span - video_span) < 0.1, (audio_span, video_span)
    joint = min(range(len(video)), key=lambda i: abs(video[i] - video[0] - resumed_s))
    assert abs(video[joint] - video[0] - resumed_s) < 1 / FPS  # the joint is where it says
