"""media.run's message scrubbing: no local paths in what users read."""

from __future__ import annotations

import collections

import pytest

from videoforge.media import run
from videoforge.media.failures import failure_message as _ffmpeg_failure
from videoforge.media.failures import scrub as _scrub


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("file:/srv/data/tmp/upload-x1: Invalid data found when processing input",
         "Invalid data found when processing input"),
        ("file:data/tmp/job-1-pid2-abc/source: No such file or directory",
         "No such file or directory"),
        ("Error while decoding stream #0:0 at file:/a/b",
         "Error while decoding stream #0:0 at input"),
        ("Conversion failed!", "Conversion failed!"),
    ],
)  # fmt: skip
def test_scrub_removes_local_paths(raw: str, expected: str) -> None:
    assert _scrub(raw) == expected


def test_failure_message_uses_the_last_stderr_line_or_the_signal() -> None:
    tail = collections.deque(["first", "file:/x/y: Invalid argument"])
    assert _ffmpeg_failure(1, tail) == "FFmpeg error: Invalid argument"
    assert _ffmpeg_failure(1, collections.deque()) == "FFmpeg error: exit code 1"
    assert _ffmpeg_failure(-9, tail) == "FFmpeg error: killed by signal 9"


def test_failure_message_skips_ffmpegs_generic_trailer_and_names_the_component() -> None:
    tail = collections.deque(
        [
            "[libx264 @ 0x55d0c1a2b3c0] height not divisible by 2 (1280x721)",
            "Error initializing output stream 0:0 -- Error while opening encoder",
            "Conversion failed!",
        ]
    )
    assert _ffmpeg_failure(1, tail) == (
        "FFmpeg error: Error initializing output stream 0:0 -- Error while opening encoder"
    )
    tail.pop()
    tail.pop()
    assert _ffmpeg_failure(1, tail) == "FFmpeg error: libx264: height not divisible by 2 (1280x721)"
    # A trailer alone is still better than nothing.
    assert _ffmpeg_failure(1, collections.deque(["Conversion failed!"])) == (
        "FFmpeg error: Conversion failed!"
    )


def test_the_packagers_log_prefix_is_left_out() -> None:
    tail = [
        "E1130 08:06:22.576217   11176 local_file.cc:83] Cannot get file size, error: generic:95",
        "E1130 08:06:22.879566   11170 packager_main.cc:683] Packaging Error: 3 "
        "(INVALID_ARGUMENT): Stream not available",
    ]
    assert _ffmpeg_failure(2, tail, "Packager") == (
        "Packager error: Packaging Error: 3 (INVALID_ARGUMENT): Stream not available"
    )


def test_a_failure_logs_the_whole_stderr_tail(caplog: pytest.LogCaptureFixture) -> None:
    tail = collections.deque([f"line {n}" for n in range(20)])
    with caplog.at_level("WARNING", logger="videoforge.media.run"):
        message = run._failure(1, tail, "FFmpeg")
    assert message == "FFmpeg error: line 19"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert all(f"line {n}" in logged for n in range(20))
