"""A job's own encoder settings (a preset's) in the ffmpeg argv, as data: CRF, maxrate,
x264 preset and audio in one rendition and in a ladder; none given: exactly the old argv."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.test_ladder_argv import RUNGS, outputs, value
from videoforge.media.command import AAC_AUDIO, EncodePlan, transcode_argv
from videoforge.media.encoding import Encoding
from videoforge.media.ladder_encode import LadderPlan, ladder_argv, rung_maxrate_kbps
from videoforge.models import OutputFormat, Rendition

FFMPEG = "/opt/ffmpeg"
PHONE = Encoding(crf=28, maxrate_kbps=1000, x264_preset="fast", audio_bitrate_kbps=64,
                 audio_channels=1)  # fmt: skip


def single(fmt: OutputFormat, encoding: Encoding | None = None) -> list[str]:
    plan = EncodePlan(Path("/job/source"), "out", fmt, 640, 360, has_audio=True,
                      encoding=encoding or Encoding())  # fmt: skip
    return transcode_argv(FFMPEG, plan)


def window(argv: list[str], start: str, length: int) -> list[str]:
    at = argv.index(start)
    return argv[at : at + length]


@pytest.mark.parametrize("fmt", [OutputFormat.MP4, OutputFormat.HLS])
def test_no_settings_keep_the_h264_defaults(fmt: OutputFormat) -> None:
    argv = single(fmt)
    assert window(argv, "-c:v", 6) == ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23"]
    assert "-maxrate" not in argv and "-bufsize" not in argv
    assert window(argv, "-c:a", 6) == AAC_AUDIO


def test_no_settings_keep_the_vp9_defaults() -> None:
    argv = single(OutputFormat.WEBM)
    assert window(argv, "-c:v", 6) == ["-c:v", "libvpx-vp9", "-crf", "32", "-b:v", "0"]
    assert window(argv, "-c:a", 6) == ["-c:a", "libopus", "-b:a", "96k", "-ac", "2"]


@pytest.mark.parametrize("fmt", [OutputFormat.MP4, OutputFormat.HLS])
def test_h264_takes_the_jobs_settings(fmt: OutputFormat) -> None:
    argv = single(fmt, PHONE)
    assert window(argv, "-c:v", 10) == [
        "-c:v", "libx264", "-preset", "fast", "-crf", "28",
        "-maxrate", "1000k", "-bufsize", "2000k",
    ]  # fmt: skip
    assert window(argv, "-c:a", 6) == ["-c:a", "aac", "-b:a", "64k", "-ac", "1"]
    assert "-pix_fmt" in argv and value(argv, "-pix_fmt") == "yuv420p"


def test_vp9_takes_the_jobs_settings_with_maxrate_as_its_cap() -> None:
    argv = single(OutputFormat.WEBM, PHONE)
    assert window(argv, "-c:v", 6) == ["-c:v", "libvpx-vp9", "-crf", "28", "-b:v", "1000k"]
    assert window(argv, "-c:a", 6) == ["-c:a", "libopus", "-b:a", "64k", "-ac", "1"]
    assert "-preset" not in argv  # x264's only


def test_a_setting_left_out_keeps_its_default_and_zero_is_a_value() -> None:
    argv = single(OutputFormat.MP4, Encoding(crf=0, audio_channels=1))
    assert window(argv, "-c:v", 6) == ["-c:v", "libx264", "-preset", "veryfast", "-crf", "0"]
    assert window(argv, "-c:a", 6) == ["-c:a", "aac", "-b:a", "128k", "-ac", "1"]


def test_a_ladder_takes_the_jobs_settings_and_maxrate_caps_every_rung() -> None:
    plan = LadderPlan(Path("/job/source"), RUNGS, has_audio=True, encoding=PHONE)
    rung0, rung1, audio = outputs(ladder_argv(FFMPEG, plan))
    for group in (rung0, rung1):
        assert (value(group, "-crf"), value(group, "-preset")) == ("28", "fast")
    # 3000k is capped at the preset's 1000k; 800k is below it and stays.
    assert (value(rung0, "-maxrate"), value(rung0, "-bufsize")) == ("1000k", "2000k")
    assert (value(rung1, "-maxrate"), value(rung1, "-bufsize")) == ("800k", "1600k")
    assert value(rung0, "-level:v") == "3.1"  # the level follows the capped rate
    assert (value(audio, "-b:a"), value(audio, "-ac")) == ("64k", "1")


def test_a_ladder_without_settings_is_unchanged() -> None:
    plan = LadderPlan(Path("/job/source"), RUNGS, has_audio=True)
    assert ladder_argv(FFMPEG, plan) == ladder_argv(FFMPEG, LadderPlan(
        Path("/job/source"), RUNGS, has_audio=True, encoding=Encoding()))  # fmt: skip
    rung0, _, audio = outputs(ladder_argv(FFMPEG, plan))
    assert (value(rung0, "-crf"), value(rung0, "-maxrate")) == ("23", "3000k")
    assert window(audio, "-c:a", 6) == AAC_AUDIO


def test_rung_caps() -> None:
    rung = Rendition(1920, 1080, 5000)
    assert rung_maxrate_kbps(rung, Encoding()) == 5000
    assert rung_maxrate_kbps(rung, Encoding(maxrate_kbps=2500)) == 2500
    assert rung_maxrate_kbps(rung, Encoding(maxrate_kbps=9000)) == 5000
