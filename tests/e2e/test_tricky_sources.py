"""Sources that trip naive pipelines, end to end through the real service: a poster before
the video, HDR10 and HLG, interlaced PAL MPEG-2, 240 fps and variable frame rate. Each is
made with ffmpeg, uploaded, transcoded (MP4; three also as a CMAF ladder) and the output is
measured with ffprobe and ffmpeg's own analysis filters (ssim, signalstats, idet), not
trusted from the job's record.

The sources (SOURCES) are also what tests/unit/fixtures/make_tricky_probe_fixtures.py
probes for the recorded JSON of tests/unit/test_probe_streams.py.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

from tests.e2e.service import Service, transcode, upload, wait_for
from videoforge.media.binaries import FFmpegBinaries


@dataclass(frozen=True)
class Recipe:
    """ffmpeg argv tails run in order in one folder; `output` is the source they make."""

    steps: tuple[tuple[str, ...], ...]
    output: str


def lavfi(graph: str) -> tuple[str, ...]:
    return ("-f", "lavfi", "-i", graph)


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


@pytest.fixture(scope="session")
def tricky_sources(
    tmp_path_factory: pytest.TempPathFactory, binaries: FFmpegBinaries
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("tricky")
    return {name: make_source(binaries, folder / name, name) for name in SOURCES}


@pytest.fixture(scope="session")
def tricky(
    service: Service,
    tricky_sources: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[tuple[str, str], Done]:
    """Every source as MP4 (box 1280:720: none is upscaled), the LADDERED ones also as a
    CMAF auto ladder; all submitted before any is waited on, so the worker overlaps them."""
    folder = tmp_path_factory.mktemp("tricky_out")
    with service.client() as http:
        files = {name: upload(http, path)["file_id"] for name, path in tricky_sources.items()}
        tasks = {(name, "mp4"): transcode(http, files[name], "1280:720", "mp4") for name in files}
        for name in LADDERED:
            response = http.post(
                f"/videos/transcode/{files[name]}", json={"format": "cmaf", "ladder": "auto"}
            )
            assert response.status_code == 200, response.text
            tasks[name, "cmaf"] = response.json()
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
        path.write_bytes(get(http, result["stream_url"]))
        return path
    # The top rung: its playlist names the init segment (EXT-X-MAP) and the media segments,
    # relative to itself. One 6 s segment holds all of these short sources.
    url = result["renditions"][0]["playlist"]
    playlist = get(http, url).decode()
    init = re.search(r'#EXT-X-MAP:URI="([^"]+)"', playlist)
    assert init, playlist
    first = next(line for line in playlist.splitlines() if line and not line.startswith("#"))
    path = stem.with_suffix(".mp4")
    path.write_bytes(get(http, urljoin(url, init.group(1))) + get(http, urljoin(url, first)))
    return path


def get(http: httpx.Client, url: str) -> bytes:
    response = http.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content


def finished(tricky: dict[tuple[str, str], Done], name: str, fmt: str = "mp4") -> Path:
    done = tricky[name, fmt]
    assert done.status["state"] == "SUCCESS", done.status
    assert done.path is not None
    return done.path


# Measuring: ffprobe as JSON, and ffmpeg's analysis filters, whose results go to its log.


def probe(binaries: FFmpegBinaries, path: Path, *entries: str) -> dict[str, Any]:
    argv = [binaries.ffprobe, "-v", "error", "-of", "json", *entries, str(path)]
    out = subprocess.run(argv, check=True, capture_output=True, env=binaries.process_env)
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def video(binaries: FFmpegBinaries, path: Path) -> dict[str, Any]:
    (stream,) = [
        s for s in probe(binaries, path, "-show_streams")["streams"] if s["codec_type"] == "video"
    ]
    return stream


def frame_times(binaries: FFmpegBinaries, path: Path, stream: int) -> list[float]:
    """Presentation times of a stream's frames, in order, from its packets (Matroska gives
    blocks no durations, so intervals are measured between frames)."""
    data = probe(binaries, path, "-select_streams", str(stream), "-show_entries", "packet=pts_time")
    return sorted(float(packet["pts_time"]) for packet in data["packets"])


def intervals(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(times)]


def constant(steps: list[float]) -> bool:
    return max(steps) - min(steps) < 1e-3


def analyse(binaries: FFmpegBinaries, *args: str) -> str:
    """Run ffmpeg to a null output and return its log, where analysis filters report."""
    argv = [binaries.ffmpeg, "-hide_banner", "-nostats", "-xerror", *args, "-f", "null", "-"]
    run = subprocess.run(argv, capture_output=True, text=True, env=binaries.process_env)
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stderr


def decoded_frames(binaries: FFmpegBinaries, path: Path) -> int:
    """Decode every frame (-xerror: any decoding error fails) and count them."""
    data = probe(binaries, path, "-count_frames", "-select_streams", "v:0", "-show_entries",
                 "stream=nb_read_frames")  # fmt: skip
    analyse(binaries, "-i", str(path), "-map", "0:v:0")
    return int(data["streams"][0]["nb_read_frames"])


def psnr(
    binaries: FFmpegBinaries, distorted: Path, reference: str, stream: str = "v", skip: int = 0
) -> float:
    """Mean PSNR (dB) of a file's video `stream`, its first `skip` frames left out, against
    a lavfi source, frames paired in order. Encoded copies score 35-45 dB; other pictures
    10 dB or less."""
    graph = (
        f"[0:{stream}]trim=start_frame={skip},setpts=PTS-STARTPTS[d];"
        "[1:v]setpts=PTS-STARTPTS[r];[d][r]psnr=shortest=1"
    )
    log = analyse(binaries, "-i", str(distorted), *lavfi(reference), "-lavfi", graph)
    found = re.search(r"PSNR y:.* average:([0-9.]+|inf)", log)
    assert found, log[-2000:]
    return float(found.group(1))


def frame_stats(binaries: FFmpegBinaries, source: list[str], frame: int) -> dict[str, float]:
    """signalstats of one frame, 8-bit scale: mean luma, its 10th-90th percentile spread,
    mean saturation."""
    graph = f"select=eq(n\\,{frame}),format=yuv420p,signalstats,metadata=print"
    log = analyse(binaries, *source, "-vf", graph)
    stats = dict(re.findall(r"lavfi\.signalstats\.(\w+)=([0-9.]+)", log))
    assert stats, log[-2000:]
    return {
        "luma": float(stats["YAVG"]),
        "contrast": float(stats["YHIGH"]) - float(stats["YLOW"]),
        "saturation": float(stats["SATAVG"]),
    }


def idet(binaries: FFmpegBinaries, path: Path) -> Counter[str]:
    """idet's multi-frame verdicts over the whole video: TFF, BFF, Progressive, Undetermined."""
    log = analyse(binaries, "-i", str(path), "-map", "0:v:0", "-vf", "idet")
    found = re.search(r"Multi frame detection: (.*)", log)
    assert found, log[-2000:]
    return Counter({k: int(v) for k, v in re.findall(r"(\w+):\s*(\d+)", found.group(1))})


def mostly(counts: Counter[str], *kinds: str) -> bool:
    return sum(counts[k] for k in kinds) >= 0.9 * sum(counts.values()) > 0


# 1. Poster first.


@pytest.mark.parametrize("name", ["poster_first_mp4", "poster_first_mkv"])
def test_poster_before_the_video_is_skipped(
    name: str,
    tricky: dict[tuple[str, str], Done],
    tricky_sources: dict[str, Path],
    binaries: FFmpegBinaries,
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
    fmt: str,
    tricky: dict[tuple[str, str], Done],
    tricky_sources: dict[str, Path],
    binaries: FFmpegBinaries,
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
    tricky: dict[tuple[str, str], Done], tricky_sources: dict[str, Path], binaries: FFmpegBinaries
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
    fmt: str,
    tricky: dict[tuple[str, str], Done],
    tricky_sources: dict[str, Path],
    binaries: FFmpegBinaries,
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
    fmt: str, tricky: dict[tuple[str, str], Done], binaries: FFmpegBinaries
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


def rate(text: str) -> float:
    num, _, den = text.partition("/")
    return float(num) / float(den or 1)


@pytest.mark.parametrize("name", ["vfr_mp4", "vfr_mkv"])
def test_variable_frame_rate_becomes_constant(
    name: str,
    tricky: dict[tuple[str, str], Done],
    tricky_sources: dict[str, Path],
    binaries: FFmpegBinaries,
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
