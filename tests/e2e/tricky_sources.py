"""Sources that trip naive pipelines, as ffmpeg recipes (SOURCES), and the session's jobs that
transcode them through the real service (the `tricky_sources` and `tricky` fixtures, used by
tests/e2e/test_tricky_sources.py). tests/unit/fixtures/make_tricky_probe_fixtures.py probes
the same sources for the recorded JSON of tests/unit/test_probe_streams.py."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

from tests.e2e.ladder_checks import get
from tests.e2e.media_checks import lavfi
from tests.e2e.service import Service, submit, transcode, upload, wait_for
from videoforge.media.binaries import FFmpegBinaries


@dataclass(frozen=True)
class Recipe:
    """ffmpeg argv tails run in order in one folder; `output` is the source they make."""

    steps: tuple[tuple[str, ...], ...]
    output: str


def tone(seconds: float) -> tuple[str, ...]:
    return lavfi(f"sine=frequency=440:sample_rate=48000:duration={seconds}")


X264 = ("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p")
# The real video behind the poster: what its output must look like, frame by frame.
POSTER_VIDEO = "testsrc2=size=640x360:rate=30:duration=3"
POSTER_STEPS = (
    # One red 640x360 JPEG, the same size as the video: only "not a still" tells them apart.
    (*lavfi("color=c=red:size=640x360"), "-frames:v", "1", "-c:v", "mjpeg", "poster.jpg"),
    ("-i", "poster.jpg", *lavfi(POSTER_VIDEO), *tone(3),
     "-map", "0:v", "-map", "1:v", "-map", "2:a", "-c:v:0", "mjpeg",
     "-c:v:1", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
     "poster_first.mp4"),
)  # fmt: skip
# SDR BT.709 to PQ or HLG in BT.2020 (SDR white at 203 nits, as BT.2408 puts it), so the tone-mapped
# output can be held against the SDR original; the frames carry the tags.
TO_HDR = (
    "format=yuv420p,zscale=tin=bt709:min=bt709:pin=bt709:rin=tv:t=linear:npl=203:p=bt2020,"
    "format=gbrpf32le,zscale=t={transfer}:m=bt2020nc:r=tv:npl=203,format=yuv420p10le"
)
HDR10_VIDEO = "testsrc2=size=640x360:rate=25:duration=2"
X265_HDR10 = (
    "log-level=error:hdr10=1:hdr10-opt=1:repeat-headers=1:colorprim=bt2020:"
    "transfer=smpte2084:colormatrix=bt2020nc:max-cll=1000,400:"
    "master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1)"
)
# 24 fps then 60 fps, each 1.5 s, timestamps kept as they are (a millisecond time base).
VFR_GRAPH = (
    "[0:v]settb=1/1000,setpts=PTS-STARTPTS[a];[1:v]settb=1/1000,setpts=PTS-STARTPTS[b];"
    "[a][b]concat=n=2:v=1:a=0[v]"
)
VFR_STEP = (
    *lavfi("testsrc2=size=320x240:rate=24:duration=1.5"),
    *lavfi("testsrc2=size=320x240:rate=60:duration=1.5"),
    *tone(3),
    "-filter_complex", VFR_GRAPH, "-map", "[v]", "-map", "2:a",
    "-enc_time_base:v", "1/1000", "-fps_mode", "passthrough", *X264, "-c:a", "aac",
)  # fmt: skip

HDR10_STEP = (
    *lavfi(HDR10_VIDEO), *tone(2), "-vf", TO_HDR.format(transfer="smpte2084"),
    "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", X265_HDR10, "-tag:v", "hvc1",
    "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc",
    "-color_range", "tv", "-c:a", "aac", "hdr10.mp4",
)  # fmt: skip
HLG_STEP = (
    *lavfi("testsrc2=size=640x360:rate=25:duration=1"),
    "-vf", TO_HDR.format(transfer="arib-std-b67")
    + ",setparams=color_primaries=unknown:colorspace=unknown:color_trc=arib-std-b67",
    "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error", "hlg.mp4",
)  # fmt: skip
PAL_STEP = (
    *lavfi("testsrc2=size=720x576:rate=50:duration=3"), *tone(3),
    "-vf", "interlace=scan=tff:lowpass=0,setsar=16/15",
    "-c:v", "mpeg2video", "-b:v", "5M", "-flags", "+ilme+ildct", "-top", "1",
    "-c:a", "mp2", "-b:a", "192k", "-f", "vob", "pal.mpg",
)  # fmt: skip
HFR_STEP = (
    *lavfi("testsrc2=size=320x240:rate=240:duration=2"), *tone(2), *X264, "-c:a", "aac",
    "hfr.mp4",
)  # fmt: skip

SOURCES: dict[str, Recipe] = {
    # A one-frame MJPEG poster first, then the real 3 s H.264 video and the audio.
    "poster_first_mp4": Recipe(POSTER_STEPS, "poster_first.mp4"),
    # The same remuxed to Matroska, which declares no frame counts (and shifts the poster
    # by the AAC priming: its track "ends" at 63 ms).
    "poster_first_mkv": Recipe(
        (*POSTER_STEPS, ("-i", "poster_first.mp4", "-map", "0", "-c", "copy", "poster.mkv")),
        "poster.mkv",
    ),
    # HDR10: HEVC Main 10, PQ, BT.2020, mastering display and content light metadata.
    "hdr10_hevc": Recipe((HDR10_STEP,), "hdr10.mp4"),
    # HLG whose only colour tag is the transfer: primaries and matrix say "unknown".
    "hlg_transfer_only": Recipe((HLG_STEP,), "hlg.mp4"),
    # PAL DVD-like MPEG-PS: 720x576 4:3 (16:15 pixels), 25i top field first, from 50p with
    # motion (the interlace filter weaves two moving frames into the fields of one).
    "interlaced_pal_mpeg2": Recipe((PAL_STEP,), "pal.mpg"),
    "hfr_240": Recipe((HFR_STEP,), "hfr.mp4"),
    # MP4 keeps the frame count: avg_frame_rate is the true average (126 frames in 2.98 s).
    "vfr_mp4": Recipe(((*VFR_STEP, "vfr.mp4"),), "vfr.mp4"),
    # Matroska does not: avg_frame_rate is 0/0 and r_frame_rate a common multiple (120).
    "vfr_mkv": Recipe(((*VFR_STEP, "vfr.mkv"),), "vfr.mkv"),
}
# Three also go through the ladder path (one decode, split, packager): the deinterlacer,
# the tone mapping and the rate cap must be the same there.
LADDERED = ("hdr10_hevc", "interlaced_pal_mpeg2", "hfr_240")
DEADLINE_S = 300  # generous: eleven jobs share a worker that runs two at a time


def make_source(binaries: FFmpegBinaries, folder: Path, name: str) -> Path:
    """Run a recipe in its own folder; return the source it makes."""
    recipe = SOURCES[name]
    folder.mkdir(parents=True, exist_ok=True)
    for step in recipe.steps:
        argv = [binaries.ffmpeg, "-hide_banner", "-loglevel", "error", "-y", *step]
        subprocess.run(argv, cwd=folder, env=binaries.process_env, check=True)
    return folder / recipe.output


@dataclass
class Done:
    """A finished job and the local copy of what a player would fetch: the MP4, or the top
    rung's init segment followed by its first media segment."""

    status: dict[str, Any]
    path: Path | None = None


# What the fixtures hold: each source by name, and each finished job by (name, format).
Sources = dict[str, Path]
Outputs = dict[tuple[str, str], Done]


@pytest.fixture(scope="session")
def tricky_sources(tmp_path_factory: pytest.TempPathFactory, binaries: FFmpegBinaries) -> Sources:
    folder = tmp_path_factory.mktemp("tricky")
    return {name: make_source(binaries, folder / name, name) for name in SOURCES}


@pytest.fixture(scope="session")
def tricky(
    service: Service,
    tricky_sources: Sources,
    tmp_path_factory: pytest.TempPathFactory,
) -> Outputs:
    """Every source as MP4 (box 1280:720: none is upscaled), the LADDERED ones also as a
    CMAF auto ladder; all submitted before any is waited on, so the worker overlaps them."""
    folder = tmp_path_factory.mktemp("tricky_out")
    with service.client() as http:
        files = {name: upload(http, path)["file_id"] for name, path in tricky_sources.items()}
        tasks = {(name, "mp4"): transcode(http, files[name], "1280:720", "mp4") for name in files}
        for name in LADDERED:
            tasks[name, "cmaf"] = submit(http, files[name], format="cmaf", ladder="auto")
        done = {}
        for key, task in tasks.items():
            status, _ = wait_for(http, task["task_id"], timeout_s=DEADLINE_S)
            done[key] = Done(status)
            if status["state"] == "SUCCESS":
                done[key].path = fetch_output(http, status["result"], folder / "_".join(key))
    return done


def fetch_output(http: httpx.Client, result: dict[str, Any], stem: Path) -> Path:
    if "renditions" not in result:
        path = stem.with_suffix(".mp4")
        path.write_bytes(get(http, result["stream_url"]).content)
        return path
    # The top rung: its playlist names the init segment (EXT-X-MAP) and the media segments,
    # relative to itself. One 6 s segment holds all of these short sources.
    url = result["renditions"][0]["playlist"]
    playlist = get(http, url).content.decode()
    init = re.search(r'#EXT-X-MAP:URI="([^"]+)"', playlist)
    assert init, playlist
    first = next(line for line in playlist.splitlines() if line and not line.startswith("#"))
    path = stem.with_suffix(".mp4")
    init_section = get(http, urljoin(url, init.group(1))).content
    path.write_bytes(init_section + get(http, urljoin(url, first)).content)
    return path


def finished(tricky: Outputs, name: str, fmt: str = "mp4") -> Path:
    done = tricky[name, fmt]
    assert done.status["state"] == "SUCCESS", done.status
    assert done.path is not None
    return done.path
