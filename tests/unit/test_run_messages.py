"""media.run's message scrubbing: no local paths in what users read."""

from __future__ import annotations

import collections

import pytest

from videoforge.media.run import _ffmpeg_failure, _scrub


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
