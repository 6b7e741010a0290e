"""What users read when ffmpeg, ffprobe or the packager fails (pure): the one stderr line
that says why, without local paths."""

from __future__ import annotations

import re
from collections.abc import Iterable

from videoforge.errors import RefusedInput, UnsupportedMedia, VideoforgeError
from videoforge.media import probe

# What the decoder says when -max_pixels stops a decompression bomb.
_TOO_MANY_PIXELS = re.compile(r"Picture size (\d+)x(\d+) exceeds specified max pixel count (\d+)")
# What ffprobe says when the content is a container outside probe.ALLOWED_DEMUXERS.
_NOT_ALLOWED = re.compile(r"\[(\w+) @ [^]]+\] Format not on whitelist")
_LOCAL_PATH = re.compile(r"file:\S+?(?=:\s|$)")
# Lines ffmpeg prints after the real error, which say nothing about its cause.
_GENERIC_TRAILERS = frozenset({"Conversion failed!", "Exiting normally, received signal 15."})
# `[libx264 @ 0x55d0c1a2b3c0] ` at the start of a line: the component that logged it.
_COMPONENT = re.compile(r"^\[(\w+) @ 0x[0-9a-f]+\]\s*")
# `E1130 08:06:22.879566   11170 packager_main.cc:683] ` (glog, as Shaka Packager logs).
_GLOG_PREFIX = re.compile(r"^[IWEF]\d{4} [\d:.]+\s+\d+ [\w.]+:\d+\]\s*")


def failure_message(returncode: int, tail: Iterable[str], tool: str = "FFmpeg") -> str:
    """`{tool} error: <why>` for a process that exited with `returncode`, from the last
    lines of its stderr."""
    if returncode < 0:
        return f"{tool} error: killed by signal {-returncode}"
    detail = scrub(_reason(list(tail))) or f"exit code {returncode}"
    return f"{tool} error: {detail}"


def probe_failure(stderr: str, returncode: int) -> VideoforgeError:
    """What a failed ffprobe means for the file: too many pixels, a container that is not
    accepted, or not a readable video (with ffprobe's last line)."""
    too_big = _TOO_MANY_PIXELS.search(stderr)
    if too_big:
        return probe.too_many_pixels(*(int(group) for group in too_big.groups()))
    refused = _NOT_ALLOWED.search(stderr)
    if refused:
        return RefusedInput(f"{refused.group(1)} input is not accepted: upload a video file")
    reason = scrub(last_line(stderr)) or f"exit code {returncode}"
    return UnsupportedMedia(f"the file is not a readable video ({reason})")


def _reason(tail: list[str]) -> str:
    """The line that says why: ffmpeg ends most failures with a line that says only that it
    failed ("Conversion failed!"), so the last line before such trailers, named by its
    component (`[libx264 @ 0x55d0] msg` reads `libx264: msg`)."""
    lines = [line.strip() for line in tail if line.strip()]
    telling = [line for line in lines if line not in _GENERIC_TRAILERS] or lines
    if not telling:
        return ""
    return _GLOG_PREFIX.sub("", _COMPONENT.sub(r"\1: ", telling[-1]))[:300]


def scrub(message: str) -> str:
    """Drop local paths from ffmpeg's words: they mean nothing to users and reveal the layout."""
    return _LOCAL_PATH.sub("input", message).removeprefix("input: ")


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""
