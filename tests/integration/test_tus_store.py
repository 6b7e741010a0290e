"""Resumable uploads' state on a real Valkey: one lock holder per upload, the offset moves
only for the holder, and the sweep ends expired uploads that nobody is writing to."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from videoforge.errors import NotFound
from videoforge.jobs.names import TUS_EXPIRING_KEY
from videoforge.resumable.store import DONE, RECEIVING, UploadStore
from videoforge.runtime.wiring import redis_client


@pytest.fixture
def client(valkey: str) -> Iterator[redis.Redis]:
    client = redis_client(valkey)
    yield client
    client.close()


def store(client: redis.Redis, tmp_path: Path, expiry_s: float = 3600) -> UploadStore:
    return UploadStore(client, tmp_path / "tus", expiry_s, lock_ttl_s=30)


def test_one_writer_at_a_time_and_only_it_moves_the_offset(
    client: redis.Redis, tmp_path: Path
) -> None:
    uploads = store(client, tmp_path)
    upload = uploads.create(100, "clip.mp4", "video/mp4")
    assert uploads.path(upload.upload_id).read_bytes() == b""
    token = uploads.lock(upload.upload_id)
    assert token is not None
    assert uploads.lock(upload.upload_id) is None  # the second writer is refused
    with pytest.raises(NotFound):
        uploads.advance(upload.upload_id, "not-the-token", 50)
    uploads.advance(upload.upload_id, token, 50)
    uploads.unlock(upload.upload_id, token)
    again = uploads.get(upload.upload_id)
    assert (again.offset, again.length, again.state, again.filename) == (50, 100, RECEIVING,
                                                                          "clip.mp4")  # fmt: skip
    uploads.finish(upload.upload_id, DONE, file_id="f" * 32)
    assert uploads.get(upload.upload_id).file_id == "f" * 32
    assert not uploads.path(upload.upload_id).exists()
    assert client.zscore(TUS_EXPIRING_KEY, upload.upload_id) is None


def test_the_sweep_ends_expired_uploads_but_not_one_being_written(
    client: redis.Redis, tmp_path: Path
) -> None:
    uploads = store(client, tmp_path, expiry_s=1)
    idle = uploads.create(10, "", "")
    busy = uploads.create(10, "", "")
    fresh = store(client, tmp_path).create(10, "", "")
    token = uploads.lock(busy.upload_id)
    assert token is not None
    later = time.time() + 2
    swept = uploads.sweep(now=later)
    assert idle.upload_id in swept and busy.upload_id not in swept
    assert fresh.upload_id not in swept
    assert not uploads.path(idle.upload_id).exists() and uploads.path(busy.upload_id).exists()
    with pytest.raises(NotFound):
        uploads.get(idle.upload_id)
    uploads.unlock(busy.upload_id, token)
    assert busy.upload_id in uploads.sweep(now=later)
