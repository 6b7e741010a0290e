"""videoforge.media.probe input rules: refuse_lists, check_limits and the frame rate (_rate)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from videoforge.errors import InvalidRequest, RefusedInput
from videoforge.media.probe import InputLimits, _rate, check_limits, parse_probe, refuse_lists
from videoforge.models import MediaInfo

FIXTURES = Path(__file__).parent / "fixtures"
BOM = b"\xef\xbb\xbf"

# ---------------------------------------------------------------------------------------------
# refuse_lists
# ---------------------------------------------------------------------------------------------

# marker -> (a realistic file head, a part of the message)
LISTS = {
    b"#EXTM3U": (b"#EXTM3U\n#EXT-X-VERSION:3\n#EXTINF:6.0,\n../other/source\n", "HLS playlists"),
    b"ffconcat": (b"ffconcat version 1.0\nfile '../job-2/source'\n", "ffconcat lists"),
    b"concat:": (b"concat:/data/a.mp4|/data/b.mp4", "concat lists"),
    b"<?xml": (b'<?xml version="1.0" encoding="utf-8"?>\n<MPD xmlns="urn:mpeg:dash">', "XML files"),
    b"<MPD": (b'<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static">', "DASH manifests"),
}


def variants(head: bytes, marker: bytes) -> dict[str, bytes]:
    """The same head hidden behind a BOM, blank space, or in another letter case."""
    rest = head[len(marker) :]
    return {
        "plain": head,
        "marker-only": marker,
        "bom": BOM + head,
        "spaces": b"   " + head,
        "blank-lines": b"\r\n\n\t \r\n" + head,
        "bom-then-space": BOM + b" \n" + head,
        "space-then-bom": b"\n" + BOM + head,
        "upper": marker.upper() + rest,
        "lower": marker.lower() + rest,
        "bom-upper": BOM + b"\n" + marker.upper() + rest,
        "swapped-case": marker.swapcase() + rest,
    }


REFUSED = [
    pytest.param(head, message, id=f"{marker.decode()}-{name}")
    for marker, (original, message) in LISTS.items()
    for name, head in variants(original, marker).items()
]


@pytest.mark.parametrize(("head", "message_part"), REFUSED)
def test_lists_are_refused(head: bytes, message_part: str) -> None:
    with pytest.raises(RefusedInput) as exc_info:
        refuse_lists(head)
    assert message_part in exc_info.value.message
    assert isinstance(exc_info.value, InvalidRequest)
    assert exc_info.value.http_status == 422


@pytest.mark.parametrize(
    "head",
    [
        pytest.param(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", id="mp4"),
        pytest.param(b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ", id="mov"),
        pytest.param(b"\x1aE\xdf\xa3\x9fB\x86\x81\x01B\xf7\x81\x01", id="matroska"),
        pytest.param(b"RIFF\x24\x00\x00\x00AVI LIST", id="avi"),
        pytest.param(b"\x47\x40\x00\x10\x00\x00\xb0\x0d", id="mpegts"),
        pytest.param(b"\x00\x00\x01\xba\x44\x00\x04\x00", id="mpeg-ps"),
        pytest.param(b"FLV\x01\x05\x00\x00\x00\x09", id="flv"),
        pytest.param(b"OggS\x00\x02\x00\x00", id="ogg"),
        pytest.param(b"\x00\x00\x00\x01\x67\x42\xc0\x1e", id="raw-h264"),
        pytest.param(b"", id="empty"),
        pytest.param(b" \r\n\t", id="only-blank"),
        pytest.param(BOM, id="only-bom"),
        # Close to a marker, but not one.
        pytest.param(b"#EXTM3", id="cut-hls-marker"),
        pytest.param(b"# EXTM3U\n", id="spaced-hls-marker"),
        pytest.param(b"ffconca", id="cut-ffconcat"),
        pytest.param(b"concat /a.mp4", id="concat-without-colon"),
        pytest.param(b"<?xm", id="cut-xml"),
        pytest.param(b"<MP4", id="not-mpd"),
        pytest.param(b"<html><body>", id="html"),
        # A marker that is not at the start is no list.
        pytest.param(b"\x00\x00\x00\x18ftypmp42#EXTM3U", id="marker-inside-mp4"),
        pytest.param(b"x#EXTM3U", id="marker-after-a-letter"),
        pytest.param(b"\x00#EXTM3U", id="marker-after-nul"),
    ],
)
def test_video_heads_and_near_misses_pass(head: bytes) -> None:
    refuse_lists(head)  # no exception


def test_every_marker_has_a_case() -> None:
    # The table above must cover each refused marker (as the brief lists them).
    assert set(LISTS) == {b"#EXTM3U", b"ffconcat", b"concat:", b"<?xml", b"<MPD"}


# ---------------------------------------------------------------------------------------------
# check_limits
# ---------------------------------------------------------------------------------------------

LIMITS = InputLimits(max_pixels=1920 * 1080, max_duration_s=3600, max_fps=60, max_streams=4)


def media(**changes: Any) -> MediaInfo:
    """A video within LIMITS, with some fields replaced."""
    fields: dict[str, Any] = {
        "duration_s": 10.0,
        "width": 1280,
        "height": 720,
        "video_codec": "h264",
        "audio_codec": "aac",
        "format_name": "mov,mp4,m4a,3gp,3g2,mj2",
        "size_bytes": 1_000_000,
        "rotation_deg": 0,
        "fps": 30.0,
        "stream_count": 2,
    }
    fields.update(changes)
    return MediaInfo(**fields)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, id="typical"),
        pytest.param({"width": 1920, "height": 1079}, id="pixels-under"),
        pytest.param({"width": 1920, "height": 1080}, id="pixels-at"),
        pytest.param({"width": 1080, "height": 1920}, id="pixels-at-portrait"),
        pytest.param({"width": 2073600, "height": 1}, id="pixels-at-one-row"),
        pytest.param({"duration_s": 3599.999}, id="duration-under"),
        pytest.param({"duration_s": 3600.0}, id="duration-at"),
        pytest.param({"fps": 59.94}, id="fps-under"),
        pytest.param({"fps": 60.0}, id="fps-at"),
        pytest.param({"fps": 0.0}, id="fps-unknown"),
        pytest.param({"stream_count": 3}, id="streams-under"),
        pytest.param({"stream_count": 4}, id="streams-at"),
        pytest.param(
            {"width": 1920, "height": 1080, "duration_s": 3600.0, "fps": 60.0, "stream_count": 4},
            id="all-at",
        ),
    ],
)
def test_within_limits(changes: dict[str, Any]) -> None:
    check_limits(media(**changes), LIMITS)  # no exception


@pytest.mark.parametrize(
    ("changes", "setting", "parts"),
    [
        pytest.param(
            {"width": 1920, "height": 1081},
            "MAX_INPUT_PIXELS",
            ["1920x1081", "2075520 pixels", "MAX_INPUT_PIXELS is 2073600"],
            id="pixels-just-over",
        ),
        pytest.param(
            {"width": 7680, "height": 4320},
            "MAX_INPUT_PIXELS",
            ["7680x4320", "33177600 pixels", "MAX_INPUT_PIXELS is 2073600"],
            id="pixels-8k",
        ),
        pytest.param(
            {"width": 2073601, "height": 1},
            "MAX_INPUT_PIXELS",
            ["2073601x1", "2073601 pixels", "MAX_INPUT_PIXELS is 2073600"],
            id="pixels-one-row",
        ),
        pytest.param(
            {"duration_s": 3601.0},
            "MAX_INPUT_DURATION_S",
            ["lasts 3601 s", "MAX_INPUT_DURATION_S is 3600"],
            id="duration-over",
        ),
        pytest.param(
            {"duration_s": 86400.0},
            "MAX_INPUT_DURATION_S",
            ["lasts 86400 s", "MAX_INPUT_DURATION_S is 3600"],
            id="duration-a-day",
        ),
        pytest.param(
            {"fps": 61.0},
            "MAX_INPUT_FPS",
            ["61 fps", "MAX_INPUT_FPS is 60"],
            id="fps-over",
        ),
        pytest.param(
            {"fps": 90000.0},
            "MAX_INPUT_FPS",
            ["90000 fps", "MAX_INPUT_FPS is 60"],
            id="fps-timebase-like",
        ),
        pytest.param(
            {"stream_count": 5},
            "MAX_INPUT_STREAMS",
            ["5 streams", "MAX_INPUT_STREAMS is 4"],
            id="streams-just-over",
        ),
        pytest.param(
            {"stream_count": 1000},
            "MAX_INPUT_STREAMS",
            ["1000 streams", "MAX_INPUT_STREAMS is 4"],
            id="streams-many",
        ),
    ],
)
def test_over_a_limit(changes: dict[str, Any], setting: str, parts: list[str]) -> None:
    with pytest.raises(RefusedInput) as exc_info:
        check_limits(media(**changes), LIMITS)
    message = exc_info.value.message
    assert exc_info.value.http_status == 422
    assert setting in message
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"
    # Only the broken rule is named.
    others = {"MAX_INPUT_PIXELS", "MAX_INPUT_DURATION_S", "MAX_INPUT_FPS", "MAX_INPUT_STREAMS"}
    for other in others - {setting}:
        assert other not in message


@pytest.mark.parametrize(
    ("changes", "setting"),
    [
        pytest.param({"duration_s": 3600.001}, "MAX_INPUT_DURATION_S", id="duration"),
        pytest.param({"fps": 60.001}, "MAX_INPUT_FPS", id="fps"),
    ],
)
def test_a_hair_over_is_still_refused(changes: dict[str, Any], setting: str) -> None:
    with pytest.raises(RefusedInput, match=setting):
        check_limits(media(**changes), LIMITS)


@pytest.mark.parametrize(
    ("changes", "value", "limit"),
    [
        pytest.param({"duration_s": 3600.4}, "3600.4", "3600", id="duration"),
        pytest.param({"fps": 60.4}, "60.4", "60", id="fps"),
    ],
)
def test_message_tells_a_just_over_value_from_the_limit(
    changes: dict[str, Any], value: str, limit: str
) -> None:
    with pytest.raises(RefusedInput) as exc_info:
        check_limits(media(**changes), LIMITS)
    assert value in exc_info.value.message
    assert f"is {limit}" in exc_info.value.message


def test_fractional_limits_are_compared_exactly() -> None:
    limits = InputLimits(max_pixels=100, max_duration_s=1.5, max_fps=29.97, max_streams=1)
    small: dict[str, Any] = {"width": 10, "height": 10, "stream_count": 1}
    check_limits(media(**small, duration_s=1.5, fps=29.97), limits)
    with pytest.raises(RefusedInput, match="MAX_INPUT_FPS"):
        check_limits(media(**small, duration_s=1.5, fps=30.0), limits)
    with pytest.raises(RefusedInput, match="MAX_INPUT_DURATION_S"):
        check_limits(media(**small, duration_s=1.501, fps=25.0), limits)


def test_the_first_broken_rule_is_reported() -> None:
    everything_over = media(width=4000, height=4000, duration_s=1e6, fps=1000.0, stream_count=99)
    with pytest.raises(RefusedInput, match="MAX_INPUT_PIXELS"):
        check_limits(everything_over, LIMITS)


# ---------------------------------------------------------------------------------------------
# Frame rate: _rate directly and through parse_probe
# ---------------------------------------------------------------------------------------------

RATES = [
    pytest.param("30000/1001", "30000/1001", 29.97, id="ntsc-30"),
    pytest.param("24000/1001", "24000/1001", 23.976, id="ntsc-24"),
    pytest.param("60000/1001", "60000/1001", 59.94, id="ntsc-60"),
    pytest.param("25/1", "25/1", 25.0, id="pal"),
    pytest.param("1/3", "1/3", 0.333, id="slideshow"),
    pytest.param("0/0", "25/1", 25.0, id="avg-unknown-falls-back"),
    pytest.param("0/1", "30/1", 30.0, id="avg-zero-falls-back"),
    pytest.param("1/0", "24/1", 24.0, id="avg-zero-denominator-falls-back"),
    pytest.param("-25/1", "25/1", 25.0, id="avg-negative-falls-back"),
    pytest.param("garbage", "30/1", 30.0, id="avg-garbage-falls-back"),
    pytest.param("nan/1", "50/1", 50.0, id="avg-nan-falls-back"),
    pytest.param(None, "50/1", 50.0, id="avg-missing"),
    pytest.param("30", None, 30.0, id="no-denominator"),
    pytest.param("0/0", "0/0", 0.0, id="both-unknown"),
    pytest.param("garbage", "junk/x", 0.0, id="both-garbage"),
    pytest.param("a/b", "", 0.0, id="empty"),
    pytest.param(None, None, 0.0, id="both-missing"),
]


def stream(avg: str | None, r: str | None) -> dict[str, Any]:
    video: dict[str, Any] = {"codec_type": "video"}
    if avg is not None:
        video["avg_frame_rate"] = avg
    if r is not None:
        video["r_frame_rate"] = r
    return video


@pytest.mark.parametrize(("avg", "r", "fps"), RATES)
def test_rate(avg: str | None, r: str | None, fps: float) -> None:
    assert _rate(stream(avg, r)) == fps


@pytest.mark.parametrize(("avg", "r", "fps"), RATES)
def test_rate_through_parse_probe(avg: str | None, r: str | None, fps: float) -> None:
    data = json.loads((FIXTURES / "probe_video_only.json").read_text())
    video = data["streams"][0]
    for key, value in (("avg_frame_rate", avg), ("r_frame_rate", r)):
        if value is None:
            del video[key]
        else:
            video[key] = value
    info = parse_probe(json.dumps(data))
    assert info.fps == fps
    assert info.stream_count == 1


@pytest.mark.parametrize(("value", "fps"), [(25, 25.0), (None, 0.0), (29.97, 29.97)])
def test_rate_of_non_string_values(value: Any, fps: float) -> None:
    assert _rate({"avg_frame_rate": value, "r_frame_rate": value}) == fps


def test_rate_comes_from_the_first_real_video_stream() -> None:
    data = json.loads((FIXTURES / "probe_h264_aac_16x9.json").read_text())
    cover = {
        "codec_type": "video",
        "codec_name": "mjpeg",
        "width": 600,
        "height": 600,
        "avg_frame_rate": "0/0",
        "r_frame_rate": "90000/1",
        "disposition": {"attached_pic": 1},
    }
    data["streams"].insert(0, cover)
    info = parse_probe(json.dumps(data))
    assert info.fps == 25.0  # the h264 stream's, not the cover art's 90000
    assert info.stream_count == 3  # every stream counts, cover art included
