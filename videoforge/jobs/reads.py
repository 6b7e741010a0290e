"""The job read the API does on its event loop: a record in one HGETALL, on a connection that
every concurrent read shares (jobs.pipelined), or on redis-py's asyncio client for TLS URLs.
Status polls are the API's most frequent request; a thread per poll (the sync client) cost
more than the read itself."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import redis.asyncio
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff

from videoforge.errors import NotFound
from videoforge.jobs.names import MAX_TASK_ID_CHARS, job_key
from videoforge.jobs.pipelined import SCHEMES, ConnectionLost, PipelinedRedis, ReplyError
from videoforge.jobs.records import decode, redis_errors
from videoforge.models import Job

log = logging.getLogger(__name__)

# For every Redis client (runtime.wiring's too): a dead Redis fails calls, never hangs them.
SOCKET_TIMEOUT_S = 10
CONNECT_TIMEOUT_S = 5
HEALTH_CHECK_INTERVAL_S = 30
MAX_CONNECTIONS = 32
RETRIES = 4


class AsyncJobReads:
    """`await reads.get(task_id)`: as JobStore.get, without a thread."""

    def __init__(self, client: redis.asyncio.Redis | PipelinedRedis) -> None:
        self.client = client

    @classmethod
    def from_url(cls, url: str) -> AsyncJobReads:
        """A client of its own; made inside the event loop that will use it."""
        if urlsplit(url).scheme in SCHEMES:
            return cls(PipelinedRedis(url, SOCKET_TIMEOUT_S, CONNECT_TIMEOUT_S, RETRIES))
        return cls(pooled_client(url))

    async def get(self, task_id: str) -> Job:
        """The record of a job; NotFound if there is none, TransientError if Redis is away."""
        if len(task_id) > MAX_TASK_ID_CHARS:  # never a key we made; not echoed back either
            raise NotFound("no such task")
        raw = await self._hgetall(job_key(task_id))
        if not raw:
            raise NotFound(f"no task {task_id}")
        return decode(raw)

    async def _hgetall(self, key: str) -> dict[Any, Any]:
        with redis_errors(ConnectionLost, ReplyError):
            if not isinstance(self.client, PipelinedRedis):
                return await self.client.hgetall(key)
            flat = await self.client.call("HGETALL", key)
        return dict(zip(flat[::2], flat[1::2], strict=True))

    async def close(self) -> None:
        if isinstance(self.client, PipelinedRedis):
            await self.client.close()
        else:  # the pool was given, not made, by the client: closed only when asked
            await self.client.aclose(close_connection_pool=True)


def pooled_client(url: str) -> redis.asyncio.Redis:
    """redis-py's asyncio client, for URLs the pipelined connection does not take (TLS). At
    most MAX_CONNECTIONS reads at once: a burst (hundreds of event streams opening) waits for
    a connection instead of failing (the default pool raises "Too many connections")."""
    pool = redis.asyncio.BlockingConnectionPool.from_url(
            url, max_connections=MAX_CONNECTIONS, timeout=SOCKET_TIMEOUT_S,
            socket_timeout=SOCKET_TIMEOUT_S, socket_connect_timeout=CONNECT_TIMEOUT_S,
            health_check_interval=HEALTH_CHECK_INTERVAL_S,
            # After a Redis restart every pooled connection is dead, and this pool (unlike
            # the sync one) does not notice before using one: a read reconnects and tries
            # again, for about a second, before it is a 503.
            retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), RETRIES),
        )  # fmt: skip
    return redis.asyncio.Redis(connection_pool=pool)
