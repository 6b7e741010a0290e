"""Which objects make up an output, as data and against local storage."""

from __future__ import annotations

from pathlib import Path

from videoforge.outputs import object_keys, playlist_uris, remove_output
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


def test_playlist_uris_are_our_segments_only() -> None:
    assert playlist_uris(PLAYLIST) == ["abc_640x360_1234_00000.ts", "abc_640x360_1234_00001.ts"]


def test_an_hls_output_is_its_segments_then_its_playlist(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    storage.put_bytes("outputs/abc_640x360_1234.m3u8", PLAYLIST.encode())
    for name in playlist_uris(PLAYLIST):
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
