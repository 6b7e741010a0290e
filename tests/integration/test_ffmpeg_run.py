"""media.run against real ffmpeg: deadlines, kills, readable errors, no orphans."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.e2e.service import alive, descendants
from videoforge.errors import JobTimeout, MediaError, UnsupportedMedia
from videoforge.media import run
from videoforge.media.binaries import FFmpegBinaries

ENDLESS = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-f", "null", "-"]


def endless_argv(binaries: FFmpegBinaries) -> list[str]:
    return [binaries.ffmpeg, "-hide_banner", "-nostdin", "-progress", "pipe:1", *ENDLESS]


def ffmpeg_children() -> set[int]:
    return {pid for pid in descendants(os.getpid()) if b"ffmpeg" in _cmdline(pid)}


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_deadline_kills_ffmpeg_and_says_timeout(binaries: FFmpegBinaries, tmp_path: Path) -> None:
    seen: set[int] = set()
    started = time.monotonic()
    with pytest.raises(JobTimeout, match=r"^timeout"):
        run.run_ffmpeg(
            endless_argv(binaries),
            cwd=tmp_path,
            binaries=binaries,
            on_progress_line=lambda _: seen.update(ffmpeg_children()),
            timeout_s=1.0,
        )
    assert time.monotonic() - started < 30  # killed at its 1 s deadline, not left running
    assert seen, "ffmpeg never ran"
    assert alive(seen) == set()


def test_exception_in_the_reader_kills_ffmpeg(binaries: FFmpegBinaries, tmp_path: Path) -> None:
    seen: set[int] = set()

    def stop_after_first_progress(line: str) -> None:
        seen.update(ffmpeg_children())
        if line.startswith("progress="):
            raise KeyboardInterrupt  # stands in for a soft time limit or a shutdown

    with pytest.raises(KeyboardInterrupt):
        run.run_ffmpeg(endless_argv(binaries), tmp_path, binaries, stop_after_first_progress, 60)
    assert seen and alive(seen) == set()


def test_failure_is_one_readable_line_without_paths(
    binaries: FFmpegBinaries, tmp_path: Path
) -> None:
    argv = [binaries.ffmpeg, "-hide_banner", "-i", f"file:{tmp_path}/missing.mp4", "out.mp4"]
    with pytest.raises(MediaError) as caught:
        run.run_ffmpeg(argv, tmp_path, binaries, lambda _: None, 30)
    assert caught.value.message == "FFmpeg error: No such file or directory"


def test_probe_of_garbage_is_unsupported_media(binaries: FFmpegBinaries, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"not a video at all\n" * 100)
    argv = [binaries.ffprobe, "-v", "error", "-show_format", f"file:{garbage}"]
    with pytest.raises(UnsupportedMedia) as caught:
        run.run_ffprobe(argv, binaries)
    assert str(tmp_path) not in caught.value.message
    assert "not a readable video" in caught.value.message


def test_ffmpeg_dies_with_a_sigkilled_parent(binaries: FFmpegBinaries, tmp_path: Path) -> None:
    # What Celery's hard time limit or the OOM killer does to a pool child.
    script = textwrap.dedent(f"""
        from pathlib import Path
        from videoforge.media import run
        from videoforge.media.binaries import FFmpegBinaries
        binaries = FFmpegBinaries({binaries.ffmpeg!r}, {binaries.ffprobe!r}, "test",
                                  {binaries.env!r})
        run.run_ffmpeg({endless_argv(binaries)!r}, Path({str(tmp_path)!r}), binaries,
                       lambda line: None, 600)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 20
    ffmpeg: set[int] = set()
    while not ffmpeg and time.monotonic() < deadline:
        ffmpeg = {p for p in descendants(parent.pid) if b"ffmpeg" in _cmdline(p)}
        time.sleep(0.05)
    assert ffmpeg, "ffmpeg did not start"
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 2
    while alive(ffmpeg) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive(ffmpeg) == set()


def test_a_memory_ceiling_stops_ffmpeg_not_the_worker(
    binaries: FFmpegBinaries, tmp_path: Path
) -> None:
    # prlimit caps the address space: this ffmpeg cannot even start, and says so in one line.
    limited = dataclasses.replace(binaries, prefix=("prlimit", "--as=20000000", "--"))
    with pytest.raises(MediaError) as caught:
        run.run_ffmpeg(endless_argv(binaries), tmp_path, limited, lambda _: None, 30)
    assert caught.value.message.startswith("FFmpeg error")
    assert ffmpeg_children() == set()
