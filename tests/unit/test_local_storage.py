"""videoforge.storage.local.LocalStorage on a temp dir."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from videoforge.errors import NotFound, TransientError
from videoforge.storage import file_id_of_source, local, meta_key, source_key
from videoforge.storage.local import LocalStorage

DATA = bytes(range(256)) * 4  # 1 KiB, every byte value


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "objects"


@pytest.fixture
def storage(root: Path) -> LocalStorage:
    return LocalStorage(root)


def part_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.startswith(".part-")]


def read_all(storage: LocalStorage, key: str, start: int = 0, end: int | None = None) -> bytes:
    return b"".join(storage.read(key, start, end))


def test_root_is_created(root: Path) -> None:
    LocalStorage(root / "deeper")
    assert (root / "deeper").is_dir()


def test_put_bytes_then_read_size_fetch(storage: LocalStorage, root: Path, tmp_path: Path) -> None:
    storage.put_bytes("sources/abc/meta.json", DATA)
    assert (root / "sources" / "abc" / "meta.json").read_bytes() == DATA
    assert storage.size("sources/abc/meta.json") == len(DATA)
    assert read_all(storage, "sources/abc/meta.json") == DATA
    dest = tmp_path / "copy"
    storage.fetch_file("sources/abc/meta.json", dest)
    assert dest.read_bytes() == DATA
    assert part_files(root) == []


def test_put_file(storage: LocalStorage, root: Path, tmp_path: Path) -> None:
    source = tmp_path / "upload.bin"
    source.write_bytes(DATA * 300)  # larger than one copy chunk
    storage.put_file("sources/abc/source", source)
    assert storage.size("sources/abc/source") == len(DATA) * 300
    assert read_all(storage, "sources/abc/source") == DATA * 300
    assert source.exists()  # the local file is copied, not moved
    assert part_files(root) == []


def test_put_replaces_an_existing_object(storage: LocalStorage, root: Path) -> None:
    storage.put_bytes("outputs/a.m3u8", b"old contents, longer")
    storage.put_bytes("outputs/a.m3u8", b"new")
    assert read_all(storage, "outputs/a.m3u8") == b"new"
    assert storage.size("outputs/a.m3u8") == 3
    assert part_files(root) == []


def test_empty_object(storage: LocalStorage) -> None:
    storage.put_bytes("outputs/empty", b"")
    assert storage.size("outputs/empty") == 0
    assert read_all(storage, "outputs/empty") == b""


def test_failed_put_file_leaves_no_temp_file_and_no_object(
    storage: LocalStorage, root: Path, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError):
        storage.put_file("sources/abc/source", tmp_path / "missing")
    assert part_files(root) == []
    with pytest.raises(NotFound):
        storage.size("sources/abc/source")


def test_failed_put_keeps_the_previous_object(
    storage: LocalStorage, root: Path, tmp_path: Path
) -> None:
    storage.put_bytes("outputs/x.mp4", b"complete")
    with pytest.raises(FileNotFoundError):
        storage.put_file("outputs/x.mp4", tmp_path / "missing")
    assert read_all(storage, "outputs/x.mp4") == b"complete"
    assert part_files(root) == []


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (0, None, DATA),
        (0, 0, DATA[:1]),
        (0, 99, DATA[:100]),
        (100, None, DATA[100:]),
        (100, 199, DATA[100:200]),
        (1023, 1023, DATA[1023:]),
        (1000, 5000, DATA[1000:]),  # end past the object: what there is
        (1024, None, b""),  # start at the end
        (5000, None, b""),
    ],
)
def test_read_ranges(storage: LocalStorage, start: int, end: int | None, expected: bytes) -> None:
    storage.put_bytes("outputs/data", DATA)
    assert read_all(storage, "outputs/data", start, end) == expected


@pytest.mark.parametrize(("start", "end"), [(0, None), (3, 40), (5, 6), (0, 1023), (10, 10)])
def test_read_ranges_across_small_chunks(
    storage: LocalStorage, monkeypatch: pytest.MonkeyPatch, start: int, end: int | None
) -> None:
    monkeypatch.setattr(local, "CHUNK_BYTES", 7)
    storage.put_bytes("outputs/data", DATA)
    chunks = list(storage.read("outputs/data", start, end))
    assert b"".join(chunks) == DATA[start : None if end is None else end + 1]
    assert all(0 < len(chunk) <= 7 for chunk in chunks)


def test_delete(storage: LocalStorage, root: Path) -> None:
    storage.put_bytes("outputs/gone.webm", b"x")
    storage.delete("outputs/gone.webm")
    assert not (root / "outputs" / "gone.webm").exists()
    with pytest.raises(NotFound):
        storage.size("outputs/gone.webm")
    storage.delete("outputs/gone.webm")  # deleting a missing object is fine
    storage.delete("outputs/never-there")


@pytest.mark.parametrize("key", ["sources/nope/source", "outputs/missing.mp4", "x"])
def test_missing_keys_raise_not_found(storage: LocalStorage, tmp_path: Path, key: str) -> None:
    with pytest.raises(NotFound):
        storage.size(key)
    with pytest.raises(NotFound):
        storage.read(key)  # raised on the call, before iteration
    with pytest.raises(NotFound):
        storage.fetch_file(key, tmp_path / "dest")
    assert not (tmp_path / "dest").exists()


ESCAPING_KEYS = [
    "../x",
    "../secret.txt",
    "/etc/passwd",
    "sources/../../x",
    "sources/../../secret.txt",
    "outputs/../../../../../../etc/passwd",
    "",
    ".",
    "sources/..",
]


@pytest.mark.parametrize("key", ESCAPING_KEYS)
def test_keys_cannot_escape_the_root(
    storage: LocalStorage, root: Path, tmp_path: Path, key: str
) -> None:
    secret = tmp_path / "secret.txt"  # next to the root, where "../secret.txt" points
    secret.write_bytes(b"do not read")
    (tmp_path / "x").write_bytes(b"do not touch")

    with pytest.raises(NotFound):
        storage.size(key)
    with pytest.raises(NotFound):
        storage.read(key)
    with pytest.raises(NotFound):
        storage.fetch_file(key, tmp_path / "dest")
    with pytest.raises(NotFound):
        storage.put_bytes(key, b"overwritten")
    with pytest.raises(NotFound):
        storage.put_file(key, secret)
    with pytest.raises(NotFound):
        storage.delete(key)

    assert secret.read_bytes() == b"do not read"
    assert (tmp_path / "x").read_bytes() == b"do not touch"
    assert not (tmp_path / "dest").exists()
    assert part_files(tmp_path) == []


def test_symlink_out_of_the_root_is_not_followed(
    storage: LocalStorage, root: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"do not read")
    (root / "outputs").mkdir()
    (root / "outputs" / "link").symlink_to(secret)
    with pytest.raises(NotFound):
        storage.read("outputs/link")
    with pytest.raises(NotFound):
        storage.size("outputs/link")


def test_dot_dot_inside_the_root_is_allowed(storage: LocalStorage) -> None:
    storage.put_bytes("sources/abc/../def/source", b"ok")
    assert read_all(storage, "sources/def/source") == b"ok"


def test_check_writes_a_probe_object(storage: LocalStorage, root: Path) -> None:
    storage.check()
    assert (root / ".readyz").read_bytes() == b"ok"
    assert part_files(root) == []


def test_write_failures_are_transient(storage: LocalStorage, root: Path, tmp_path: Path) -> None:
    # A file where a folder should be stands in for a full or read-only disk.
    (root / "outputs").write_bytes(b"in the way")
    with pytest.raises(TransientError, match="storage write failed"):
        storage.put_bytes("outputs/x.mp4", b"data")
    source = tmp_path / "src"
    source.write_bytes(b"data")
    with pytest.raises(TransientError):
        storage.put_file("outputs/y.mp4", source)


def test_source_keys_name_their_file() -> None:
    file_id = "ab" * 16
    assert file_id_of_source(source_key(file_id)) == file_id
    assert file_id_of_source(meta_key(file_id)) == file_id
    assert file_id_of_source("sources/not-an-id/source") is None
    assert file_id_of_source(f"outputs/{file_id}.mp4") is None


def test_put_and_fetch_link_instead_of_copying(storage: LocalStorage, tmp_path: Path) -> None:
    made = tmp_path / "encoded.mp4"
    made.write_bytes(DATA)
    storage.put_file("outputs/encoded.mp4", made)
    made.unlink()  # the worker's scratch dir goes; the stored object stays whole
    assert read_all(storage, "outputs/encoded.mp4") == DATA
    fetched = tmp_path / "source"
    storage.fetch_file("outputs/encoded.mp4", fetched)
    stored = storage.root / "outputs" / "encoded.mp4"
    assert fetched.stat().st_ino == stored.stat().st_ino  # one inode: no bytes were copied
    assert not [p for p in stored.parent.iterdir() if p.name.startswith(".link-")]


def test_without_hard_links_put_and_fetch_copy(
    storage: LocalStorage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cross_device(*_: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(local.os, "link", cross_device)
    made = tmp_path / "encoded.mp4"
    made.write_bytes(DATA)
    storage.put_file("outputs/encoded.mp4", made)
    fetched = tmp_path / "source"
    storage.fetch_file("outputs/encoded.mp4", fetched)
    stored = storage.root / "outputs" / "encoded.mp4"
    assert fetched.read_bytes() == stored.read_bytes() == DATA
    assert fetched.stat().st_ino != stored.stat().st_ino


def test_fetch_over_a_file_left_by_an_earlier_try(storage: LocalStorage, tmp_path: Path) -> None:
    storage.put_bytes("sources/abc/source.mp4", DATA)
    dest = tmp_path / "source"
    dest.write_bytes(b"half a copy")
    storage.fetch_file("sources/abc/source.mp4", dest)
    assert dest.read_bytes() == DATA
