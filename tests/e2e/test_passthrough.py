"""Passthrough: a source already fit to stream has its video copied, not encoded again;
an unfit one (HEVC, scaled, or asked never to) is encoded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import m3u8
import pytest

from tests.conftest import make_clip
from tests.e2e.ladder_checks import get
from tests.e2e.media_checks import probe
from tests.e2e.service import Service, submit, upload, wait_success
from videoforge.media.binaries import FFmpegBinaries

# Keyframes every 2 s, a capped bitrate: fit to stream (see media/passthrough.py).
FIT = ("-g", "60", "-keyint_min", "60", "-sc_threshold", "0", "-maxrate", "4M",
       "-bufsize", "8M", "-profile:v", "high")  # fmt: skip


@pytest.fixture(scope="module")
def jobs(
    service: Service, binaries: FFmpegBinaries, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("passthrough")
    fit = make_clip(binaries, folder / "fit.mp4", "1920x1080", 4, extra=FIT)
    hevc = make_clip(binaries, folder / "hevc.mp4", "1280x720", 2,
                     extra=("-c:v", "libx265", "-x265-params", "log-level=error"))  # fmt: skip
    with service.client() as http:
        fit_id, hevc_id = upload(http, fit)["file_id"], upload(http, hevc)["file_id"]
        tasks = {
            "mp4": submit(http, fit_id, format="mp4", resolution="1920:1080"),
            "hls": submit(http, fit_id, format="hls", resolution="1920:1080"),
            "cmaf": submit(http, fit_id, format="cmaf", renditions=["1920:1080", "640:360"]),
            "never": submit(http, fit_id, format="mp4", resolution="1920:1080",
                            passthrough="never"),
            "scaled": submit(http, fit_id, format="mp4", resolution="1280:720"),
            "hevc": submit(http, hevc_id, format="mp4", resolution="1280:720"),
        }  # fmt: skip
        done = {name: wait_success(http, task["task_id"]) for name, task in tasks.items()}
    done["source"] = {"path": str(fit)}
    return done


def video_packets(binaries: FFmpegBinaries, path: Path) -> list[tuple[int, bool]]:
    data = probe(binaries, path, "-select_streams", "v:0", "-show_entries", "packet=size,flags")
    return [(int(p["size"]), "K" in p["flags"]) for p in data["packets"]]


def test_a_fit_source_asked_at_its_size_is_copied_packet_for_packet(
    jobs: dict[str, dict[str, Any]], client: httpx.Client, binaries: FFmpegBinaries,
    tmp_path: Path,
) -> None:  # fmt: skip
    job = jobs["mp4"]
    assert job["result"]["video_passthrough"] is True
    out = tmp_path / "out.mp4"
    out.write_bytes(get(client, job["result"]["stream_url"]).content)
    source = video_packets(binaries, Path(jobs["source"]["path"]))
    assert video_packets(binaries, out) == source
    assert len(source) == 120  # 4 s at 30 fps


@pytest.mark.parametrize("name", ["never", "scaled", "hevc"])
def test_unfit_or_refused_sources_are_encoded(
    name: str, jobs: dict[str, dict[str, Any]], client: httpx.Client,
    binaries: FFmpegBinaries, tmp_path: Path,
) -> None:  # fmt: skip
    job = jobs[name]
    assert job["result"]["video_passthrough"] is False
    out = tmp_path / "out.mp4"
    out.write_bytes(get(client, job["result"]["stream_url"]).content)
    (stream,) = probe(binaries, out, "-select_streams", "v:0", "-show_streams")["streams"]
    assert stream["codec_name"] == "h264"
    if name == "never":  # the same size, but encoded: not the source's packets
        assert video_packets(binaries, out) != video_packets(binaries, Path(jobs["source"]["path"]))


def test_hls_passthrough_cuts_on_the_sources_keyframes(
    jobs: dict[str, dict[str, Any]], client: httpx.Client
) -> None:
    job = jobs["hls"]
    assert job["result"]["video_passthrough"] is True
    playlist = m3u8.loads(get(client, job["result"]["stream_url"]).text)
    durations = [round(segment.duration, 2) for segment in playlist.segments]
    # The source has a keyframe every 2 s: 6 s segments where they fit, then the rest.
    assert sum(durations) == pytest.approx(4.0, abs=0.1)
    assert all(d % 2 == pytest.approx(0, abs=0.05) for d in durations), durations
    assert playlist.target_duration >= max(durations)


def test_a_ladder_copies_its_top_rung_and_cuts_the_others_alike(
    jobs: dict[str, dict[str, Any]], client: httpx.Client
) -> None:
    job = jobs["cmaf"]
    assert job["result"]["video_passthrough"] is True
    master = m3u8.loads(get(client, job["result"]["manifests"]["hls"]).text)
    base = job["result"]["manifests"]["hls"].rsplit("/", 1)[0]
    segments = []
    for variant in master.playlists:
        media = m3u8.loads(get(client, f"{base}/{variant.uri}").text)
        segments.append([round(s.duration, 2) for s in media.segments])
    assert len(segments) == 2 and segments[0] == segments[1], segments
    assert master.playlists[0].stream_info.resolution == (1920, 1080)
    # The result says how long segments really are (the source's keyframes cut them).
    assert job["result"]["segment_seconds"] == pytest.approx(
        max(max(s) for s in segments), abs=0.01
    )
    (audio,) = [m for m in master.media if m.type == "AUDIO"]
    assert audio.default == "YES" and audio.autoselect == "YES"
