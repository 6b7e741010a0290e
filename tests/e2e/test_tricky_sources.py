"""Sources that trip naive pipelines, end to end through the real service: a poster before
the video, HDR10 and HLG, interlaced PAL MPEG-2, 240 fps and variable frame rate. Each is
made with ffmpeg, uploaded, transcoded (MP4; three also as a CMAF ladder) and the output is
measured with ffprobe and ffmpeg's own analysis filters (ssim, signalstats, idet), not
trusted from the job's record.

The sources (SOURCES) and the session's jobs (the `tricky_sources` and `tricky` fixtures)
are in tests/e2e/tricky_sources.py, which tests/unit/fixtures/make_tricky_probe_fixtures.py
also probes for the recorded JSON of tests/unit/test_probe_streams.py; the measures are in
tests/e2e/media_checks.py.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.e2e.media_checks import (
    constant,
    decoded_frames,
    frame_stats,
    frame_times,
    idet,
    intervals,
    mostly,
    probe,
    psnr,
    rate,
    video,
)
from tests.e2e.tricky_sources import (
    HDR10_VIDEO,
    POSTER_VIDEO,
    Outputs,
    Sources,
    finished,
    tricky,
    tricky_sources,
)
from videoforge.media.binaries import FFmpegBinaries

__all__ = ["tricky", "tricky_sources"]  # fixtures, used by name


# 1. Poster first.


@pytest.mark.parametrize("name", ["poster_first_mp4", "poster_first_mkv"])
def test_poster_before_the_video_is_skipped(
    name: str, tricky: Outputs, tricky_sources: Sources, binaries: FFmpegBinaries
) -> None:
    output = finished(tricky, name)
    stream = video(binaries, output)
    # The real video's 3 s and 90 frames, not the poster's one frame. The Matroska copy
    # starts its video 21 ms after its audio (the AAC priming), and a constant-rate output
    # fills that with its first frame once more: one extra frame, at the start.
    assert 2.9 <= float(stream["duration"]) <= 3.1
    extra = decoded_frames(binaries, output) - 90
    assert extra in (0, 1), extra
    assert stream["r_frame_rate"] == stream["avg_frame_rate"] == "30/1"
    # Its pictures, frame by frame, are the test pattern; the red poster is nothing like it
    # (measured too, so this check is known to tell them apart).
    assert psnr(binaries, output, POSTER_VIDEO, skip=extra) > 30
    assert psnr(binaries, tricky_sources[name], POSTER_VIDEO, stream="0") < 15
    # The sound came along (the source's third stream, after both pictures).
    kinds = [s["codec_type"] for s in probe(binaries, output, "-show_streams")["streams"]]
    assert sorted(kinds) == ["audio", "video"]


# 2. HDR.


@pytest.mark.parametrize("fmt", ["mp4", "cmaf"])
def test_hdr10_is_tone_mapped_to_sdr_bt709(
    fmt: str, tricky: Outputs, tricky_sources: Sources, binaries: FFmpegBinaries
) -> None:
    output = finished(tricky, "hdr10_hevc", fmt)
    stream = video(binaries, output)
    assert stream["codec_name"] == "h264" and stream["pix_fmt"] == "yuv420p"
    # Tagged SDR, so no player treats it as HDR again.
    assert stream["color_transfer"] == "bt709"
    assert stream["color_primaries"] == "bt709"
    assert stream["color_space"] == "bt709"
    assert decoded_frames(binaries, output) == 50
    # The picture: compared with the SDR original it came from, tone mapping keeps most of
    # its contrast and colour. PQ values shown as if SDR (what dropping the 10 bits alone
    # gives) are flat and grey, and the same measure says so.
    original = frame_stats(binaries, ["-f", "lavfi", "-i", HDR10_VIDEO], 25)
    mapped = frame_stats(binaries, ["-i", str(output)], 25)
    naive = frame_stats(binaries, ["-i", str(tricky_sources["hdr10_hevc"])], 25)
    for measure in ("contrast", "saturation"):
        assert mapped[measure] >= 0.5 * original[measure], (measure, mapped, original)
        assert naive[measure] < 0.5 * original[measure], (measure, naive, original)
    assert 0.6 * original["luma"] <= mapped["luma"] <= 1.2 * original["luma"]


def test_hlg_tagged_only_by_its_transfer_is_tone_mapped(
    tricky: Outputs, tricky_sources: Sources, binaries: FFmpegBinaries
) -> None:
    source = video(binaries, tricky_sources["hlg_transfer_only"])
    assert source["color_transfer"] == "arib-std-b67"
    # ffprobe leaves unknown properties out.
    assert "color_primaries" not in source and "color_space" not in source
    output = finished(tricky, "hlg_transfer_only")
    stream = video(binaries, output)
    assert (stream["pix_fmt"], stream["color_transfer"], stream["color_primaries"]) == (
        "yuv420p",
        "bt709",
        "bt709",
    )
    assert decoded_frames(binaries, output) == 25


# 3. Interlaced.


@pytest.mark.parametrize("fmt", ["mp4", "cmaf"])
def test_interlaced_pal_is_deinterlaced_frame_for_frame(
    fmt: str, tricky: Outputs, tricky_sources: Sources, binaries: FFmpegBinaries
) -> None:
    # The source really is interlaced: idet sees combing in nearly every frame.
    source = idet(binaries, tricky_sources["interlaced_pal_mpeg2"])
    assert mostly(source, "TFF", "BFF"), source
    output = finished(tricky, "interlaced_pal_mpeg2", fmt)
    counts = idet(binaries, output)
    assert mostly(counts, "Progressive"), counts
    stream = video(binaries, output)
    assert stream.get("field_order", "progressive") == "progressive"
    # One frame per frame: 25i becomes 25p (75 frames in 3 s), not 50p.
    assert stream["r_frame_rate"] == stream["avg_frame_rate"] == "25/1"
    assert decoded_frames(binaries, output) == 75
    # 720x576 with 16:15 pixels is shown 768x576; the output has square pixels.
    if fmt == "mp4":
        assert (stream["width"], stream["height"]) == (768, 576)
    assert stream.get("sample_aspect_ratio", "1:1") == "1:1"


# 4. High frame rate.


@pytest.mark.parametrize("fmt", ["mp4", "cmaf"])
def test_240_fps_is_capped_at_60_constant(
    fmt: str, tricky: Outputs, binaries: FFmpegBinaries
) -> None:
    output = finished(tricky, "hfr_240", fmt)
    stream = video(binaries, output)
    assert stream["r_frame_rate"] == stream["avg_frame_rate"] == "60/1"
    steps = intervals(frame_times(binaries, output, int(stream["index"])))
    assert constant(steps), Counter(steps)
    # Every fourth frame of 2 s: 120 frames of 1/60 s, the duration kept.
    assert decoded_frames(binaries, output) == 120
    assert abs(steps[0] - 1 / 60) < 1e-3
    if fmt == "cmaf":
        # The master playlist declares the rate players get.
        rungs = tricky["hfr_240", fmt].status["result"]["renditions"]
        assert {r["frame_rate"] for r in rungs} == {60.0}


# 5. Variable frame rate.


@pytest.mark.parametrize("name", ["vfr_mp4", "vfr_mkv"])
def test_variable_frame_rate_becomes_constant(
    name: str, tricky: Outputs, tricky_sources: Sources, binaries: FFmpegBinaries
) -> None:
    # The source really is VFR: frames of 1/24 s, then of 1/60 s.
    source = frame_times(binaries, tricky_sources[name], 0)
    assert max(intervals(source)) > 0.04 and min(intervals(source)) < 0.02
    output = finished(tricky, name)
    stream = video(binaries, output)
    assert stream["r_frame_rate"] == stream["avg_frame_rate"]
    # The rate: the source's average where the file states one (MP4: 126 frames in 2.98 s,
    # 42.24 fps); Matroska states none, only r_frame_rate, the 120 that holds both parts'
    # frames, halved to the cap. Plain `ffmpeg -i` makes 120 fps of either.
    stated = video(binaries, tricky_sources[name]).get("avg_frame_rate", "0/0")
    expected = rate(stated) if name == "vfr_mp4" else 60.0
    assert abs(rate(stream["avg_frame_rate"]) - expected) < 0.01, (stream, stated)
    times = frame_times(binaries, output, int(stream["index"]))
    assert constant(intervals(times)), Counter(intervals(times))
    # The timeline is kept: the last frame comes when the source's did.
    assert times[0] == 0 and abs(times[-1] - source[-1]) < 0.1, (times[-1], source[-1])
