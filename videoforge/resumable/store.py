"""Resumable uploads' state in Redis (so every API replica agrees) and their bytes staged on
local disk: one hash per upload, a sorted set of the unfinished ones by expiry (the sweep's
list), and a lock with a TTL that serializes the writers of one upload."""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import redis

from videoforge.errors import NotFound
from videoforge.jobs.names import TUS_EXPIRING_KEY, tus_lock_key, tus_upload_key
from videoforge.jobs.records import decoded, redis_errors
from videoforge.jobs.scripts import RELEASE_IF_HELD, RENEW_IF_HELD

RECEIVING, DONE, REFUSED = "receiving", "done", "refused"
UPLOAD_ID_CHARS = 32
# Moves the offset only if the upload still exists and the caller still holds its lock.
_ADVANCE = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] or redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'offset', ARGV[2], 'expires_at', ARGV[3])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[5])
return 1
"""


@dataclass(frozen=True)
class Upload:
    """One resumable upload as Redis holds it."""

    upload_id: str
    offset: int
    length: int
    state: str
    filename: str
    filetype: str
    expires_at: float
    file_id: str | None = None
    error: str | None = None

    @property
    def complete(self) -> bool:
        return self.offset == self.length


class UploadStore:
    """Create, read, advance, finish and end resumable uploads; sweep the expired ones."""

    def __init__(
        self, client: redis.Redis, staging_dir: Path, expiry_s: float, lock_ttl_s: float
    ) -> None:
        self.client = client
        self.staging_dir = staging_dir
        self.expiry_s = expiry_s
        self.lock_ttl_ms = int(lock_ttl_s * 1000)

    def path(self, upload_id: str) -> Path:
        """Where an upload's bytes are staged (one host: this API's disk)."""
        return self.staging_dir / f"{upload_id}.part"

    def create(self, length: int, filename: str, filetype: str) -> Upload:
        """A new empty upload, expiring in `expiry_s` unless bytes arrive."""
        upload = Upload(uuid.uuid4().hex, 0, length, RECEIVING, filename, filetype,
                        time.time() + self.expiry_s)  # fmt: skip
        fields = {"offset": 0, "length": length, "state": RECEIVING, "filename": filename,
                  "filetype": filetype, "expires_at": upload.expires_at}  # fmt: skip
        key = tus_upload_key(upload.upload_id)
        with redis_errors():
            pipe = self.client.pipeline()
            # The sweep's entry first: staged bytes never exist without one.
            pipe.zadd(TUS_EXPIRING_KEY, {upload.upload_id: upload.expires_at})
            pipe.hset(key, mapping=fields)  # type: ignore[arg-type]
            pipe.pexpireat(key, _grace_ms(upload.expires_at))
            pipe.execute()
        self.staging_dir.mkdir(parents=True, exist_ok=True)
        self.path(upload.upload_id).touch()
        return upload

    def get(self, upload_id: str) -> Upload:
        """The upload; NotFound for unknown, malformed, ended or expired ids."""
        if len(upload_id) != UPLOAD_ID_CHARS or not upload_id.isalnum():
            raise NotFound(f"no upload {upload_id[:64]}")
        with redis_errors():
            raw = self.client.hgetall(tus_upload_key(upload_id))
        if not raw:
            raise NotFound(f"no upload {upload_id}")
        data = {decoded(k): decoded(v) for k, v in raw.items()}
        upload = Upload(
            upload_id=upload_id,
            offset=int(data["offset"]),
            length=int(data["length"]),
            state=data["state"],
            filename=data.get("filename", ""),
            filetype=data.get("filetype", ""),
            expires_at=float(data["expires_at"]),
            file_id=data.get("file_id") or None,
            error=data.get("error") or None,
        )
        if upload.state == RECEIVING and upload.expires_at <= time.time():
            raise NotFound(f"upload {upload_id} expired")
        return upload

    def lock(self, upload_id: str) -> str | None:
        """A token if this caller now holds the upload's lock, else None (someone writes)."""
        token = secrets.token_hex(16)
        with redis_errors():
            taken = self.client.set(tus_lock_key(upload_id), token, nx=True, px=self.lock_ttl_ms)
        return token if taken else None

    def renew(self, upload_id: str, token: str) -> None:
        """Keep the lock while bytes keep arriving."""
        with redis_errors():
            self.client.eval(RENEW_IF_HELD, 1, tus_lock_key(upload_id), token, self.lock_ttl_ms)

    def unlock(self, upload_id: str, token: str) -> None:
        """Give the lock back, if it is still ours."""
        with redis_errors():
            self.client.eval(RELEASE_IF_HELD, 1, tus_lock_key(upload_id), token)

    def advance(self, upload_id: str, token: str, offset: int) -> float:
        """Record the bytes staged so far (the expiry slides); NotFound if it has ended."""
        expires_at = time.time() + self.expiry_s
        keys = (tus_upload_key(upload_id), tus_lock_key(upload_id), TUS_EXPIRING_KEY)
        with redis_errors():
            moved = self.client.eval(_ADVANCE, 3, *keys, token, offset, expires_at,
                                     _grace_ms(expires_at), upload_id)  # fmt: skip
        if not moved:
            raise NotFound(f"upload {upload_id} ended while receiving")
        return expires_at

    def finish(self, upload_id: str, state: str, file_id: str = "", error: str = "") -> None:
        """Record the outcome (kept `expiry_s` for GET) and drop the staged bytes."""
        key = tus_upload_key(upload_id)
        with redis_errors():
            pipe = self.client.pipeline()
            pipe.hset(key, mapping={"state": state, "file_id": file_id, "error": error})
            pipe.expire(key, int(self.expiry_s) + 1)
            pipe.zrem(TUS_EXPIRING_KEY, upload_id)
            pipe.execute()
        self.path(upload_id).unlink(missing_ok=True)

    def end(self, upload_id: str) -> None:
        """Forget an upload and its bytes (termination, or the sweep); the caller holds its
        lock, or it is expired."""
        with redis_errors():
            pipe = self.client.pipeline()
            pipe.delete(tus_upload_key(upload_id))
            pipe.zrem(TUS_EXPIRING_KEY, upload_id)
            pipe.execute()
        self.path(upload_id).unlink(missing_ok=True)

    def sweep(self, now: float | None = None, batch: int = 100) -> list[str]:
        """End the unfinished uploads past their expiry that nobody is writing to."""
        with redis_errors():
            due = self.client.zrangebyscore(
                TUS_EXPIRING_KEY, "-inf", now or time.time(), start=0, num=batch
            )
        swept = []
        for upload_id in [decoded(member) for member in cast(list[bytes], due)]:
            token = self.lock(upload_id)
            if token is None:  # a PATCH is running: it slides the expiry when it ends
                continue
            try:
                score = self.client.zscore(TUS_EXPIRING_KEY, upload_id)
                if score is not None and score <= (now or time.time()):
                    self.end(upload_id)
                    swept.append(upload_id)
            finally:
                self.unlock(upload_id, token)
        return swept


def _grace_ms(expires_at: float) -> int:
    # The record outlives its expiry a little, so the sweep (not Redis) decides its end.
    return int((expires_at + 3600) * 1000)
