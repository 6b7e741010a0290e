"""videoforge.media.storyboard: the sprite's layout, its WebVTT and the ffmpeg command."""

from __future__ import annotations

from pathlib import Path

import pytest

from videoforge.media.filters import VideoPrep
from videoforge.media.storyboard import layout, plan_storyboard, storyboard_argv, vtt
from videoforge.models import MediaInfo


def media(duration_s: float, width: int = 1920, height: int = 1080, **extra: object) -> MediaInfo:
    return MediaInfo(duration_s=duration_s, width=width, height=height, video_codec="h264",
                     audio_codec=None, format_name="mp4", size_bytes=1, **extra)  # type: ignore[arg-type]  # fmt: skip


@pytest.mark.parametrize(("duration_s", "count"), [(4.0, 50), (899.9, 50), (900.0, 100)])
def test_fifty_tiles_under_15_minutes_a_hundred_above(duration_s: float, count: int) -> None:
    board = plan_storyboard(media(duration_s))
    assert board.count == count and board.rows == count // 10
    assert (board.tile_width, board.tile_height) == (160, 90)


def test_tiles_keep_the_displayed_aspect_and_never_grow() -> None:
    assert (plan_storyboard(media(10, 1080, 1920)).tile_height) == 284  # portrait
    rotated = plan_storyboard(media(10, 1920, 1080, rotation_deg=90))
    assert (rotated.tile_width, rotated.tile_height) == (160, 284)
    small = plan_storyboard(media(10, 120, 90))
    assert (small.tile_width, small.tile_height) == (120, 90)


def test_cues_cover_the_video_back_to_back_inside_the_sprite() -> None:
    board = plan_storyboard(media(12.5, 640, 360))
    text = vtt(layout(board))
    assert text.startswith("WEBVTT\n\n")
    cues = [block.splitlines() for block in text.strip().split("\n\n")[1:]]
    assert len(cues) == 50
    assert cues[0] == ["00:00:00.000 --> 00:00:00.250", "storyboard.jpg#xywh=0,0,160,90"]
    assert cues[11] == ["00:00:02.750 --> 00:00:03.000", "storyboard.jpg#xywh=160,90,160,90"]
    assert cues[-1][0] == "00:00:12.250 --> 00:00:12.500"
    ends = [cue[0].split(" --> ") for cue in cues]
    assert all(ends[i][1] == ends[i + 1][0] for i in range(len(ends) - 1))
    for _, tile in cues:
        x, y, w, h = map(int, tile.split("#xywh=")[1].split(","))
        assert x + w <= 160 * 10 and y + h <= 90 * board.rows


def test_the_sprite_is_one_tiled_frame_of_the_main_video() -> None:
    board = plan_storyboard(media(30.0))
    argv = storyboard_argv("/ffmpeg", Path("/s"), board, VideoPrep(video_index=1), 100)
    vf = argv[argv.index("-vf") + 1]
    assert vf == "fps=50/30.000,scale=160:90:flags=bicubic,setsar=1,tile=10x5"
    assert argv[argv.index("-map") + 1] == "0:1" and argv[argv.index("-frames:v") + 1] == "1"
    assert argv[argv.index("-i") + 1] == "file:/s" and "-skip_frame" not in argv
    long = storyboard_argv("/ffmpeg", Path("/s"), plan_storyboard(media(3600.0)), VideoPrep(), 1)
    assert long[long.index("-skip_frame") + 1] == "nokey"  # keyframes only for long videos
    assert long.index("-skip_frame") < long.index("-i")
