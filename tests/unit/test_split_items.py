"""A split job's items as files and commands (segments.items), one rendition or a ladder:
what each item writes, its argv (a ladder's chunk encodes every rung from one decode), and
the lists and commands that join each rung's chunks for the packager."""

from __future__ import annotations

from pathlib import Path

from tests.unit.test_ladder_argv import outputs, value
from videoforge.media.command import RESUME_EARLY_S, EncodePlan
from videoforge.media.filters import VideoPrep
from videoforge.media.ladder_encode import LadderPlan
from videoforge.models import OutputFormat, Rendition
from videoforge.segments.chunks import plan_chunks
from videoforge.segments.items import (
    item_argv,
    item_files,
    item_seconds,
    join_lists,
    rung_join_argv,
)

FFMPEG = "/opt/ffmpeg"
RUNGS = (Rendition(1280, 720, 3000), Rendition(640, 360, 800))
LADDER = LadderPlan(Path("/s/source"), RUNGS, has_audio=True, prep=VideoPrep(fps=30.0),
                    threads=1)  # fmt: skip
SINGLE = EncodePlan(Path("/s/source"), "stem", OutputFormat.MP4, 640, 360, has_audio=True)
CHUNKS = plan_chunks(75, 30.0, 30, True, 6)  # frames 0-899, 900-1799, 1800 to the end


def test_each_item_writes_one_file_per_rung_or_one_in_all() -> None:
    assert item_files(SINGLE, "1") == ["chunk_00001.mp4"]
    assert item_files(SINGLE, "audio") == ["audio.m4a"]
    assert item_files(LADDER, "1") == ["rung0_chunk_00001.mp4", "rung1_chunk_00001.mp4"]
    assert item_files(LADDER, "audio") == ["audio.mp4"]  # what the packager reads
    assert item_seconds(CHUNKS, "1") == 30 and item_seconds(CHUNKS, "audio") == 75


def test_a_ladder_chunk_encodes_every_rung_from_one_seek_and_one_decode() -> None:
    argv = item_argv(FFMPEG, LADDER, CHUNKS, "1")
    at = argv.index("-i")
    assert argv[at - 4 : at] == ["-ss", f"{30 - RESUME_EARLY_S:.6f}", "-threads", "1"]
    assert argv.count("-i") == 1 and "split=2" in value(argv, "-filter_complex")
    groups = outputs(argv)
    assert [group[-1] for group in groups] == item_files(LADDER, "1")
    for group in groups:
        assert value(group, "-frames:v") == "900" and "-an" in group
        assert value(group, "-c:v") == "libx264" and "-force_key_frames" in group
    assert "-vn" not in argv and "copy" not in argv
    last = outputs(item_argv(FFMPEG, LADDER, CHUNKS, "2"))
    assert all("-frames:v" not in group for group in last)  # to the end
    assert "-ss" not in item_argv(FFMPEG, LADDER, CHUNKS, "0")


def test_a_ladders_audio_is_encoded_once_into_the_file_the_packager_reads() -> None:
    argv = item_argv(FFMPEG, LADDER, CHUNKS, "audio")
    assert "-ss" not in argv and "-filter_complex" not in argv
    assert argv[-3:] == ["-f", "mp4", "audio.mp4"]
    assert "-vn" in argv and value(argv, "-c:a") == "aac"


def test_each_rung_is_joined_from_its_own_chunks() -> None:
    lists = join_lists(LADDER, CHUNKS)
    assert list(lists) == ["rung0.ffconcat", "rung1.ffconcat"]
    assert lists["rung1.ffconcat"] == (
        "ffconcat version 1.0\n"
        "file 'rung1_chunk_00000.mp4'\nduration 30.000000\n"
        "file 'rung1_chunk_00001.mp4'\nduration 30.000000\n"
        "file 'rung1_chunk_00002.mp4'\n"
    )
    assert list(join_lists(SINGLE, CHUNKS)) == ["chunks.ffconcat"]
    argv = rung_join_argv(FFMPEG, 1)
    assert value(argv, "-i") == "../chunks/rung1.ffconcat" and value(argv, "-c") == "copy"
    assert argv[-3:] == ["-f", "mp4", "rung1.mp4"]
    assert value(argv, "-protocol_whitelist") == "file"
