"""videoforge.media.ladder: the auto ladder, explicit rungs, bitrate caps, rates and levels."""

from __future__ import annotations

import pytest

from videoforge.errors import InvalidRequest
from videoforge.media.ladder import (
    MAX_AUTO_RUNGS,
    TABLE,
    auto_ladder,
    check_ladder_name,
    explicit_ladder,
    fps_expression,
    h264_level,
    maxrate_kbps,
    output_fps,
)
from videoforge.models import Rendition


def sizes(rungs: list[Rendition]) -> list[tuple[int, int]]:
    return [(r.width, r.height) for r in rungs]


def test_a_1080p_source_gets_five_rungs_from_the_table_never_above_it() -> None:
    rungs = auto_ladder((1920, 1080), 30.0)
    assert sizes(rungs) == [(1920, 1080), (1280, 720), (960, 540), (640, 360), (426, 240)]
    assert [r.maxrate_kbps for r in rungs] == [6000, 3000, 2000, 800, 400]


def test_a_4k_source_keeps_top_middle_and_bottom_within_five_rungs() -> None:
    rungs = auto_ladder((3840, 2160), 30.0)
    assert len(rungs) == MAX_AUTO_RUNGS
    assert sizes(rungs) == [(3840, 2160), (1920, 1080), (1280, 720), (640, 360), (426, 240)]


def test_a_tiny_source_gets_one_rung_of_its_own_size() -> None:
    assert sizes(auto_ladder((176, 144), 25.0)) == [(176, 144)]
    # Odd sides come out even, never larger than the source.
    assert sizes(auto_ladder((175, 143), 25.0)) == [(174, 142)]


@pytest.mark.parametrize("display", [(1080, 1920), (720, 1280)])
def test_portrait_sources_get_the_same_rungs_on_their_short_side(
    display: tuple[int, int],
) -> None:
    portrait = auto_ladder(display, 30.0)
    landscape = auto_ladder((display[1], display[0]), 30.0)
    assert sizes(portrait) == [(h, w) for w, h in sizes(landscape)]
    assert [r.maxrate_kbps for r in portrait] == [r.maxrate_kbps for r in landscape]


def test_a_wide_source_fills_the_width_of_its_rungs() -> None:
    # 2.4:1 at 1920 wide: the 1080 rung's box holds it at full width, never upscaled.
    rungs = auto_ladder((1920, 800), 24.0)
    assert sizes(rungs)[0] == (1920, 800)
    assert all(w <= 1920 and h <= 800 for w, h in sizes(rungs))
    assert rungs[0].maxrate_kbps < 6000  # fewer pixels than the full box


def test_rungs_are_highest_first_with_even_sides_and_distinct() -> None:
    for display in [(1920, 1080), (1280, 720), (854, 480), (640, 360), (1000, 1000), (720, 576)]:
        rungs = sizes(auto_ladder(display, 30.0))
        assert rungs == sorted(rungs, key=lambda s: s[0] * s[1], reverse=True)
        assert len(set(rungs)) == len(rungs)
        assert all(w % 2 == 0 and h % 2 == 0 for w, h in rungs)
        assert 1 <= len(rungs) <= MAX_AUTO_RUNGS


def test_high_frame_rates_carry_more_bits() -> None:
    assert maxrate_kbps(1280, 720, 60.0) == 4500
    assert maxrate_kbps(1280, 720, 30.0) == 3000
    # 240 fps is encoded at 60, so it is a high-frame-rate rung too.
    assert maxrate_kbps(1280, 720, 240.0) == 4500


def test_maxrate_follows_the_table_for_table_sizes() -> None:
    for rung in TABLE:
        assert maxrate_kbps(rung.width, rung.lines, 30.0) == rung.maxrate_kbps


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (240.0, 60.0),
        (120.0, 60.0),
        (100.0, 50.0),
        (59.94, 59.94),
        (29.97, 29.97),
        (30.0, 30.0),
        (25.0, 25.0),
        (29.87, 29.97),  # a VFR average close to NTSC snaps to it
        (17.3, 17.3),
        (0.0, 30.0),  # unknown
    ],
)
def test_output_rate_is_constant_and_at_most_60(source: float, expected: float) -> None:
    assert output_fps(source) == expected


def test_fps_expression_is_exact_for_ntsc_rates() -> None:
    assert fps_expression(29.97) == "30000/1001"
    assert fps_expression(59.94) == "60000/1001"
    assert fps_expression(25.0) == "25"


@pytest.mark.parametrize(
    ("width", "height", "fps", "kbps", "level"),
    [
        (1920, 1080, 30.0, 6000, "4.0"),
        (1920, 1080, 60.0, 9000, "4.2"),
        (1280, 720, 30.0, 3000, "3.1"),
        (1280, 720, 60.0, 4500, "3.2"),
        (640, 360, 30.0, 800, "3.0"),
        (426, 240, 30.0, 400, "2.1"),
        (3840, 2160, 30.0, 14000, "5.1"),
        (3840, 2160, 60.0, 21000, "5.2"),
    ],
)
def test_h264_level_is_the_lowest_that_holds_the_rung(
    width: int, height: int, fps: float, kbps: int, level: str
) -> None:
    assert h264_level(width, height, fps, kbps) == level


def test_explicit_rungs_are_fitted_and_ordered() -> None:
    rungs = explicit_ladder(["640:360", "1920:1080", "1280:720"], (1920, 1080), 30.0)
    assert sizes(rungs) == [(1920, 1080), (1280, 720), (640, 360)]


@pytest.mark.parametrize(
    ("boxes", "message"),
    [
        ([], "at least one"),
        ([f"{2 * n}:{2 * n}" for n in range(100, 109)], "at most 8"),
        (["1280x"], "resolution must look like"),
        (["641:360"], "positive even"),
        (["1280:720", "1280:720"], "both come out as 1280x720"),
        # Different boxes, same size on a 1080p source without upscale.
        (["1920:1080", "3840:2160"], "both come out as 1920x1080"),
    ],
)
def test_bad_explicit_rungs_are_refused_in_words(boxes: list[str], message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        explicit_ladder(boxes, (1920, 1080), 30.0)


def test_unknown_ladder_names_are_refused() -> None:
    check_ladder_name("auto")
    with pytest.raises(InvalidRequest, match="unknown ladder 'best'; known: auto"):
        check_ladder_name("best")
