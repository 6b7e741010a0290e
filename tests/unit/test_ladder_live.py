"""A ladder packaged as it is encoded, as data: the one-stream MPEG-TS encode into the
packager's pipe (media.ladder_encode.live_argv), the live packager command
(media.packaging), and what the packager's live manifests list and how they are ended
(segments.packaged), on manifests as Shaka Packager v3.8 wrote them here."""

# ruff: noqa: E501 (the manifests are quoted as the packager wrote them)

from __future__ import annotations

from pathlib import Path

import m3u8
import pytest
from mpegdash.parser import MPEGDASHParser

from videoforge.media.encoding import Encoding
from videoforge.media.ladder_encode import LIVE_PIPE, LadderPlan, for_stream, ladder_argv, live_argv
from videoforge.media.packaging import PackagePlan, package_argv
from videoforge.models import OutputFormat, Rendition, SegmentFormat
from videoforge.segments.packaged import (
    ended_playlist,
    mpd_tracks,
    playlist_track,
    static_mpd,
    with_target,
    with_time_offset,
)

FFMPEG = "/opt/ffmpeg"
RUNGS = (Rendition(1280, 720, 3000), Rendition(640, 360, 800))


def value(argv: list[str], option: str) -> str:
    assert argv.count(option) == 1, f"{option} in {argv}"
    return argv[argv.index(option) + 1]


def test_every_rung_and_the_audio_go_to_one_mpegts_stream_into_the_pipe() -> None:
    plan = LadderPlan(Path("/job/source"), RUNGS, has_audio=True, threads=2,
                      encoding=Encoding(audio_bitrate_kbps=96))  # fmt: skip
    argv = live_argv(FFMPEG, plan)
    assert argv[-3:] == ["-f", "mpegts", LIVE_PIPE] and argv.count("-f") == 1
    maps = [argv[i + 1] for i, arg in enumerate(argv) if arg == "-map"]
    assert maps == ["[v0]", "[v1]", "0:a:0"]  # the packager's stream numbers are these
    # Each rung's options name its stream, with the same values as the file-per-rung encode.
    assert value(argv, "-maxrate:v:0") == "3000k" and value(argv, "-maxrate:v:1") == "800k"
    assert value(argv, "-level:v:0") != value(argv, "-level:v:1")
    assert value(argv, "-threads:v:1") == "2"
    assert "-crf" not in argv and "-maxrate" not in argv  # none left for every stream
    # 48 kHz AAC at the job's bit rate; timestamps from zero (no mux delay).
    assert value(argv, "-ar") == "48000" and value(argv, "-b:a") == "96k"
    assert value(argv, "-muxdelay") == "0" and value(argv, "-muxpreload") == "0"
    # The same graph as the file-per-rung encode.
    assert value(argv, "-filter_complex") == value(ladder_argv(FFMPEG, plan), "-filter_complex")


def test_a_silent_source_has_no_audio_stream() -> None:
    argv = live_argv(FFMPEG, LadderPlan(Path("/job/source"), RUNGS, has_audio=False))
    assert "-ar" not in argv and "-c:a" not in argv
    assert [argv[i + 1] for i, arg in enumerate(argv) if arg == "-map"] == ["[v0]", "[v1]"]


def test_options_are_given_to_one_stream() -> None:
    pairs = ["-c:v", "libx264", "-crf", "23", "-profile:v", "high"]
    assert for_stream(pairs, "v:1") == ["-c:v:1", "libx264", "-crf:v:1", "23",
                                        "-profile:v:1", "high"]  # fmt: skip
    with pytest.raises(ValueError):
        for_stream(["-an"], "v:0")  # a flag without a value is not an option pair


def test_the_live_packager_reads_the_pipe_and_writes_event_playlists_and_a_dynamic_mpd() -> None:
    plan = PackagePlan("s-1", OutputFormat.CMAF, 2, True, SegmentFormat.FMP4, live=True)
    argv = package_argv("packager", plan)
    descriptors = [arg for arg in argv[1:] if arg.startswith("in=")]
    assert [d.split(",")[:2] for d in descriptors] == [
        ["in=../encoded/live.ts", "stream=0"], ["in=../encoded/live.ts", "stream=1"],
        ["in=../encoded/live.ts", "stream=audio"],
    ]  # fmt: skip
    assert value(argv, "--hls_playlist_type") == "EVENT"
    assert "--generate_static_live_mpd" not in argv
    assert value(argv, "--io_block_size") == "65536"
    assert value(argv, "--time_shift_buffer_depth") == str(6 * 3600)  # the longest input
    vod = package_argv("packager", PackagePlan("s-1", OutputFormat.CMAF, 2, True))
    assert value(vod, "--hls_playlist_type") == "VOD" and "--generate_static_live_mpd" in vod
    assert "--io_block_size" not in vod


# As the packager wrote them while a 40 s, two-rung CMAF ladder was encoded.
PLAYLIST = """#EXTM3U
#EXT-X-VERSION:6
## Generated with https://github.com/shaka-project/shaka-packager version v3.8.0-75b2faf-release
#EXT-X-TARGETDURATION:7
#EXT-X-PLAYLIST-TYPE:EVENT
#EXT-X-MAP:URI="s_v0_init.mp4"
#EXTINF:6.000,
s_v0_00001.m4s
#EXTINF:6.000,
s_v0_00002.m4s
"""
MPD = """<?xml version="1.0" encoding="UTF-8"?>
<!--Generated with https://github.com/shaka-project/shaka-packager version v3.8.0-75b2faf-release-->
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:mpeg:dash:schema:mpd:2011 DASH-MPD.xsd" profiles="urn:mpeg:dash:profile:isoff-live:2011" minBufferTime="PT2S" type="dynamic" publishTime="2026-11-30T07:56:08Z" availabilityStartTime="2026-11-30T07:55:33Z" minimumUpdatePeriod="PT5S" timeShiftBufferDepth="PT1800S">
  <Period id="0" start="PT0S">
    <AdaptationSet id="0" contentType="video" maxWidth="1280" maxHeight="720" frameRate="90000/3000" segmentAlignment="true" par="16:9">
      <Representation id="0" bandwidth="2562598" codecs="avc1.64001f" mimeType="video/mp4" sar="1:1" width="1280" height="720">
        <SegmentTemplate timescale="90000" initialization="s_v0_init.mp4" media="s_v0_$Number%05d$.m4s" startNumber="1">
          <SegmentTimeline>
            <S t="6000" d="540000" r="5"/>
            <S t="3246000" d="360000"/>
          </SegmentTimeline>
        </SegmentTemplate>
      </Representation>
    </AdaptationSet>
    <AdaptationSet id="1" contentType="audio" startWithSAP="1" segmentAlignment="true">
      <Representation id="2" bandwidth="70992" codecs="mp4a.40.2" mimeType="audio/mp4" audioSamplingRate="48000">
        <SegmentTemplate timescale="90000" initialization="s_a_init.mp4" media="s_a_$Number%05d$.m4s" startNumber="1">
          <SegmentTimeline>
            <S t="4080" d="541920"/>
            <S t="546000" d="540000" r="4"/>
            <S t="3246000" d="360000"/>
          </SegmentTimeline>
        </SegmentTemplate>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
"""


def test_a_playlist_names_its_init_section_and_its_segments() -> None:
    track = playlist_track(PLAYLIST)
    assert track is not None
    assert track.init == "s_v0_init.mp4"
    assert track.segments == ["s_v0_00001.m4s", "s_v0_00002.m4s"]
    assert playlist_track(PLAYLIST.rstrip("\n")) is None  # cut short: read it again later
    ts = PLAYLIST.replace('#EXT-X-MAP:URI="s_v0_init.mp4"\n', "").replace(".m4s", ".ts")
    assert playlist_track(ts) == type(track)(None, ["s_v0_00001.ts", "s_v0_00002.ts"])


def test_an_mpd_names_each_representations_segments_from_its_timeline() -> None:
    tracks = mpd_tracks(MPD)
    assert tracks is not None
    video, audio = tracks
    assert video.init == "s_v0_init.mp4" and audio.init == "s_a_init.mp4"
    assert video.segments == [f"s_v0_{n:05d}.m4s" for n in range(1, 8)]
    assert audio.segments == [f"s_a_{n:05d}.m4s" for n in range(1, 8)]
    assert mpd_tracks(MPD[: len(MPD) // 2]) is None


def test_the_target_duration_is_fixed_from_the_first_segment() -> None:
    fixed = with_target(PLAYLIST, 7)
    assert "#EXT-X-TARGETDURATION:7\n" in fixed and fixed.count("TARGETDURATION") == 1
    assert fixed.splitlines()[4:] == PLAYLIST.splitlines()[4:]  # nothing else changes
    assert with_target(PLAYLIST.replace("DURATION:7", "DURATION:9"), 7) == PLAYLIST.replace(
        "DURATION:7", "DURATION:9")  # never below a segment  # fmt: skip
    assert with_target(PLAYLIST.replace("DURATION:7", "DURATION:6"), 7) == fixed


def test_an_ended_playlist_stays_event_and_gets_its_end_once() -> None:
    ended = ended_playlist(PLAYLIST)
    assert ended.startswith(PLAYLIST)  # only appended to (RFC 8216 6.2.1)
    parsed = m3u8.loads(ended)
    assert parsed.playlist_type == "event" and parsed.is_endlist
    assert ended_playlist(ended) == ended


def test_the_presentation_starts_at_the_first_video_frame() -> None:
    aligned = with_time_offset(MPD)
    mpd = MPEGDASHParser.parse(aligned)
    templates = [
        representation.segment_templates[0]
        for adaptation in mpd.periods[0].adaptation_sets
        for representation in adaptation.representations
    ]
    assert [t.presentation_time_offset for t in templates] == [6000, 6000]
    assert with_time_offset(aligned) == aligned


def test_the_finished_mpd_is_static_and_lasts_to_the_end_of_its_longest_track() -> None:
    static = static_mpd(with_time_offset(MPD))
    mpd = MPEGDASHParser.parse(static)
    assert mpd.type == "static"
    assert mpd.media_presentation_duration == "PT40S"  # (3606000 - 6000) / 90000
    for name in ("availabilityStartTime", "publishTime", "minimumUpdatePeriod",
                 "timeShiftBufferDepth"):  # fmt: skip
        assert name not in static
    assert mpd_tracks(static) == mpd_tracks(MPD)  # the same segments


def test_timelines_carry_their_time_on_and_start_numbers_count_from_the_template() -> None:
    # An S without `t` starts where the one before ended; a template may start past 1, and
    # name its timescale after other attributes.
    mpd = MPD.replace('<S t="546000" d="540000" r="4"/>', '<S d="540000" r="4"/>').replace(
        'timescale="90000" initialization="s_a_init.mp4"',
        'initialization="s_a_init.mp4" timescale="90000"',
    ).replace('media="s_v0_$Number%05d$.m4s" startNumber="1"',
              'media="s_v0_$Number%05d$.m4s" startNumber="3"')  # fmt: skip
    tracks = mpd_tracks(mpd)
    assert tracks is not None
    assert tracks[0].segments[0] == "s_v0_00003.m4s" and len(tracks[0].segments) == 7
    aligned = with_time_offset(mpd)
    assert aligned.count('presentationTimeOffset="6000"') == 2
    assert MPEGDASHParser.parse(static_mpd(aligned)).media_presentation_duration == "PT40S"


def test_a_long_presentation_is_rounded_up_to_the_millisecond() -> None:
    # Over 3 h of video: never cut to six digits, never below the last frame.
    long = MPD.replace('<S t="3246000" d="360000"/>', '<S t="3246000" d="1107621996"/>', 1)
    duration = MPEGDASHParser.parse(static_mpd(long)).media_presentation_duration
    assert duration == "PT12342.978S"  # (3246000 + 1107621996) / 90000 = 12342.9777...
