"""Adaptive ladders end to end, read back with m3u8, mpegdash and ffprobe: the rungs a
source gets, and what the master playlist, the media playlists and the MPD declare against
what the init sections and segments hold. The jobs are the session's shared ones
(tests/e2e/ladder_jobs.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

from tests.e2e.ladder_checks import (
    AAC_OBJECT_TYPES,
    H264_PROFILES,
    SEGMENT_S,
    DashTrack,
    HlsLadder,
    avc1_from_init,
    dash_tracks,
    ffprobe_json,
    get,
    name_of,
    parse_mpd,
    read_hls,
)
from videoforge.media.binaries import FFmpegBinaries

# --- The rungs a source gets ------------------------------------------------------------


def test_a_1080p_source_gets_three_to_five_rungs_never_above_it(
    ladders: dict[str, dict[str, Any]], full_hls: HlsLadder
) -> None:
    job = ladders["full"]
    planned = job["renditions"]
    assert 3 <= len(planned) <= 5, planned
    assert job["resolution"] == "auto" and job["format"] == "cmaf"
    sizes = [tuple(map(int, size.split("x"))) for size in planned]
    assert sizes[0] == (1920, 1080)
    assert sizes == sorted(sizes, reverse=True) and len(set(sizes)) == len(sizes)
    for width, height in sizes:
        assert width <= 1920 and height <= 1080 and abs(width / height - 16 / 9) < 0.01
    assert (job["result"]["width"], job["result"]["height"]) == (1920, 1080)
    # What was planned is what the master declares, highest first.
    assert [v.stream_info.resolution for v, _ in full_hls.variants] == sizes


def test_a_source_below_every_rung_gets_one_rung_of_its_own_size(
    client: httpx.Client, ladders: dict[str, dict[str, Any]], binaries: FFmpegBinaries,
    tmp_path: Path,
) -> None:  # fmt: skip
    job = ladders["tiny"]
    assert job["renditions"] == ["176x144"]
    assert [(r["width"], r["height"]) for r in job["result"]["renditions"]] == [(176, 144)]
    ladder = read_hls(client, job["result"]["manifests"]["hls"])
    ((variant, track),) = ladder.variants
    assert variant.stream_info.resolution == (176, 144)
    (stream,) = ffprobe_json(binaries, track.whole(), tmp_path, "-show_streams")["streams"]
    assert (stream["width"], stream["height"]) == (176, 144)
    mpd = parse_mpd(get(client, job["result"]["manifests"]["dash"]).text)
    videos = [t for t in dash_tracks(mpd, "/") if t.content_type == "video"]
    assert [t.size for t in videos] == [(176, 144)]


# --- What the manifests declare ---------------------------------------------------------


def test_master_playlist_declares_each_rung_exactly(
    ladders: dict[str, dict[str, Any]], full_hls: HlsLadder, binaries: FFmpegBinaries,
    tmp_path: Path,
) -> None:  # fmt: skip
    master = full_hls.master
    assert master.is_independent_segments
    (audio_group,) = [media for media in master.media if media.type == "AUDIO"]
    assert audio_group.group_id and audio_group.uri
    assert full_hls.audio is not None
    (audio,) = ffprobe_json(binaries, full_hls.audio.whole(), tmp_path, "-show_streams")["streams"]
    assert audio["codec_name"] == "aac" and audio["codec_tag_string"] == "mp4a"
    audio_codec = f"mp4a.40.{AAC_OBJECT_TYPES[audio['profile']]}"
    assert audio_codec == "mp4a.40.2"
    for variant, track in full_hls.variants:
        info = variant.stream_info
        assert info.audio == audio_group.group_id, variant.uri  # every variant has the audio
        (video,) = ffprobe_json(binaries, track.whole(), tmp_path, "-show_streams")["streams"]
        assert video["codec_name"] == "h264" and video["codec_tag_string"] == "avc1"
        profile, constraints, level = avc1_from_init(track.init)
        assert profile == H264_PROFILES[video["profile"]] and level == video["level"]
        avc1 = f"avc1.{profile:02x}{constraints:02x}{level:02x}"
        assert info.codecs.lower() == f"{avc1},{audio_codec}"
        assert info.resolution == (video["width"], video["height"])
        numerator, denominator = map(int, video["avg_frame_rate"].split("/"))
        assert info.frame_rate == pytest.approx(numerator / denominator, abs=0.001)
        assert info.frame_rate == 30.0  # the source's rate
    # The task's result reads the same master.
    declared = [
        {"width": v.stream_info.resolution[0], "height": v.stream_info.resolution[1],
         "bandwidth": v.stream_info.bandwidth,
         "average_bandwidth": v.stream_info.average_bandwidth,
         "codecs": v.stream_info.codecs, "frame_rate": v.stream_info.frame_rate,
         "playlist": urljoin(full_hls.url, v.uri)}
        for v, _ in full_hls.variants
    ]  # fmt: skip
    assert ladders["full"]["result"]["renditions"] == declared


def test_media_playlists_are_complete_with_init_sections(full_hls: HlsLadder) -> None:
    assert full_hls.audio is not None
    for track in [*(track for _, track in full_hls.variants), full_hls.audio]:
        playlist = track.playlist
        # Published as EVENT while encoding; an EVENT playlist may only grow, so it ends so.
        assert playlist.playlist_type == "event" and playlist.is_endlist, track.url
        assert track.init_url and len(track.init) > 0 and track.init[4:8] == b"ftyp"
        assert all(s.init_section.uri == playlist.segment_map[0].uri for s in playlist.segments)
        durations = [segment.duration_s for segment in track.segments]
        assert len(durations) == 2, durations  # 8 s: 6 s, then the rest
        assert durations[0] == pytest.approx(SEGMENT_S, abs=0.05)
        assert sum(durations) == pytest.approx(8.0, abs=0.05)
        assert playlist.target_duration >= max(durations)
        assert all(segment.data[4:8] in (b"styp", b"moof") for segment in track.segments)


def test_mpd_is_static_with_one_video_set_of_every_rung_and_one_audio_set(
    ladders: dict[str, dict[str, Any]], full_hls: HlsLadder,
    full_dash: tuple[Any, list[DashTrack]],
) -> None:  # fmt: skip
    mpd, tracks = full_dash
    assert mpd.type == "static"
    # To the end of the longest track (the video starts two frames in: see static_mpd).
    duration = mpd.media_presentation_duration
    assert duration.startswith("PT") and float(duration[2:-1]) == pytest.approx(8.0, abs=0.1)
    (period,) = mpd.periods
    kinds = [adaptation.content_type for adaptation in period.adaptation_sets]
    assert sorted(kinds) == ["audio", "video"], kinds
    videos = [track for track in tracks if track.content_type == "video"]
    (audio,) = [track for track in tracks if track.content_type == "audio"]
    assert [f"{w}x{h}" for w, h in (t.size for t in videos)] == ladders["full"]["renditions"]
    assert audio.common("codecs") == "mp4a.40.2"
    # CMAF: the MPD and the playlists name the same init sections and segments.
    for track, (variant, hls_track) in zip(videos, full_hls.variants, strict=True):
        assert track.common("codecs") == variant.stream_info.codecs.split(",")[0]
        assert name_of(track.init_url) == name_of(hls_track.init_url or "")
        assert [name_of(url) for url, _ in track.segments] == [
            name_of(s.url) for s in hls_track.segments
        ]
        for (_, duration), segment in zip(track.segments, hls_track.segments, strict=True):
            assert duration == pytest.approx(segment.duration_s, abs=0.001)
    assert full_hls.audio is not None
    assert [name_of(url) for url, _ in audio.segments] == [
        name_of(s.url) for s in full_hls.audio.segments
    ]
    # The result names both manifests; the master is the job's output.
    result = ladders["full"]["result"]
    assert result["segment_seconds"] == SEGMENT_S and result["segment_format"] == "fmp4"
    assert result["stream_url"] == result["manifests"]["hls"]
    assert result["manifests"]["dash"].endswith(".mpd")
