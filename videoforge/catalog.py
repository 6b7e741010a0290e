"""The catalog of sources (accepted uploads), kept in Redis beside the jobs: newest-first
order and each file's record, so listing never reads object storage. Listing a file and
dropping it report `file.uploaded` and `file.deleted` to the change feed in the same step."""

from __future__ import annotations

import json
import time

import redis

from videoforge.jobs.names import EVENTS_KEY, EVENTS_MAX_LEN, FILE_RECORDS_KEY, FILES_KEY
from videoforge.jobs.records import newest_first, redis_errors
from videoforge.models import SourceFile


class SourceCatalog:
    """Which files exist, newest first. Storage's meta.json stays the record a job reads."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def add(self, source: SourceFile) -> None:
        """List an accepted file."""
        record = json.dumps(source.to_dict())
        event = {"type": "file.uploaded", "subject": source.file_id, "at": time.time(),
                 "record": record}  # fmt: skip
        with redis_errors():
            pipe = self.client.pipeline()  # MULTI/EXEC: all three writes or none
            pipe.hset(FILE_RECORDS_KEY, source.file_id, record)
            pipe.zadd(FILES_KEY, {source.file_id: source.created_at})
            pipe.xadd(EVENTS_KEY, event, maxlen=EVENTS_MAX_LEN, approximate=True)  # type: ignore[arg-type]
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
            self.client.eval(REMOVE_AND_REPORT, 3, FILES_KEY, FILE_RECORDS_KEY, EVENTS_KEY,
                             file_id, time.time(), EVENTS_MAX_LEN)  # fmt: skip


# Reported only by the call that removed the record, so a repeated DELETE reports once.
REMOVE_AND_REPORT = """
local record = redis.call('HGET', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
if not record then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', 'type', 'file.deleted',
           'subject', ARGV[1], 'at', ARGV[2], 'record', record)
return 1
"""
