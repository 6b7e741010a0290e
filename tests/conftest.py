"""Shared fixtures: FFmpeg binaries and small clips generated with lavfi sources."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from videoforge.media.binaries import FFmpegBinaries, locate


@pytest.fixture(scope="session")
def binaries() -> FFmpegBinaries:
    return locate(os.environ.get("FFMPEG_PATH"), os.environ.get("FFPROBE_PATH"))


def make_clip(
    binaries: FFmpegBinaries,
    path: Path,
    size: str,
    duration_s: float,
    audio: bool = True,
    extra: tuple[str, ...] = (),
) -> Path:
    """Encode a test pattern (plus a sine tone) with FFmpeg's lavfi sources."""
    argv = [binaries.ffmpeg, "-hide_banner", "-loglevel", "error", "-y"]
    argv += ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate=30:duration={duration_s}"]
    if audio:
        argv += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={duration_s}"]
        argv += ["-c:a", "aac", "-shortest"]
    argv += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", *extra, str(path)]
    subprocess.run(argv, check=True, env=binaries.process_env)
    return path


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory, binaries: FFmpegBinaries) -> dict[str, Path]:
    """Small clips: 16:9 with audio, rotated, 4:3 without audio, portrait, a longer 720p one."""
    folder = tmp_path_factory.mktemp("clips")
    wide = make_clip(binaries, folder / "wide.mp4", "640x360", 4)
    rotated = folder / "rotated.mp4"  # a phone video: coded 640x360, shown upright 360x640
    subprocess.run(
        [binaries.ffmpeg, "-loglevel", "error", "-display_rotation", "90", "-i", str(wide),
         "-c", "copy", str(rotated)],
        check=True, env=binaries.process_env,
    )  # fmt: skip
    return {
        "wide": wide,
        "rotated": rotated,
        "noaudio": make_clip(binaries, folder / "noaudio.mp4", "320x240", 3, audio=False),
        "portrait": make_clip(binaries, folder / "portrait.mp4", "360x640", 3),
        "long": make_clip(binaries, folder / "long.mp4", "1280x720", 12),
    }
