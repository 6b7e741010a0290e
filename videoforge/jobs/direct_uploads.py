"""Direct uploads in Redis: one hash per upload (its S3 multipart upload, name, size, parts,
state), and the unfinished ones by expiry time, so expired ones can be aborted."""

from __future__ import annotations

import time
from typing import Any, cast

import redis

from videoforge.errors import NotFound
from videoforge.jobs.names import PREFIX
from videoforge.jobs.records import decoded, redis_errors

EXPIRING_KEY = f"{PREFIX}:direct:expiring"
KEPT_S = 7 * 24 * 3600  # a finished upload's record stays this long (GET shows its file_id)


def upload_key(upload_id: str) -> str:
    return f"{PREFIX}:direct:{upload_id}"


class DirectUploads:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def save(self, record: dict[str, Any]) -> None:
        fields = {name: str(value) for name, value in record.items()}
        with redis_errors():
            pipe = self.client.pipeline()
            pipe.hset(upload_key(record["upload_id"]), mapping=cast(dict[Any, Any], fields))
            pipe.zadd(EXPIRING_KEY, {record["upload_id"]: float(record["expires_at"])})
            pipe.execute()

    def get(self, upload_id: str) -> dict[str, str]:
        with redis_errors():
            raw = self.client.hgetall(upload_key(upload_id)) if len(upload_id) <= 64 else {}
        if not raw:
            raise NotFound(f"no direct upload {upload_id[:64]}")
        return {decoded(k): decoded(v) for k, v in raw.items()}

    def claim(self, upload_id: str) -> bool:
        """Take an upload in hand to finish it (complete or abort), once: False if another
        request or the sweep has it."""
        with redis_errors():
            return bool(self.client.zrem(EXPIRING_KEY, upload_id))

    def release(self, upload_id: str, expires_at: float) -> None:
        """Give an upload back (finishing it failed for a passing reason)."""
        with redis_errors():
            self.client.zadd(EXPIRING_KEY, {upload_id: expires_at})

    def finish(self, upload_id: str, **fields: str) -> None:
        with redis_errors():
            pipe = self.client.pipeline()
            pipe.hset(upload_key(upload_id), mapping=cast(dict[Any, Any], fields))
            pipe.expire(upload_key(upload_id), KEPT_S)
            pipe.execute()

    def expired(self, limit: int = 20) -> list[str]:
        with redis_errors():
            found = self.client.zrangebyscore(EXPIRING_KEY, 0, time.time(), start=0, num=limit)
        return [decoded(i) for i in cast(list[bytes], found)]
