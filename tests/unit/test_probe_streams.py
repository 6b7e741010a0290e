"""Which stream is read and how it is prepared, over recorded ffprobe JSON of the sources
that trip naive pipelines (poster first, HDR10, HLG, interlaced PAL, 240 fps, VFR).

The fixtures are real ffprobe 6.0 output for the sources tests/e2e/test_tricky_sources.py
transcodes; see fixtures/make_tricky_probe_fixtures.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from videoforge.errors import UnsupportedMedia
from videoforge.media.filters import BT709_TAGS, VideoPrep
from videoforge.media.probe import main_video, parse_probe
from videoforge.models import MediaInfo

FIXTURES = Path(__file__).parent / "fixtures"


def recorded(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"probe_tricky_{name}.json").read_text())
    return data


def media(name: str) -> MediaInfo:
    return parse_probe(json.dumps(recorded(name)))


# fixture -> (video_index, audio_index, field_order, color_transfer, fps, display size)
EXPECTED = {
    # The MJPEG poster is stream 0 in both; the real video is stream 1.
    "poster_first_mp4": (1, 2, "progressive", "", 30.0, (640, 360)),
    "poster_first_mkv": (1, 2, "progressive", "", 30.0, (640, 360)),
    "hdr10_hevc": (0, 1, "progressive", "smpte2084", 25.0, (640, 360)),
    "hlg_transfer_only": (0, None, "progressive", "arib-std-b67", 25.0, (640, 360)),
    # 720x576 with 16:15 pixels is shown 768 wide.
    "interlaced_pal_mpeg2": (0, 1, "tt", "", 25.0, (768, 576)),
    "hfr_240": (0, 1, "progressive", "", 240.0, (320, 240)),
    # The MP4's average: 126 frames in 2.983 s. Matroska has none, so r_frame_rate (120).
    "vfr_mp4": (0, 1, "progressive", "", 42.239, (320, 240)),
    "vfr_mkv": (0, 1, "progressive", "", 120.0, (320, 240)),
}


@pytest.mark.parametrize(("name", "expected"), EXPECTED.items())
def test_recorded_source_is_read_as_expected(name: str, expected: tuple[Any, ...]) -> None:
    video_index, audio_index, field_order, transfer, fps, display = expected
    info = media(name)
    assert (info.video_index, info.audio_index) == (video_index, audio_index)
    assert (info.field_order, info.color_transfer) == (field_order, transfer)
    assert info.fps == fps
    assert info.display_size == display
    assert info.interlaced is (name == "interlaced_pal_mpeg2")
    assert info.hdr is (name in ("hdr10_hevc", "hlg_transfer_only"))
    # The chosen index is the recorded stream that is what the table says.
    streams = recorded(name)["streams"]
    assert streams[video_index]["codec_type"] == "video"
    assert info.video_codec == streams[video_index]["codec_name"]


@pytest.mark.parametrize("name", ["poster_first_mp4", "poster_first_mkv"])
def test_the_poster_is_a_still_and_the_real_video_is_chosen(name: str) -> None:
    streams = recorded(name)["streams"]
    poster, real = streams[0], streams[1]
    assert (poster["codec_name"], real["codec_name"]) == ("mjpeg", "h264")
    # Same size, and the poster comes first and is not cover art: ffmpeg's own choice (the
    # largest, the first of equals) and 0:v:0 would both encode the red frame.
    assert (poster["width"], poster["height"]) == (real["width"], real["height"])
    assert not poster["disposition"]["attached_pic"]
    assert main_video(streams) is real
    assert media(name).duration_s == pytest.approx(3.0, abs=0.05)


def test_matroska_states_no_frame_count_only_where_a_track_ends() -> None:
    """What the still test rests on in Matroska: no nb_frames, a DURATION tag that is the
    track's end (the poster starts 21 ms in, after the AAC priming, and "ends" at 61 ms)."""
    poster, real, _ = recorded("poster_first_mkv")["streams"]
    assert "nb_frames" not in poster and "nb_frames" not in real
    assert float(poster["start_time"]) == pytest.approx(0.021)
    assert poster["tags"]["DURATION"] == "00:00:00.061000000"
    assert real["tags"]["DURATION"] == "00:00:03.021000000"


# Each source's preparation as data: the filters before scaling, the maps and the tags.
CHAINS = {
    "poster_first_mp4": ["fps=30"],
    "poster_first_mkv": ["fps=30"],
    "hdr10_hevc": [
        "zscale=tin=smpte2084:min=bt2020nc:pin=bt2020:rin=tv:t=linear:p=bt2020:npl=100",
        "format=gbrpf32le",
        "zscale=p=bt709",
        "tonemap=tonemap=hable:desat=0",
        "zscale=t=bt709:m=bt709:r=tv",
        "fps=25",
    ],
    "hlg_transfer_only": [
        "zscale=tin=arib-std-b67:min=bt2020nc:pin=bt2020:rin=tv:t=linear:p=bt2020:npl=100",
        "format=gbrpf32le",
        "zscale=p=bt709",
        "tonemap=tonemap=hable:desat=0",
        "zscale=t=bt709:m=bt709:r=tv",
        "fps=25",
    ],
    # One frame per frame: 25i to 25p.
    "interlaced_pal_mpeg2": ["bwdif=mode=send_frame:parity=auto:deint=all", "fps=25"],
    "hfr_240": ["fps=60"],
    "vfr_mp4": ["fps=42.239"],
    "vfr_mkv": ["fps=60"],
}


@pytest.mark.parametrize(("name", "chain"), CHAINS.items())
def test_preparation_of_each_recorded_source(name: str, chain: list[str]) -> None:
    info = media(name)
    prep = VideoPrep.of(info)
    assert prep.chain() == chain
    assert prep.video_map == f"0:{EXPECTED[name][0]}"
    # No audio: nothing is mapped (has_audio is false), and the map keeps its default.
    assert prep.audio_map == ("0:a:0" if info.audio_index is None else f"0:{info.audio_index}")
    assert prep.color_tags() == (BT709_TAGS if info.hdr else [])


def test_hlg_frames_without_primaries_get_them_named() -> None:
    """The HLG source tags only its transfer; zscale takes unnamed output properties from
    the frame, so without p= the linear step would go from bt2020 to "unknown" and fail."""
    video = recorded("hlg_transfer_only")["streams"][0]
    assert "color_primaries" not in video and "color_space" not in video
    first = VideoPrep.of(media("hlg_transfer_only")).chain()[0]
    assert "pin=bt2020" in first.split(":") and "p=bt2020" in first.split(":")


# main_video over small stream lists: the rules, one at a time.


def stream(index: int, width: int = 640, height: int = 360, **fields: Any) -> dict[str, Any]:
    return {"index": index, "codec_type": "video", "width": width, "height": height,
            "avg_frame_rate": "25/1", **fields}  # fmt: skip


def test_cover_art_and_one_frame_streams_are_skipped_even_when_larger() -> None:
    cover = stream(0, 1920, 1080, disposition={"attached_pic": 1})
    poster = stream(1, 1920, 1080, nb_frames="1")
    real = stream(2, nb_frames="90")
    assert main_video([cover, poster, real]) is real


def test_the_largest_real_stream_wins_and_the_first_of_equals() -> None:
    small, large, same = stream(0, 320, 180), stream(1, 1280, 720), stream(2, 1280, 720)
    assert main_video([small, large, same]) is large


@pytest.mark.parametrize(
    ("tags", "start_time", "still"),
    [
        ({"DURATION": "00:00:00.040000000"}, "0.000000", True),  # one frame at 25 fps
        ({"DURATION": "00:00:00.061000000"}, "0.021000", True),  # the same, 21 ms in
        ({"DURATION": "00:00:00.120000000"}, "0.000000", False),  # three frames
        ({"DURATION": "00:00:03.000000000"}, "0.000000", False),
        # mkvmerge's statistics tags, per language: the frame count decides.
        ({"NUMBER_OF_FRAMES-eng": "1", "DURATION-eng": "00:00:05.000000000"}, "0", True),
        ({"NUMBER_OF_FRAMES-eng": "75"}, "0", False),
        ({}, "0", False),  # nothing said: not a still
        ({"DURATION": "garbage"}, "0", False),
    ],
)
def test_matroska_stills_are_known_by_their_length(
    tags: dict[str, str], start_time: str, still: bool
) -> None:
    candidate = stream(0, tags=tags, start_time=start_time)
    other = stream(1, tags={"DURATION": "00:00:03.000000000"})
    assert main_video([candidate, other]) is (other if still else candidate)


def test_a_file_of_stills_only_has_no_video() -> None:
    data = recorded("poster_first_mp4")
    data["streams"] = [data["streams"][0], data["streams"][2]]  # the poster and the audio
    with pytest.raises(UnsupportedMedia, match="no video stream"):
        parse_probe(json.dumps(data))
