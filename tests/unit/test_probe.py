"""videoforge.media.probe: ffprobe argv and parsing of recorded ffprobe JSON.

The fixtures are real ffprobe 6.0 output for small lavfi clips; see fixtures/make_probe_fixtures.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from videoforge.errors import UnsupportedMedia
from videoforge.media.probe import parse_probe, probe_argv
from videoforge.models import MediaInfo

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_text(name: str) -> str:
    return (FIXTURES / f"probe_{name}.json").read_text()


def fixture_data(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(fixture_text(name))
    return data


def test_probe_argv() -> None:
    argv = probe_argv("/usr/bin/ffprobe", Path("/data/tmp/job-1/source"))
    assert argv == [
        "/usr/bin/ffprobe",
        "-hide_banner",
        "-v",
        "error",
        # Guards: local files only, and only real video containers as demuxers.
        "-protocol_whitelist",
        "file",
        "-format_whitelist",
        "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mpegts,mpeg,flv,asf,ogg,mxf,dv,"
        "h264,hevc,m4v,mpegvideo",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        "file:/data/tmp/job-1/source",
    ]


def test_probe_argv_keeps_odd_names_as_one_file_argument() -> None:
    argv = probe_argv("ffprobe", Path("-i http:/x y.mp4"))
    assert argv[-1] == "file:-i http:/x y.mp4"
    assert len(argv) == 13
    assert argv.count("file:-i http:/x y.mp4") == 1


MP4 = "mov,mp4,m4a,3gp,3g2,mj2"

# fixture -> (duration_s, width, height, video, audio, format, rotation, display size, fps,
#             stream count); all recorded clips are 25/1 fps (avg_frame_rate and r_frame_rate).
VIDEO_FIXTURES = {
    "h264_aac_16x9": (1.0, 640, 360, "h264", "aac", MP4, 0, (640, 360), 25.0, 2),
    "video_only": (1.0, 320, 240, "h264", None, MP4, 0, (320, 240), 25.0, 1),
    # Coded 640x360 with a 90 degree display matrix: shown as portrait.
    "rotated_display_matrix": (1.0, 640, 360, "h264", None, MP4, 90, (360, 640), 25.0, 1),
    "portrait_coded": (1.0, 360, 640, "h264", None, MP4, 0, (360, 640), 25.0, 1),
    # Coded 320x240 with 2:1 pixels: displayed 640 wide.
    "anamorphic_sar2": (1.0, 640, 240, "h264", None, MP4, 0, (640, 240), 25.0, 1),
}


CODING_FIELDS = (
    "pix_fmt", "video_profile", "video_bitrate_bps", "square_pixels", "constant_rate",
    "audio_profile", "audio_channels",
)  # fmt: skip


def test_how_the_streams_are_coded() -> None:
    info = parse_probe(fixture_text("h264_aac_16x9"))
    video, audio = fixture_data("h264_aac_16x9")["streams"]
    assert (info.pix_fmt, info.video_profile) == ("yuv420p", video["profile"])
    assert info.video_bitrate_bps == int(video["bit_rate"]) > 0
    assert info.square_pixels and info.constant_rate
    assert (info.audio_profile, info.audio_channels) == (audio["profile"], audio["channels"])
    assert not parse_probe(fixture_text("anamorphic_sar2")).square_pixels


@pytest.mark.parametrize(("name", "expected"), VIDEO_FIXTURES.items())
def test_parse_recorded_video(name: str, expected: tuple[Any, ...]) -> None:
    duration, width, height, vcodec, acodec, fmt, rotation, display, fps, streams = expected
    info = parse_probe(fixture_text(name))
    assert info == MediaInfo(
        duration_s=duration,
        width=width,
        height=height,
        video_codec=vcodec,
        audio_codec=acodec,
        format_name=fmt,
        size_bytes=int(fixture_data(name)["format"]["size"]),
        rotation_deg=rotation,
        fps=fps,
        stream_count=streams,
        # The recorded clips put video first and audio (if any) second.
        video_index=0,
        audio_index=1 if acodec else None,
        field_order=fixture_data(name)["streams"][0].get("field_order", ""),
        color_transfer=fixture_data(name)["streams"][0].get("color_transfer", ""),
        # How the streams are coded: checked on their own below.
        **{field: getattr(info, field) for field in CODING_FIELDS},
    )
    assert info.display_size == display
    assert info.size_bytes > 0
    # The expected counts match the recorded JSON, not just the table above.
    assert info.stream_count == len(fixture_data(name)["streams"])


@pytest.mark.parametrize(
    ("name", "message_part"),
    [
        ("mp3_cover_art", "no video stream"),  # the cover is an attached_pic, not video
        ("audio_only_m4a", "no video stream"),
        ("png_image", "png_pipe input is not a video file"),
    ],
)
def test_parse_recorded_non_video(name: str, message_part: str) -> None:
    with pytest.raises(UnsupportedMedia) as exc_info:
        parse_probe(fixture_text(name))
    assert message_part in exc_info.value.message
    assert exc_info.value.http_status == 415


def test_cover_art_fixture_really_has_an_attached_picture() -> None:
    # Guards the fixture: the mp3 case is only meaningful with a cover "video" stream.
    streams = fixture_data("mp3_cover_art")["streams"]
    assert [s["codec_type"] for s in streams] == ["audio", "video"]
    assert streams[1]["disposition"]["attached_pic"] == 1


def with_changes(name: str, fmt: dict[str, Any] | None = None, **video: Any) -> str:
    """A recorded fixture with some format fields and first video stream fields replaced."""
    data = fixture_data(name)
    data["format"].update(fmt or {})
    stream = next(s for s in data["streams"] if s["codec_type"] == "video")
    for key, value in video.items():
        if value is None:
            stream.pop(key, None)
        else:
            stream[key] = value
    return json.dumps(data)


@pytest.mark.parametrize(
    ("text", "message_part"),
    [
        ("", "not a recognised media container"),
        ("{}", "not a recognised media container"),
        ('{"format": {}, "streams": []}', "not a recognised media container"),
        ('{"format": null}', "not a recognised media container"),
        ('{"format": {"format_name": ""}}', "not a recognised media container"),
        ('{"streams": [{"codec_type": "video"}]}', "not a recognised media container"),
        ('{"format": {"format_name": "mp3"}}', "no video stream"),
        ("{not json", "could not be read as media"),
        ('{"format": {"format_name": "mov"', "could not be read as media"),
        ("ffprobe: error: No such file", "could not be read as media"),
    ],
)
def test_malformed_or_empty_probe(text: str, message_part: str) -> None:
    with pytest.raises(UnsupportedMedia) as exc_info:
        parse_probe(text)
    assert message_part in exc_info.value.message


@pytest.mark.parametrize(
    "format_name", ["image2", "tty", "lavfi", "concat", "hls", "ffmetadata", "jpeg_pipe"]
)
def test_demuxers_that_are_never_an_upload(format_name: str) -> None:
    text = with_changes("video_only", {"format_name": format_name})
    with pytest.raises(UnsupportedMedia, match="is not a video file"):
        parse_probe(text)


@pytest.mark.parametrize(
    ("fmt", "video", "message_part"),
    [
        ({"duration": None}, {"duration": None}, "no duration"),
        ({"duration": "0.000000"}, {"duration": "0.000000"}, "no duration"),
        ({"duration": "N/A"}, {"duration": "N/A"}, "no duration"),
        ({}, {"width": 0}, "no frame size"),
        ({}, {"height": None}, "no frame size"),
    ],
)
def test_unusable_video_stream(
    fmt: dict[str, Any], video: dict[str, Any], message_part: str
) -> None:
    data = json.loads(with_changes("video_only", None, **video))
    for key, value in fmt.items():
        if value is None:
            del data["format"][key]
        else:
            data["format"][key] = value
    with pytest.raises(UnsupportedMedia, match=message_part):
        parse_probe(json.dumps(data))


def test_duration_falls_back_to_the_video_stream() -> None:
    data = fixture_data("h264_aac_16x9")
    del data["format"]["duration"]
    data["streams"][0]["duration"] = "12.345678"
    assert parse_probe(json.dumps(data)).duration_s == 12.346


def test_attached_picture_before_the_real_video_is_skipped() -> None:
    data = fixture_data("h264_aac_16x9")
    cover = {
        "codec_type": "video",
        "codec_name": "mjpeg",
        "width": 600,
        "height": 600,
        "disposition": {"attached_pic": 1},
    }
    data["streams"].insert(0, cover)
    info = parse_probe(json.dumps(data))
    assert (info.width, info.height, info.video_codec) == (640, 360, "h264")


@pytest.mark.parametrize(
    ("video", "rotation"),
    [
        ({"side_data_list": [{"side_data_type": "Display Matrix", "rotation": -90}]}, 270),
        ({"side_data_list": [{"side_data_type": "Display Matrix", "rotation": 180}]}, 180),
        ({"side_data_list": [{"side_data_type": "Display Matrix", "rotation": "-90.00"}]}, 270),
        ({"side_data_list": [{"side_data_type": "Other"}], "tags": {"rotate": "90"}}, 90),
        ({"tags": {"rotate": "270"}}, 270),  # ffprobe before 5.0 used a tag
        ({"tags": {"rotate": "junk"}}, 0),
        ({"tags": {}}, 0),
    ],
)
def test_rotation(video: dict[str, Any], rotation: int) -> None:
    info = parse_probe(with_changes("h264_aac_16x9", **video))
    assert info.rotation_deg == rotation
    swapped = rotation % 180 == 90
    assert info.display_size == ((360, 640) if swapped else (640, 360))


@pytest.mark.parametrize(
    ("sar", "width"),
    [
        ("64:45", 455),  # PAL 16:9 pixel shape on 320 coded pixels: 455.1 -> 455
        ("1:2", 160),
        ("0:1", 320),  # unknown
        ("N/A", 320),
        ("1:0", 320),
        ("100:1", 320),  # absurd: ignored
        (None, 320),  # absent
    ],
)
def test_sample_aspect_ratio(sar: str | None, width: int) -> None:
    info = parse_probe(with_changes("video_only", sample_aspect_ratio=sar))
    assert (info.width, info.height) == (width, 240)


@pytest.mark.parametrize("text", ["[]", "null", "42", '"text"'])
def test_valid_json_that_is_not_an_object(text: str) -> None:
    with pytest.raises(UnsupportedMedia):
        parse_probe(text)
