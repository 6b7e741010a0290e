"""What users read when ffmpeg, ffprobe or the packager fails (pure): the one stderr line
that says why, without local paths."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

log = logging.getLogger(__name__)

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
    lines = list(tail)
    # The whole tail is the evidence; it goes to the log (which carries the job's id),
    # and the job keeps one readable line of it.
    log.warning("%s exited with %d; its last stderr lines:\n%s", tool, returncode, "\n".join(lines))
    detail = scrub(_reason(lines)) or f"exit code {returncode}"
    return f"{tool} error: {detail}"


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
