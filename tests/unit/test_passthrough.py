"""videoforge.media.passthrough: which sources are fit to copy, keyframe gaps, and the
argv of copied outputs, as data."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from videoforge.media.command import EncodePlan, transcode_argv
from videoforge.media.ladder_encode import LadderPlan, ladder_argv
from videoforge.media.passthrough import (
    audio_copyable,
    max_kbps,
    max_keyframe_gap_s,
    unfit_reason,
)
from videoforge.models import MediaInfo, OutputFormat, Rendition

FIT = MediaInfo(
    duration_s=20.0, width=1920, height=1080, video_codec="h264", audio_codec="aac",
    format_name="mov,mp4,m4a,3gp,3g2,mj2", size_bytes=1, fps=30.0, pix_fmt="yuv420p",
    video_profile="High", video_bitrate_bps=5_000_000, audio_profile="LC", audio_channels=2,
)  # fmt: skip


def test_a_fit_source_at_its_own_size_may_be_copied() -> None:
    assert unfit_reason(FIT, (1920, 1080)) is None
    assert audio_copyable(FIT)
    assert max_kbps(1920, 1080) == 8000 and max_kbps(1280, 720) == 3556


@pytest.mark.parametrize(
    ("changes", "size", "reason"),
    [
        ({"video_codec": "hevc"}, (1920, 1080), "the video is hevc, not H.264"),
        ({"pix_fmt": "yuv420p10le"}, (1920, 1080), "not 8-bit 4:2:0"),
        ({"video_profile": "High 10"}, (1920, 1080), "profile is High 10"),
        ({"field_order": "tt"}, (1920, 1080), "interlaced or HDR"),
        ({"color_transfer": "smpte2084"}, (1920, 1080), "interlaced or HDR"),
        ({}, (1280, 720), "not the source's own size"),
        ({"square_pixels": False}, (1920, 1080), "not the source's own size"),
        ({"rotation_deg": 90}, (1920, 1080), "not the source's own size"),
        ({"fps": 120.0}, (1920, 1080), "at most 60 fps"),
        ({"constant_rate": False}, (1920, 1080), "not constant"),
        ({"video_bitrate_bps": 9_000_000}, (1920, 1080), "at most 8000 kbit/s"),
        ({"video_bitrate_bps": 0}, (1920, 1080), "not known"),
    ],
)
def test_unfit_sources_say_why(changes: dict[str, object], size: tuple[int, int],
                               reason: str) -> None:  # fmt: skip
    assert reason in (unfit_reason(dataclasses.replace(FIT, **changes), size) or "")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "copyable"),
    [({}, True), ({"audio_channels": 1}, True), ({"audio_channels": 6}, False),
     ({"audio_profile": "HE-AAC"}, False), ({"audio_codec": "opus"}, False)],
)  # fmt: skip
def test_only_aac_lc_stereo_or_mono_audio_is_copied(changes: dict[str, object],
                                                     copyable: bool) -> None:  # fmt: skip
    assert audio_copyable(dataclasses.replace(FIT, **changes)) is copyable  # type: ignore[arg-type]


def test_the_longest_keyframe_gap_counts_the_end() -> None:
    csv = "0.000000,K__\n0.033,__\n2.000000,K__\n4.5,K_\n9.0,__\n"
    assert max_keyframe_gap_s(csv, 10.0) == pytest.approx(5.5)  # 4.5 s to the end
    assert max_keyframe_gap_s("0.0,__\n", 10.0) == float("inf")  # no keyframe at all
    assert max_keyframe_gap_s("1.0,K_\n", 2.0) == pytest.approx(1.0)  # from 0 to the first


def test_a_copied_single_output_has_no_filter_and_copies_its_streams() -> None:
    plan = EncodePlan(Path("/s"), "stem", OutputFormat.HLS, 1920, 1080, has_audio=True,
                      copy_video=True, copy_audio=True)  # fmt: skip
    argv = transcode_argv("/ffmpeg", plan)
    assert "-vf" not in argv and "-force_key_frames" not in argv and "libx264" not in argv
    assert argv[argv.index("-c:v") + 1] == "copy" and argv[argv.index("-c:a") + 1] == "copy"


def test_a_ladder_copies_its_top_rung_and_keys_the_others_on_the_source() -> None:
    rungs = (Rendition(1920, 1080, 6000), Rendition(640, 360, 800))
    argv = ladder_argv("/ffmpeg", LadderPlan(Path("/s"), rungs, has_audio=True, copy_top=True))
    graph = argv[argv.index("-filter_complex") + 1]
    assert graph == "[0:v:0]split=1[s1];[s1]scale=640:360:flags=bicubic,setsar=1,format=yuv420p[v1]"
    top = argv[argv.index("rung0.mp4") - 10 : argv.index("rung0.mp4")]
    assert top[:4] == ["-map", "0:v:0", "-c:v", "copy"]
    rung1 = argv[argv.index("rung0.mp4") + 1 : argv.index("rung1.mp4")]
    assert rung1[rung1.index("-force_key_frames") + 1] == "source"
    audio = argv[argv.index("rung1.mp4") + 1 : argv.index("audio.mp4")]
    assert audio[audio.index("-c:a") + 1] == "aac"  # copy_audio not asked
