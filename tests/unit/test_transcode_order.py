"""videoforge.submit: which transcode requests are refused before anything is stored, and
the rungs a ladder request plans."""

from __future__ import annotations

import re

import pytest

from videoforge.errors import InvalidRequest
from videoforge.models import MediaInfo, OutputFormat, SegmentFormat
from videoforge.submit import (
    TranscodeOrder,
    asked_for,
    check_order,
    plan_clip,
    plan_renditions,
)

HLS, DASH, CMAF, MP4 = OutputFormat.HLS, OutputFormat.DASH, OutputFormat.CMAF, OutputFormat.MP4
SOURCE = MediaInfo(
    duration_s=10.0, width=1920, height=1080, video_codec="h264", audio_codec="aac",
    format_name="mov,mp4,m4a,3gp,3g2,mj2", size_bytes=1, fps=30.0,
)  # fmt: skip


@pytest.mark.parametrize(
    ("order", "message"),
    [
        (TranscodeOrder(MP4, ladder="auto"), "a ladder needs format hls, dash or cmaf"),
        (TranscodeOrder(OutputFormat.WEBM, renditions=["640:360"]), "webm is one rendition"),
        (TranscodeOrder(HLS, ladder="auto", renditions=["640:360"]), "ladder or renditions"),
        (TranscodeOrder(HLS, ladder="best"), "unknown ladder 'best'"),
        (TranscodeOrder(DASH, segment_format=SegmentFormat.TS), "segment_format applies to hls"),
        (TranscodeOrder(MP4), "resolution is required for mp4"),
        (TranscodeOrder(HLS), "resolution is required for hls"),
        (TranscodeOrder(HLS, "1280:720", renditions=["640:360"]), "resolution or renditions"),
    ],
)
def test_bad_combinations_are_refused_in_words(order: TranscodeOrder, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        check_order(order)


@pytest.mark.parametrize(
    ("order", "ladder"),
    [
        (TranscodeOrder(HLS, "1280:720"), False),  # the classic MPEG-TS rendition
        (TranscodeOrder(HLS, "1280:720", segment_format=SegmentFormat.TS), False),
        (TranscodeOrder(HLS, "1280:720", segment_format=SegmentFormat.FMP4), True),
        (TranscodeOrder(HLS, ladder="auto"), True),
        (TranscodeOrder(DASH), True),
        (TranscodeOrder(CMAF, "1280:720"), True),
        (TranscodeOrder(MP4, "1280:720"), False),
    ],
)
def test_which_orders_are_ladders(order: TranscodeOrder, ladder: bool) -> None:
    check_order(order)
    assert order.wants_ladder is ladder


def sizes(order: TranscodeOrder) -> list[str]:
    return [f"{r.width}x{r.height}" for r in plan_renditions(order, SOURCE)]


def test_planned_rungs() -> None:
    assert sizes(TranscodeOrder(CMAF)) == ["1920x1080", "1280x720", "960x540", "640x360",
                                           "426x240"]  # fmt: skip
    # resolution with a ladder caps its top rung.
    assert sizes(TranscodeOrder(HLS, "1280:720", ladder="auto")) == [
        "1280x720", "960x540", "640x360", "426x240",
    ]  # fmt: skip
    assert sizes(TranscodeOrder(DASH, "1280:720")) == ["1280x720"]
    assert sizes(TranscodeOrder(HLS, renditions=["640:360", "1280:720"])) == ["1280x720",
                                                                             "640x360"]  # fmt: skip


@pytest.mark.parametrize(
    ("order", "asked"),
    [
        (TranscodeOrder(DASH), "auto"),
        (TranscodeOrder(CMAF), "auto"),
        (TranscodeOrder(HLS, segment_format=SegmentFormat.FMP4), "auto"),
        (TranscodeOrder(HLS, "1280x720", ladder="auto"), "auto"),
        (TranscodeOrder(DASH, "1280x720"), "1280:720"),
        (TranscodeOrder(HLS, renditions=["1280x720", "640:360"]), "1280:720,640:360"),
    ],
)
def test_the_record_says_what_a_ladder_asked_for(order: TranscodeOrder, asked: str) -> None:
    assert asked_for(order) == asked


@pytest.mark.parametrize(
    ("start_s", "end_s", "expected"),
    [
        (None, None, None),
        (1.0, 4.0, (1.0, 4.0)),
        (None, 4.0, (0.0, 4.0)),
        (2.0, None, (2.0, 10.0)),  # to the end of the 10 s source
        (0.0, 10.0, (0.0, 10.0)),
    ],
)
def test_a_clip_is_its_window_with_open_ends_at_the_source_ends(
    start_s: float | None, end_s: float | None, expected: tuple[float, float] | None
) -> None:
    clip = plan_clip(TranscodeOrder(MP4, "640:360", start_s=start_s, end_s=end_s), 10.0)
    assert (None if clip is None else (clip.start_s, clip.end_s)) == expected


@pytest.mark.parametrize(
    ("start_s", "end_s", "message"),
    [
        (3.0, 3.0, "end_s must be after start_s, got 3 to 3"),
        (4.0, 2.0, "end_s must be after start_s"),
        (1.0, 10.5, "end_s must be within the video (0 to 10 s), got 10.5"),
        (11.0, None, "start_s must be within the video"),
    ],
)
def test_bad_clips_are_refused_in_words(
    start_s: float | None, end_s: float | None, message: str
) -> None:
    with pytest.raises(InvalidRequest, match=re.escape(message)):
        plan_clip(TranscodeOrder(MP4, "640:360", start_s=start_s, end_s=end_s), 10.0)
