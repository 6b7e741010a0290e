"""videoforge.media.command: the ffmpeg argv for each output format."""

from __future__ import annotations

from pathlib import Path

import pytest

from videoforge.media.command import EncodePlan, transcode_argv
from videoforge.media.probe import probe_argv
from videoforge.models import Clip, OutputFormat

FFMPEG = "/opt/ffmpeg/bin/ffmpeg"


def make_plan(fmt: OutputFormat, has_audio: bool = True, **overrides: object) -> EncodePlan:
    fields: dict[str, object] = {
        "input_path": Path("/data/tmp/job-1/source"),
        "stem": "f00d_1280x720_abcdef012345",
        "format": fmt,
        "width": 1280,
        "height": 720,
        "has_audio": has_audio,
    }
    fields.update(overrides)
    return EncodePlan(**fields)  # type: ignore[arg-type]


def contains_run(argv: list[str], run: list[str]) -> bool:
    """True when `run` appears in `argv` as consecutive items."""
    return any(argv[i : i + len(run)] == run for i in range(len(argv) - len(run) + 1))


def option(argv: list[str], name: str) -> str:
    """The value after the only occurrence of option `name`."""
    assert argv.count(name) == 1, f"{name} appears {argv.count(name)} times in {argv}"
    return argv[argv.index(name) + 1]


ALL_PLANS = [
    pytest.param(fmt, audio, id=f"{fmt.value}-{'audio' if audio else 'silent'}")
    for fmt in (OutputFormat.HLS, OutputFormat.MP4, OutputFormat.WEBM)  # ladders: own argv
    for audio in (True, False)
]


@pytest.mark.parametrize(("fmt", "has_audio"), ALL_PLANS)
def test_common_parts(fmt: OutputFormat, has_audio: bool) -> None:
    plan = make_plan(fmt, has_audio)
    argv = transcode_argv(FFMPEG, plan)
    assert argv[0] == FFMPEG
    assert all(isinstance(arg, str) for arg in argv)
    assert option(argv, "-i") == "file:/data/tmp/job-1/source"
    assert contains_run(argv, ["-progress", "pipe:1"])
    assert "-nostdin" in argv and "-y" in argv and "-nostats" in argv
    assert option(argv, "-vf") == "scale=1280:720:flags=bicubic,setsar=1"
    assert contains_run(argv, ["-map", "0:v:0"])
    assert contains_run(argv, ["-map_metadata", "-1"])
    assert contains_run(argv, ["-map_chapters", "-1"])
    assert option(argv, "-pix_fmt") == "yuv420p"
    assert option(argv, "-f") == fmt.value
    # The output is a relative name and the very last argument.
    assert argv[-1] == plan.output_name == f"f00d_1280x720_abcdef012345.{fmt.extension}"
    # Input options come before the input, output options after it.
    assert argv.index("-progress") < argv.index("-i") < argv.index("-map")


GUARD_OPTIONS = ["-protocol_whitelist", "-format_whitelist", "-max_pixels"]


@pytest.mark.parametrize(("fmt", "has_audio"), ALL_PLANS)
def test_input_guards_come_before_the_input(fmt: OutputFormat, has_audio: bool) -> None:
    argv = transcode_argv(FFMPEG, make_plan(fmt, has_audio))
    # Each guard exactly once (option() checks), and as an input option: before -i.
    assert option(argv, "-protocol_whitelist") == "file"
    assert option(argv, "-max_pixels") == str(7680 * 4320)
    assert option(argv, "-format_whitelist")
    for name in GUARD_OPTIONS:
        assert argv.index(name) < argv.index("-i"), f"{name} is not before -i in {argv}"
    # The -i value stays right after -i, with nothing slipped in between.
    assert argv[argv.index("-i") + 1] == "file:/data/tmp/job-1/source"


@pytest.mark.parametrize(("fmt", "has_audio"), ALL_PLANS)
def test_format_whitelist_holds_only_real_containers(fmt: OutputFormat, has_audio: bool) -> None:
    argv = transcode_argv(FFMPEG, make_plan(fmt, has_audio))
    allowed = option(argv, "-format_whitelist").split(",")
    # Whole names, not substrings: "mpegts" must not count as "mpeg" and the like.
    assert {"mov", "mp4", "matroska", "webm"} <= set(allowed)
    for refused in ("hls", "concat", "image2", "tty", "lavfi", "ffmetadata", "png_pipe"):
        assert refused not in allowed
    assert all(name and name == name.strip() for name in allowed)
    assert len(allowed) == len(set(allowed))


def test_ffmpeg_and_ffprobe_share_the_same_guards() -> None:
    argv = transcode_argv(FFMPEG, make_plan(OutputFormat.MP4))
    probe = probe_argv("ffprobe", Path("/data/tmp/job-1/source"))
    for name in ("-protocol_whitelist", "-format_whitelist"):
        assert option(argv, name) == option(probe, name)


@pytest.mark.parametrize("max_pixels", [1, 1920 * 1080, 3840 * 2160, 16384 * 16384])
def test_max_pixels_is_passed_through(max_pixels: int) -> None:
    for fmt in OutputFormat:
        argv = transcode_argv(FFMPEG, make_plan(fmt, max_pixels=max_pixels))
        assert contains_run(argv, ["-max_pixels", str(max_pixels), "-i"])


@pytest.mark.parametrize(("fmt", "has_audio"), ALL_PLANS)
def test_audio_mapping(fmt: OutputFormat, has_audio: bool) -> None:
    argv = transcode_argv(FFMPEG, make_plan(fmt, has_audio))
    if has_audio:
        assert contains_run(argv, ["-map", "0:a:0"])
        assert contains_run(argv, ["-ac", "2"])
        assert "-an" not in argv
    else:
        assert "0:a:0" not in argv
        assert "-an" in argv
        assert "-c:a" not in argv and "-b:a" not in argv


@pytest.mark.parametrize("has_audio", [True, False])
def test_mp4(has_audio: bool) -> None:
    argv = transcode_argv(FFMPEG, make_plan(OutputFormat.MP4, has_audio))
    assert option(argv, "-c:v") == "libx264"
    assert option(argv, "-preset") == "veryfast"
    assert option(argv, "-profile:v") == "high"
    assert option(argv, "-crf") == "23"
    assert contains_run(argv, ["-movflags", "+faststart", "-f", "mp4", argv[-1]])
    assert "-hls_time" not in argv and "-force_key_frames" not in argv
    if has_audio:
        assert option(argv, "-c:a") == "aac"
        assert option(argv, "-b:a") == "128k"


@pytest.mark.parametrize("has_audio", [True, False])
def test_webm(has_audio: bool) -> None:
    argv = transcode_argv(FFMPEG, make_plan(OutputFormat.WEBM, has_audio))
    assert option(argv, "-c:v") == "libvpx-vp9"
    assert contains_run(argv, ["-crf", "32", "-b:v", "0"])
    assert contains_run(argv, ["-row-mt", "1"])
    assert "libx264" not in argv and "aac" not in argv
    assert "-movflags" not in argv and "-preset" not in argv
    assert contains_run(argv, ["-f", "webm", "f00d_1280x720_abcdef012345.webm"])
    if has_audio:
        assert option(argv, "-c:a") == "libopus"


@pytest.mark.parametrize("has_audio", [True, False])
def test_hls(has_audio: bool) -> None:
    argv = transcode_argv(FFMPEG, make_plan(OutputFormat.HLS, has_audio))
    assert option(argv, "-c:v") == "libx264"
    assert option(argv, "-hls_time") == "6"
    # FFmpeg's own playlist lists only complete segments; the worker writes the one served.
    assert option(argv, "-hls_playlist_type") == "event"
    assert option(argv, "-start_number") == "0"
    assert option(argv, "-output_ts_offset") == "10.000000"  # every run's timeline alike
    assert argv.count("-i") == 1 and "-ss" not in argv
    assert option(argv, "-hls_segment_type") == "mpegts"
    assert option(argv, "-hls_flags") == "independent_segments"
    assert option(argv, "-hls_segment_filename") == "f00d_1280x720_abcdef012345_%05d.ts"
    # Keyframes every 2 s, which divides the 6 s segments; no scene-cut keyframes.
    assert option(argv, "-force_key_frames") == "expr:gte(t,n_forced*2)"
    assert option(argv, "-sc_threshold") == "0"
    assert "-movflags" not in argv
    assert argv[-1] == "f00d_1280x720_abcdef012345.m3u8"
    assert argv.index("-f") > argv.index("-c:v")
    if has_audio:
        assert option(argv, "-c:a") == "aac"


@pytest.mark.parametrize("fmt", [OutputFormat.MP4, OutputFormat.HLS])
def test_x264_preset_is_passed_through(fmt: OutputFormat) -> None:
    argv = transcode_argv(FFMPEG, make_plan(fmt, x264_preset="slow"))
    assert option(argv, "-preset") == "slow"


def test_unusual_input_path_stays_one_file_argument() -> None:
    path = Path("/data/tmp/job 1/-i evil;name.mp4")
    argv = transcode_argv(FFMPEG, make_plan(OutputFormat.MP4, input_path=path))
    assert option(argv, "-i") == "file:/data/tmp/job 1/-i evil;name.mp4"


def test_size_goes_into_the_scale_filter() -> None:
    argv = transcode_argv(FFMPEG, make_plan(OutputFormat.WEBM, width=404, height=720))
    assert option(argv, "-vf") == "scale=404:720:flags=bicubic,setsar=1"


def test_a_clip_seeks_and_limits_the_input_before_opening_it() -> None:
    argv = transcode_argv(FFMPEG, make_plan(OutputFormat.MP4, clip=Clip(1.5, 4.25)))
    at = argv.index("-i")
    # Input options (before -i): exact cuts of audio and video together.
    assert argv[at - 4 : at] == ["-ss", "1.500000", "-t", "2.750000"]
    assert argv.count("-ss") == 1 and argv.count("-t") == 1
    assert "-ss" not in transcode_argv(FFMPEG, make_plan(OutputFormat.MP4))


def test_the_job_thread_budget_holds_for_the_decoder_and_the_encoder() -> None:
    argv = transcode_argv(FFMPEG, make_plan(OutputFormat.MP4, threads=1))
    at = argv.index("-i")
    assert argv[at - 2 : at] == ["-threads", "1"]  # an input option: the decoder's
    assert argv.count("-threads") == 2 and argv[argv.index("-threads", at) + 1] == "1"
    assert "-threads" not in transcode_argv(FFMPEG, make_plan(OutputFormat.MP4))  # ffmpeg's
