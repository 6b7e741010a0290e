"""Adaptive ladders end to end: the declared bandwidths (HLS BANDWIDTH and
AVERAGE-BANDWIDTH, DASH @bandwidth) against the bytes of every segment, and keyframes on one
clock in every rung, opening every segment. The job is the session's shared 1080p ladder
(tests/e2e/ladder_jobs.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.ladder_checks import EXTINF_ROUNDING, DashTrack, HlsLadder, name_of, video_packets
from videoforge.media.binaries import FFmpegBinaries
from videoforge.media.ladder import maxrate_kbps
from videoforge.media.ladder_encode import BUFFER_S

# --- Declared bandwidths against the bytes ----------------------------------------------


def test_segment_bitrates_stay_within_the_declared_bandwidths(
    full_hls: HlsLadder, full_dash: tuple[Any, list[DashTrack]]
) -> None:
    """HLS: a variant's BANDWIDTH covers its video and the audio played with it (RFC 8216
    4.3.4.2), AVERAGE-BANDWIDTH their mean; DASH: each Representation's @bandwidth its own
    segments. Rates are bytes * 8 / the segment's duration (EXTINF, or the timeline's)."""
    audio = full_hls.audio
    assert audio is not None
    _, tracks = full_dash
    audio_peak = audio.peak()
    for variant, track in full_hls.variants:
        info = variant.stream_info
        for segment in track.segments:
            assert (segment.bits_per_s + audio_peak) <= info.bandwidth * EXTINF_ROUNDING, (
                segment.url, segment.bits_per_s, audio_peak, info.bandwidth,
            )  # fmt: skip
        # Measured, not padded: the peak is what the segments reach.
        assert info.bandwidth <= (track.peak() + audio_peak) * 1.1
        mean = track.mean() + audio.mean()
        assert mean == pytest.approx(info.average_bandwidth, rel=0.1)
        # The capped CRF holds: the VBV buffer bounds every segment by maxrate.
        width, height = info.resolution
        cap = maxrate_kbps(width, height, info.frame_rate) * 1000
        for segment in track.segments:
            assert len(segment.data) * 8 <= cap * (segment.duration_s + BUFFER_S) * 1.01
    fetched = {
        name_of(segment.url): segment
        for track in [audio, *(track for _, track in full_hls.variants)]
        for segment in track.segments
    }
    for track in tracks:
        for url, duration in track.segments:
            rate = len(fetched[name_of(url)].data) * 8 / duration
            assert rate <= track.representation.bandwidth, (url, rate)


# --- Keyframes --------------------------------------------------------------------------


def test_keyframes_align_across_rungs_and_open_every_segment(
    full_hls: HlsLadder, binaries: FFmpegBinaries, tmp_path: Path
) -> None:
    keyframe_times = []
    for _, track in full_hls.variants:
        packets = video_packets(binaries, track.whole(), tmp_path)
        keys = [p["pts_time"] for p in packets if p["flags"].startswith("K")]
        keyframe_times.append(keys)
        # On the forced 2 s clock and nowhere else (no scene-cut keyframes), from the first
        # frame (the packager keeps the encoder's MPEG-TS times: x264's B-frame delay puts
        # the first frame two frames in; the MPD's presentationTimeOffset takes it off).
        first_s = float(keys[0])
        assert first_s == pytest.approx(0.0, abs=0.1)
        relative = [float(t) - first_s for t in keys]
        assert relative == pytest.approx([0.0, 2.0, 4.0, 6.0], abs=0.001)
        start = first_s
        for segment in track.segments:
            first = video_packets(binaries, track.init + segment.data, tmp_path)[0]
            assert first["flags"].startswith("K"), segment.url
            assert float(first["pts_time"]) == pytest.approx(start, abs=0.002), segment.url
            assert first["pts_time"] in keys
            start += segment.duration_s
    assert all(times == keyframe_times[0] for times in keyframe_times), keyframe_times
