"""Output names (made, parsed, checked) and which objects make up an output, as data and
against local storage."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from videoforge.media.manifests import playlist_uris
from videoforge.models import OutputFormat
from videoforge.outputs import (
    OutputName,
    attempt_name,
    attempt_owner,
    content_type,
    job_output_name,
    object_keys,
    parse_output_name,
    remove_output,
)
from videoforge.storage.local import LocalStorage

PLAYLIST = """#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:6
#EXTINF:6.000000,
abc_640x360_1234_00000.ts
#EXTINF:4.000000,
abc_640x360_1234_00001.ts
https://elsewhere.example/evil.ts
../../etc/passwd
#EXT-X-ENDLIST
"""


def test_playlist_uris_are_every_uri_line() -> None:
    assert playlist_uris(PLAYLIST) == [
        "abc_640x360_1234_00000.ts",
        "abc_640x360_1234_00001.ts",
        "https://elsewhere.example/evil.ts",
        "../../etc/passwd",
    ]


def test_an_hls_output_is_its_segments_then_its_playlist(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    storage.put_bytes("outputs/abc_640x360_1234.m3u8", PLAYLIST.encode())
    for name in playlist_uris(PLAYLIST)[:2]:
        storage.put_bytes(f"outputs/{name}", b"ts")
    storage.put_bytes("outputs/other.mp4", b"mp4")
    assert object_keys(storage, "abc_640x360_1234.m3u8") == [
        "outputs/abc_640x360_1234_00000.ts",
        "outputs/abc_640x360_1234_00001.ts",
        "outputs/abc_640x360_1234.m3u8",
    ]
    remove_output(storage, "abc_640x360_1234.m3u8")
    assert sorted(p.name for p in (tmp_path / "outputs").iterdir()) == ["other.mp4"]
    remove_output(storage, "abc_640x360_1234.m3u8")  # again: nothing left, no error
    assert object_keys(storage, "video.mp4") == ["outputs/video.mp4"]


FILE_ID = "0123456789abcdef" * 2


def test_job_output_name_format() -> None:
    task_id = "3f2b8c1e-9d4a-4b7e-8f00-123456789abc"
    name = job_output_name(FILE_ID, (1280, 720), task_id, OutputFormat.HLS)
    assert name == f"{FILE_ID}_1280x720_3f2b8c1e9d4a.m3u8"


def test_job_output_names_are_unique_per_task_and_stable_per_task() -> None:
    task_ids = [str(uuid.uuid4()) for _ in range(200)]
    names = {job_output_name(FILE_ID, (640, 360), t, OutputFormat.MP4) for t in task_ids}
    assert len(names) == len(task_ids)
    again = job_output_name(FILE_ID, (640, 360), task_ids[0], OutputFormat.MP4)
    assert again == job_output_name(FILE_ID, (640, 360), task_ids[0], OutputFormat.MP4)
    for name in names:
        assert "-" not in name  # task id dashes are dropped
        assert name.startswith(f"{FILE_ID}_640x360_")


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_made_names_parse_back_and_are_servable(fmt: OutputFormat) -> None:
    name = job_output_name(FILE_ID, (854, 480), str(uuid.uuid4()), fmt)
    assert parse_output_name(name) == OutputName(FILE_ID, 854, 480, fmt.extension)
    assert content_type(name) is not None


@pytest.mark.parametrize(
    "name",
    [
        f"{FILE_ID}_640x360_abcdefabcdef_00001.ts",  # a segment: served, but not a job output
        "holiday.mp4",
        f"{FILE_ID[:-1]}_640x360_abcdefabcdef.mp4",
        f"{FILE_ID}_640x360_abcdef.mp4",
    ],
)
def test_other_names_are_not_job_outputs(name: str) -> None:
    assert parse_output_name(name) is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a_00001.ts", "video/mp2t"),
        ("a.m3u8", "application/vnd.apple.mpegurl"),
        ("a.webm", "video/webm"),
        ("../a.mp4", None),
        ("a.mp4?x", None),
        ("a.exe", None),
        ("", None),
    ],
)
def test_content_type_only_for_names_we_could_have_made(name: str, expected: str | None) -> None:
    assert content_type(name) == expected


def test_an_attempt_object_names_its_job_and_its_attempt() -> None:
    stem = f"{'a' * 32}_640x360_{'b' * 12}"
    tagged = f"{stem}-0123abcd"
    assert attempt_owner(f"{tagged}.mp4") == ([f"{stem}.mp4"], tagged)
    # A part may belong to an HLS or a DASH job: both public names are candidates.
    both = [f"{stem}.m3u8", f"{stem}.mpd"]
    assert attempt_owner(f"{tagged}_00007.ts") == (both, tagged)
    for part in ("_v0_init.mp4", "_v3_00012.m4s", "_a_00001.m4s", "_v1.m3u8", "_a.m3u8"):
        assert attempt_owner(f"{tagged}{part}") == (both, tagged)
    assert attempt_owner(f"{tagged}.mpd") == ([f"{stem}.mpd"], tagged)
    assert attempt_owner(f"{stem}.mp4") is None  # named before attempts had tags
    assert attempt_owner("holiday.mp4") is None
    assert attempt_owner(attempt_name(f"{stem}.webm", "0123abcd")) == ([f"{stem}.webm"], tagged)


def test_a_ladder_is_every_object_of_its_attempt_manifests_last(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    stem = f"{'a' * 32}_1280x720_{'b' * 12}"
    mine = [f"{stem}-0123abcd{part}" for part in (
        "_v0_init.mp4", "_v0_00001.m4s", "_v1_00001.m4s", "_a_00001.m4s", "_v0.m3u8", ".mpd",
    )]  # fmt: skip
    # Another attempt of the same job, and another job, share prefixes but are not this one.
    others = [f"{stem}-fedcba98_v0_00001.m4s", f"{stem}-fedcba98.m3u8", "other.mp4"]
    for name in [*mine, f"{stem}-0123abcd.m3u8", *others]:
        storage.put_bytes(f"outputs/{name}", b"x")
    keys = object_keys(storage, f"{stem}-0123abcd.m3u8")
    assert keys[-1] == f"outputs/{stem}-0123abcd.m3u8"
    assert sorted(keys[:-1]) == sorted(f"outputs/{name}" for name in mine)
    manifests_at = [i for i, key in enumerate(keys) if key.endswith((".m3u8", ".mpd"))]
    assert manifests_at == list(range(len(keys) - 3, len(keys)))  # after every segment
    remove_output(storage, f"{stem}-0123abcd.m3u8")
    left = sorted(p.name for p in (tmp_path / "outputs").iterdir())
    assert left == sorted(others)
