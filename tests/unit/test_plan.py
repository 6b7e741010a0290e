"""videoforge.media.plan: resolution parsing and fitting a source into a box."""

from __future__ import annotations

import pytest

from videoforge.errors import InvalidRequest
from videoforge.media.plan import AUTO, fit, parse_resolution
from videoforge.models import Resolution


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1920:1080", Resolution(1920, 1080)),
        ("1920x1080", Resolution(1920, 1080)),
        (" 1280 : 720 ", Resolution(1280, 720)),
        ("1280:-2", Resolution(1280, AUTO)),
        ("-2:720", Resolution(AUTO, 720)),
        ("1080:1920", Resolution(1080, 1920)),  # portrait box
        ("2:2", Resolution(2, 2)),
        ("7680:4320", Resolution(7680, 4320)),  # the largest box, landscape
        ("4320:7680", Resolution(4320, 7680)),  # ... and portrait
        ("-2:7680", Resolution(AUTO, 7680)),  # one side only: the long-side limit applies
        ("7680:-2", Resolution(7680, AUTO)),
    ],
)
def test_parse_resolution_valid(text: str, expected: Resolution) -> None:
    assert parse_resolution(text) == expected


@pytest.mark.parametrize(
    ("text", "message_part"),
    [
        ("1921:1080", "positive even"),  # odd width
        ("1920:1081", "positive even"),  # odd height
        ("0:720", "positive even"),
        ("1280:0", "positive even"),
        ("-4:720", "positive even"),  # negative other than -2
        ("1280:-1", "positive even"),  # -1 is not the auto marker here
        ("-2:-2", "one side only"),
        ("7682:100", "at most 7680x4320"),  # long side too long, landscape
        ("100:7682", "at most 7680x4320"),  # ... and portrait
        ("4322:4322", "at most 7680x4320"),  # short side over 4320
        ("7680:4322", "at most 7680x4320"),
        ("4322:7680", "at most 7680x4320"),
        ("-2:7682", "at most 7680x4320"),
        ("", "must look like"),
        ("hd", "must look like"),
        ("1920", "must look like"),
        ("1920:", "must look like"),
        ("1920*1080", "must look like"),
        ("1920:1080:30", "must look like"),
        ("19.2:10.8", "must look like"),
        ("123456:2", "must look like"),  # more than five digits
        ("1920:1080; rm -rf /", "must look like"),
    ],
)
def test_parse_resolution_invalid(text: str, message_part: str) -> None:
    with pytest.raises(InvalidRequest) as exc_info:
        parse_resolution(text)
    assert message_part in exc_info.value.message
    assert exc_info.value.http_status == 422


def test_parse_resolution_very_long_text_is_rejected_with_a_short_message() -> None:
    text = "1920:1080" * 10_000
    with pytest.raises(InvalidRequest) as exc_info:
        parse_resolution(text)
    # The message quotes at most 40 characters of the input.
    assert len(exc_info.value.message) < 120


# (source display size, box, upscale, expected output size)
FIT_CASES = [
    # 16:9 source
    ((1920, 1080), Resolution(1280, 720), False, (1280, 720)),
    ((1920, 1080), Resolution(854, 480), False, (854, 480)),
    ((1920, 1080), Resolution(-2, 720), False, (1280, 720)),
    ((1920, 1080), Resolution(1280, -2), False, (1280, 720)),
    ((1920, 1080), Resolution(1280, 1280), False, (1280, 720)),  # square box: width decides
    ((1920, 1080), Resolution(3840, 2160), False, (1920, 1080)),  # no upscale by default
    ((1920, 1080), Resolution(3840, 2160), True, (3840, 2160)),
    ((1280, 720), Resolution(-2, 1080), False, (1280, 720)),
    ((1280, 720), Resolution(-2, 1080), True, (1920, 1080)),
    # 4:3 source in a 16:9 box: height decides, pillarbox-free width
    ((1440, 1080), Resolution(1280, 720), False, (960, 720)),
    ((640, 480), Resolution(1280, 720), False, (640, 480)),
    ((640, 480), Resolution(1280, 720), True, (960, 720)),
    ((640, 480), Resolution(320, -2), False, (320, 240)),
    # portrait source
    ((1080, 1920), Resolution(1280, 720), False, (404, 720)),
    ((1080, 1920), Resolution(-2, 720), False, (404, 720)),
    ((1080, 1920), Resolution(720, -2), False, (720, 1280)),
    ((1080, 1920), Resolution(720, 1280), False, (720, 1280)),
    ((1080, 1920), Resolution(1280, -2), False, (1080, 1920)),
    ((1080, 1920), Resolution(1280, -2), True, (1280, 2276)),
    # odd-sided and extreme sources
    ((853, 480), Resolution(1920, 1080), False, (852, 480)),
    ((7680, 2), Resolution(640, 360), False, (640, 2)),
]


@pytest.mark.parametrize(("source", "box", "upscale", "expected"), FIT_CASES)
def test_fit(
    source: tuple[int, int], box: Resolution, upscale: bool, expected: tuple[int, int]
) -> None:
    assert fit(source, box, upscale=upscale) == expected


SOURCES = [(1920, 1080), (1440, 1080), (1080, 1920), (720, 576), (3840, 1600), (1366, 768)]
BOXES = [
    Resolution(1280, 720),
    Resolution(640, 360),
    Resolution(-2, 480),
    Resolution(426, -2),
    Resolution(720, 1280),
    Resolution(7680, 4320),
    Resolution(2, 2),
]


@pytest.mark.parametrize("upscale", [False, True])
@pytest.mark.parametrize("box", BOXES, ids=str)
@pytest.mark.parametrize("source", SOURCES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_fit_is_even_inside_the_box_and_keeps_the_aspect(
    source: tuple[int, int], box: Resolution, upscale: bool
) -> None:
    width, height = fit(source, box, upscale=upscale)
    assert width % 2 == 0 and height % 2 == 0
    assert width >= 2 and height >= 2
    if box.width != AUTO:
        assert width <= box.width
    if box.height != AUTO:
        assert height <= box.height
    if not upscale:
        assert width <= source[0] and height <= source[1]
    # Aspect ratio is kept to within the rounding of each side to an even number.
    if min(width, height) >= 100:
        assert width / height == pytest.approx(source[0] / source[1], rel=0.02)


def test_fit_never_upscales_an_odd_sided_source_without_upscale() -> None:
    width, height = fit((855, 481), Resolution(1920, 1080), upscale=False)
    assert width <= 855 and height <= 481
