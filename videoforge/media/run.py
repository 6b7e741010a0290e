"""The one place that starts ffmpeg and ffprobe: process groups, deadlines, kills, stderr tails."""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import shlex
import signal
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

from videoforge.errors import JobTimeout, MediaError, TransientError, UnsupportedMedia
from videoforge.media import probe
from videoforge.media.binaries import FFmpegBinaries
from videoforge.media.failures import failure_message, probe_failure
from videoforge.models import MediaInfo
from videoforge.runtime.processes import dying_with_parent

log = logging.getLogger(__name__)

STDERR_TAIL_LINES = 20
VERSION_TIMEOUT_S = 10.0
# How long the packager may take to write its last segments once its input has ended.
PACKAGER_FINISH_S = 120.0
# What ffmpeg says when the reader of its pipe has gone.
_BROKEN_PIPE = "Broken pipe"


def _start(argv: list[str], cwd: Path | None, binaries: FFmpegBinaries) -> subprocess.Popen[str]:
    log.debug("running %s", shlex.join(argv))
    # prefix: resource limits and niceness (prlimit, nice), applied to ffmpeg alone.
    full_argv, preexec = dying_with_parent(
        [*binaries.prefix, *argv]
    )  # dies if its worker is killed
    try:
        return subprocess.Popen(
            full_argv,
            cwd=cwd,
            env=binaries.process_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,  # its own process group, killed as a whole
            preexec_fn=preexec,
        )
    except OSError as exc:
        raise TransientError(f"could not start {Path(argv[0]).name}: {exc.strerror}") from exc


def _kill_group(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        _sigkill_group(process)
    process.wait()


def _sigkill_group(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _close_pipes(process: subprocess.Popen[str]) -> None:
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def run_ffprobe(argv: list[str], binaries: FFmpegBinaries, timeout_s: float = 30.0) -> str:
    """Run ffprobe and return its stdout; any failure means the file is not usable media."""
    process = _start(argv, cwd=None, binaries=binaries)
    try:
        stdout, stderr = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise UnsupportedMedia("probing the file took too long") from exc
    finally:
        _kill_group(process)
        _close_pipes(process)
    if process.returncode != 0:
        raise probe_failure(stderr, process.returncode)
    return stdout


def probe_media(binaries: FFmpegBinaries, path: Path, max_pixels: int | None = None) -> MediaInfo:
    """Probe a local file; UnsupportedMedia unless it is a video we can transcode."""
    with path.open("rb") as handle:
        probe.refuse_lists(handle.read(64))
    argv = probe.probe_argv(binaries.ffprobe, path, max_pixels)
    return probe.parse_probe(run_ffprobe(argv, binaries))


def probe_stored(
    binaries: FFmpegBinaries, url: str, head: bytes, max_pixels: int | None
) -> MediaInfo:
    """Probe a stored object through a presigned URL, given its first bytes (lists that
    ffprobe would follow are refused on them first, as for a local file)."""
    probe.refuse_lists(head)
    return probe.parse_probe(
        run_ffprobe(probe.probe_argv(binaries.ffprobe, url, max_pixels), binaries)
    )


def binary_version(binaries: FFmpegBinaries) -> str:
    """First line of `binary -version`, for the start-up log."""
    process = _start([binaries.ffmpeg, "-hide_banner", "-version"], cwd=None, binaries=binaries)
    try:
        stdout, _ = process.communicate(timeout=VERSION_TIMEOUT_S)
    finally:
        _kill_group(process)
        _close_pipes(process)
    return stdout.splitlines()[0] if stdout else "unknown version"


def run_packager(argv: list[str], cwd: Path, binaries: FFmpegBinaries, timeout_s: float) -> None:
    """Run Shaka Packager to completion, under the same rules as ffmpeg."""
    run_ffmpeg(argv, cwd, binaries, lambda _line: None, timeout_s, tool="Packager")


def run_ffmpeg(
    argv: list[str],
    cwd: Path,
    binaries: FFmpegBinaries,
    on_progress_line: Callable[[str], None],
    timeout_s: float,
    tool: str = "FFmpeg",
) -> None:
    """Run ffmpeg to completion, feeding each stdout line to `on_progress_line`.

    The whole process group is killed on every exit path: success, error, timeout, and any
    exception raised by the callback or delivered to this thread (soft time limit, cancel).
    """
    _supervise(_start(argv, cwd=cwd, binaries=binaries), on_progress_line, timeout_s, tool)


def run_packaged(ffmpeg_argv: list[str], cwd: Path, packager_argv: list[str],
                 packager_cwd: Path, pipe: Path, binaries: FFmpegBinaries,
                 on_progress_line: Callable[[str], None], timeout_s: float) -> None:  # fmt: skip
    """Run ffmpeg writing MPEG-TS into `pipe` (made here, a FIFO) while Shaka Packager reads
    it and writes segments as they complete, both to completion, under run_ffmpeg's rules.
    Whichever fails first names the failure: a packager that stops takes ffmpeg down with
    it (ffmpeg would otherwise wait forever to open, or write, a pipe no one reads)."""
    os.mkfifo(pipe)
    packager = _start(packager_argv, cwd=packager_cwd, binaries=binaries)
    tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
    drains = [threading.Thread(target=_drain, args=(stream, tail), daemon=True)
              for stream in (packager.stdout, packager.stderr)]  # fmt: skip
    for drain in drains:
        drain.start()
    over, packager_failed_first = threading.Event(), threading.Event()
    try:
        encoder = _start(ffmpeg_argv, cwd=cwd, binaries=binaries)

        def stop_encoder_if_packager_fails() -> None:
            # Only while the encoder runs: one that ended first has the telling failure.
            if packager.wait() != 0 and not over.is_set() and encoder.poll() is None:
                packager_failed_first.set()
                _sigkill_group(encoder)

        threading.Thread(target=stop_encoder_if_packager_fails, daemon=True).start()
        encoder_failure = None
        try:
            _supervise(encoder, on_progress_line, timeout_s, "FFmpeg")
        except MediaError as failure:
            # A packager that died may let ffmpeg exit on its own (its next write finds no
            # reader) before the watcher sees it: then the packager's reason is the one.
            if not (packager_failed_first.is_set() or _BROKEN_PIPE in failure.message):
                raise
            encoder_failure = failure
        try:  # the end of its input: the packager writes the last segments and manifests
            packager.wait(timeout=PACKAGER_FINISH_S)
        except subprocess.TimeoutExpired:
            raise JobTimeout("timeout: the packager did not finish after its input ended") from None
    finally:
        over.set()
        _kill_group(packager)
        for drain in drains:
            drain.join(timeout=2)
        _close_pipes(packager)
    if packager.returncode != 0:
        raise MediaError(_failure(packager.returncode, tail, "Packager"))
    if encoder_failure is not None:
        raise encoder_failure


def _supervise(process: subprocess.Popen[str], on_progress_line: Callable[[str], None],
               timeout_s: float, tool: str) -> None:  # fmt: skip
    stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
    drain = threading.Thread(target=_drain, args=(process.stderr, stderr_tail), daemon=True)
    drain.start()
    timed_out = threading.Event()
    watchdog = threading.Timer(timeout_s, _expire, args=(process, timed_out))
    watchdog.daemon = True
    watchdog.start()
    try:
        assert process.stdout is not None
        for line in process.stdout:
            on_progress_line(line)
        process.wait()
    finally:
        watchdog.cancel()
        _kill_group(process)
        drain.join(timeout=2)
        _close_pipes(process)
    if timed_out.is_set():
        raise JobTimeout(f"timeout: {tool.lower()} ran longer than {timeout_s:g} s")
    if process.returncode != 0:
        raise MediaError(_failure(process.returncode, stderr_tail, tool))


def render_image(
    argv: list[str], workdir: Path, name: str, binaries: FFmpegBinaries, timeout_s: float
) -> bytes:
    """Run ffmpeg writing one image (a still or an animation) named `name` in `workdir`, and
    return its bytes; MediaError if ffmpeg wrote nothing (a time past the last frame)."""
    run_ffmpeg(argv, workdir, binaries, lambda _line: None, timeout_s)
    made = workdir / name
    if not made.is_file() or made.stat().st_size == 0:
        raise MediaError("FFmpeg error: no frame there (is the time past the last frame?)")
    return made.read_bytes()


def _failure(returncode: int, tail: collections.deque[str], tool: str) -> str:
    # The whole tail is the evidence; it goes to the log (which carries the job's id),
    # and the job keeps one readable line of it.
    log.warning("%s exited with %d; its last stderr lines:\n%s", tool, returncode, "\n".join(tail))
    return failure_message(returncode, tail, tool)


def _expire(process: subprocess.Popen[str], timed_out: threading.Event) -> None:
    # On the watchdog thread: kill, but leave waiting to the thread that reads ffmpeg.
    timed_out.set()
    _sigkill_group(process)


def _drain(stream: IO[str] | None, tail: collections.deque[str]) -> None:
    if stream is None:
        return
    for line in stream:
        if line.strip():
            tail.append(line.rstrip())
