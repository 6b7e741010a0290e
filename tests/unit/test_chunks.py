"""videoforge.segments.chunks: where a split job's chunks start and end (whole frames, on
the segment clock), whether a job is split, and the argv of a chunk, the audio and the
stitch; and the order check that lets every format be split, ladders too."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from videoforge.media.command import HLS_SEGMENT_S, RESUME_EARLY_S, EncodePlan
from videoforge.media.filters import VideoPrep
from videoforge.models import Clip, OutputFormat, SegmentFormat
from videoforge.segments.chunks import (
    AUDIO_ITEM,
    MIN_LAST_CHUNK_S,
    Chunk,
    ChunkPlan,
    audio_argv,
    chunk_argv,
    concat_list,
    exact_fps,
    plan_chunks,
    stitch_argv,
    wants_split,
)
from videoforge.submit import TranscodeOrder, check_order

FFMPEG = "/opt/ffmpeg/bin/ffmpeg"
HLS, DASH, CMAF = OutputFormat.HLS, OutputFormat.DASH, OutputFormat.CMAF
MP4, WEBM = OutputFormat.MP4, OutputFormat.WEBM
NTSC = 30000 / 1001


def values(argv: list[str], flag: str) -> list[str]:
    """Every value that follows `flag` in `argv`, in order."""
    return [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == flag]


def encode_plan(fmt: OutputFormat = MP4, clip: Clip | None = None) -> EncodePlan:
    return EncodePlan(Path("/scratch/source"), "out", fmt, 640, 360, has_audio=True,
                      prep=VideoPrep(fps=30.0), clip=clip)  # fmt: skip


def plan(duration_s: float, chunk_s: float = 30, fps: float = 30, audio: bool = True) -> ChunkPlan:
    return plan_chunks(duration_s, fps, chunk_s, audio, HLS_SEGMENT_S)


@pytest.mark.parametrize(
    ("duration_s", "chunk_s", "fps"),
    [(100, 30, 30.0), (61, 30, 30.0), (3600, 30, NTSC), (47.5, 20, 25.0), (12, 4, 60.0)],
)
def test_chunks_partition_the_frames(duration_s: float, chunk_s: float, fps: float) -> None:
    chunks = plan(duration_s, chunk_s, fps).chunks
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert chunks[0].start_frame == 0
    for chunk, following in itertools.pairwise(chunks):
        assert chunk.frames == following.start_frame - chunk.start_frame > 0
    assert chunks[-1].frames is None


@pytest.mark.parametrize(
    ("chunk_s", "expected_s"), [(30, 30), (20, 18), (4, 6), (6, 6), (40, 42), (0, 6)]
)
def test_a_chunk_is_a_whole_number_of_segments(chunk_s: float, expected_s: int) -> None:
    chunks = plan(600, chunk_s).chunks
    assert [c.start_frame for c in chunks[:3]] == [0, expected_s * 30, 2 * expected_s * 30]
    assert chunks[0].frames == expected_s * 30


@pytest.mark.parametrize(
    ("duration_s", "starts_s"),
    [(60, [0, 30]), (61, [0, 30]), (60 + MIN_LAST_CHUNK_S - 0.01, [0, 30]),
     (60 + MIN_LAST_CHUNK_S, [0, 30, 60]), (95, [0, 30, 60, 90])],
)  # fmt: skip
def test_a_short_remainder_joins_the_chunk_before(duration_s: float, starts_s: list[int]) -> None:
    chunks = plan(duration_s).chunks
    assert [c.start_frame for c in chunks] == [s * 30 for s in starts_s]
    assert chunks[-1].frames is None


@pytest.mark.parametrize("duration_s", [0.5, 10, 30])
def test_a_video_shorter_than_a_chunk_is_one_chunk(duration_s: float) -> None:
    assert plan(duration_s).chunks == (Chunk(0, 0, None),)


def test_ntsc_chunks_start_on_the_frame_nearest_the_segment_clock() -> None:
    assert exact_fps(29.97) == NTSC
    assert exact_fps(30) == 30.0
    chunked = plan(3600, 30, exact_fps(29.97))
    assert len(chunked.chunks) == 120
    for k, chunk in enumerate(chunked.chunks):
        assert chunk.start_frame == round(k * 30 * 30000 / 1001)
        assert abs(chunked.start_s(chunk) - k * 30) <= 0.5 / NTSC


def test_durations_are_whole_frames_and_the_last_runs_to_the_end() -> None:
    chunked = plan(75.5, 30, NTSC)
    first, _, last = chunked.chunks
    assert first.frames == 899  # round(30 * 30000 / 1001)
    assert chunked.duration_of(first) == 899 / NTSC
    assert chunked.duration_of(last) == pytest.approx(75.5 - last.start_frame / NTSC)


def test_items_are_claimed_audio_first_then_chunks_in_order() -> None:
    assert plan(90, audio=True).items == [AUDIO_ITEM, "0", "1", "2"]
    assert plan(90, audio=False).items == ["0", "1", "2"]
    assert plan(90).chunk("2") == Chunk(2, 1800, None)


@pytest.mark.parametrize("audio", [True, False])
def test_a_plan_survives_its_json_round_trip(audio: bool) -> None:
    chunked = plan(3601.5, 30, NTSC, audio)
    assert ChunkPlan.from_dict(json.loads(json.dumps(chunked.to_dict()))) == chunked


@pytest.mark.parametrize(
    ("parallel", "fmt", "ladder", "duration_s", "fps", "split"),
    [
        (False, MP4, False, 3600, 30, False),
        (True, MP4, False, 5, 30, True), (True, WEBM, False, 5, 30, True),
        (True, HLS, False, 5, 30, True),
        (None, MP4, False, 119.9, 30, False), (None, MP4, False, 120, 30, True),
        (None, HLS, False, 3600, 30, True),
        (True, HLS, True, 60, 30, True), (None, HLS, True, 3600, 30, True),
        (True, DASH, True, 60, 30, True), (None, CMAF, True, 3600, 30, True),
        (None, DASH, True, 60, 30, False), (False, CMAF, True, 3600, 30, False),
        (True, DASH, False, 3600, 30, False),  # no such job: dash is always a ladder
        (True, MP4, False, 3600, 0, False), (None, MP4, False, 3600, -1, False),
    ],
)  # fmt: skip
def test_which_jobs_are_split(
    parallel: bool | None, fmt: OutputFormat, ladder: bool, duration_s: float, fps: float,
    split: bool,
) -> None:  # fmt: skip
    assert wants_split(parallel, fmt, ladder, duration_s, fps, 120) is split


# --- argv -------------------------------------------------------------------------------

CHUNKED = plan(75, 30)  # frames 0-899, 900-1799, 1800 to the end


def test_a_chunk_seeks_to_its_first_frame_and_encodes_exactly_its_frames() -> None:
    first, middle, last = CHUNKED.chunks
    assert "-ss" not in chunk_argv(FFMPEG, encode_plan(), CHUNKED, first)
    argv = chunk_argv(FFMPEG, encode_plan(), CHUNKED, middle)
    assert values(argv, "-ss") == [f"{30 - RESUME_EARLY_S:.6f}"]
    assert values(argv, "-frames:v") == ["900"]
    assert values(argv, "-map") == ["0:v:0"]
    assert "-an" in argv
    assert argv[-3:] == ["-f", "mp4", "chunk_00001.mp4"]
    argv = chunk_argv(FFMPEG, encode_plan(), CHUNKED, last)
    assert values(argv, "-ss") == [f"{60 - RESUME_EARLY_S:.6f}"]
    assert "-frames:v" not in argv
    assert argv[-1] == "chunk_00002.mp4"


@pytest.mark.parametrize(
    ("fmt", "name", "clock"),
    [(MP4, "chunk_00001.mp4", False), (WEBM, "chunk_00001.webm", False),
     (HLS, "chunk_00001.mp4", True)],
)  # fmt: skip
def test_chunk_container_and_keyframes(fmt: OutputFormat, name: str, clock: bool) -> None:
    argv = chunk_argv(FFMPEG, encode_plan(fmt), CHUNKED, CHUNKED.chunks[1])
    assert argv[-1] == name
    assert values(argv, "-f") == [name.rpartition(".")[2]]
    assert ("-force_key_frames" in argv) is clock


def test_a_clipped_chunk_seeks_from_the_clips_start() -> None:
    clip = Clip(100.0, 175.0)
    argv = chunk_argv(FFMPEG, encode_plan(clip=clip), CHUNKED, CHUNKED.chunks[1])
    assert values(argv, "-ss") == [f"{130 - RESUME_EARLY_S:.6f}"]
    assert float(values(argv, "-t")[0]) == pytest.approx(45 + RESUME_EARLY_S)
    first = chunk_argv(FFMPEG, encode_plan(clip=clip), CHUNKED, CHUNKED.chunks[0])
    assert values(first, "-ss") == ["100.000000"]


@pytest.mark.parametrize(
    ("fmt", "codec", "output"),
    [(MP4, "aac", "audio.m4a"), (HLS, "aac", "audio.m4a"), (WEBM, "libopus", "audio.webm")],
)
def test_the_audio_is_encoded_once(fmt: OutputFormat, codec: str, output: str) -> None:
    argv = audio_argv(FFMPEG, encode_plan(fmt))
    assert "-vn" in argv
    assert values(argv, "-c:a") == [codec]
    assert values(argv, "-map") == ["0:a:0"]
    assert argv[-1] == output
    assert "-ss" not in argv


def test_the_concat_list_names_every_chunk_with_whole_frame_durations() -> None:
    chunked = plan(100, 30, NTSC)  # starts at frames 0, 899, 1798, 2697
    assert concat_list(encode_plan(), chunked).splitlines() == [
        "ffconcat version 1.0",
        "file 'chunk_00000.mp4'", "duration 29.996633",  # 899 frames at 30000/1001
        "file 'chunk_00001.mp4'", "duration 29.996633",
        "file 'chunk_00002.mp4'", "duration 29.996633",
        "file 'chunk_00003.mp4'",
    ]  # fmt: skip
    assert [c.start_frame for c in chunked.chunks] == [0, 899, 1798, 2697]


@pytest.mark.parametrize("has_audio", [True, False])
def test_the_stitch_copies_the_listed_chunks_and_the_audio(has_audio: bool) -> None:
    argv = stitch_argv(FFMPEG, encode_plan(MP4), has_audio)
    inputs = values(argv, "-i")
    assert inputs[0] == "../chunks/chunks.ffconcat"
    assert argv[argv.index("-i") - 4 : argv.index("-i")] == ["-f", "concat", "-safe", "0"]
    assert values(argv, "-c") == ["copy"]
    assert values(argv, "-map") == (["0:v", "1:a"] if has_audio else ["0:v"])
    assert inputs == (["../chunks/chunks.ffconcat", "../chunks/audio.m4a"] if has_audio
                      else ["../chunks/chunks.ffconcat"])  # fmt: skip
    # Every input reads local files only.
    assert values(argv, "-protocol_whitelist") == ["file"] * len(inputs)
    assert values(argv, "-movflags") == ["+faststart"]
    assert argv[-1] == "out.mp4"


def test_an_hls_stitch_cuts_segments_and_a_webm_one_reads_webm() -> None:
    argv = stitch_argv(FFMPEG, encode_plan(HLS), True)
    assert values(argv, "-f")[-1] == "hls"
    assert values(argv, "-hls_time") == ["6"]
    assert "-movflags" not in argv
    assert argv[-1] == "out.m3u8"
    webm = stitch_argv(FFMPEG, encode_plan(WEBM), True)
    assert values(webm, "-format_whitelist") == ["concat,webm", "webm"]
    assert values(webm, "-i")[1] == "../chunks/audio.webm"
    assert webm[-3:] == ["-f", "webm", "out.webm"]


@pytest.mark.parametrize(
    "order",
    [
        TranscodeOrder(MP4, "1280:720", parallel=True),
        TranscodeOrder(WEBM, "1280:720", parallel=True),
        TranscodeOrder(HLS, "1280:720", parallel=True),
        TranscodeOrder(HLS, "1280:720", segment_format=SegmentFormat.TS, parallel=True),
        TranscodeOrder(DASH, parallel=False), TranscodeOrder(HLS, ladder="auto"),
        TranscodeOrder(HLS, ladder="auto", parallel=True),
        TranscodeOrder(HLS, renditions=["1280:720", "640:360"], parallel=True),
        TranscodeOrder(DASH, parallel=True), TranscodeOrder(CMAF, "1280:720", parallel=True),
    ],
)  # fmt: skip
def test_every_format_may_be_split(order: TranscodeOrder) -> None:
    check_order(order)
