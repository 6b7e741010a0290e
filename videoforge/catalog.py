"""The catalog of sources (accepted uploads), kept in Redis beside the jobs: newest-first
order and each file's record, so listing never reads object storage."""

from __future__ import annotations

import json

import redis

from videoforge.jobs.names import FILE_RECORDS_KEY, FILES_KEY
from videoforge.jobs.store import newest_first, redis_errors
from videoforge.models import SourceFile


class SourceCatalog:
    """Which files exist, newest first. Storage's meta.json stays the record a job reads."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def add(self, source: SourceFile) -> None:
        """List an accepted file."""
        with redis_errors():
            pipe = self.client.pipeline()
            pipe.hset(FILE_RECORDS_KEY, source.file_id, json.dumps(source.to_dict()))
            pipe.zadd(FILES_KEY, {source.file_id: source.created_at})
            pipe.execute()

    def page(self, offset: int, limit: int) -> tuple[list[SourceFile], int]:
        """`limit` files from `offset`, newest first, and how many there are in all."""
        file_ids, total = newest_first(self.client, FILES_KEY, offset, limit)
        with redis_errors():
            raw = self.client.hmget(FILE_RECORDS_KEY, file_ids) if file_ids else []
        return [SourceFile.from_dict(json.loads(item)) for item in raw if item], total

    def has(self, file_id: str) -> bool:
        """Whether a file is listed."""
        with redis_errors():
            return bool(self.client.hexists(FILE_RECORDS_KEY, file_id))

    def remove(self, file_id: str) -> None:
        """Drop a file from the listing."""
        with redis_errors():
            pipe = self.client.pipeline()
            pipe.zrem(FILES_KEY, file_id)
            pipe.hdel(FILE_RECORDS_KEY, file_id)
            pipe.execute()
