"""One Redis connection that every concurrent read on an event loop shares: commands are
written as they come and RESP replies return in the order they were sent, so each read
costs a write and a share of one recv. redis-py's asyncio client checks a connection out of
its pool for every command: measured here, about 100 µs of CPU per HGETALL, against about
15 µs this way, and the status route is the API's most frequent request.

For redis:// and unix:// URLs (a password, user name and database from the URL);
`AsyncJobReads.from_url` uses redis-py's client for anything else (TLS and its options)."""

from __future__ import annotations

import asyncio
import collections
import random
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import hiredis

SCHEMES = ("redis", "unix")


class ConnectionLost(ConnectionError):
    """The connection closed or timed out with the command unanswered."""


class ReplyError(Exception):
    """Redis answered the command with an error."""


def command_bytes(*args: bytes | str | int) -> bytes:
    """A command as RESP: an array of bulk strings."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def login_commands(url: str) -> tuple[tuple[str, ...], ...]:
    """AUTH and SELECT, as the URL asks for them (each in RESP after connecting)."""
    parts = urlsplit(url)
    commands: list[tuple[str, ...]] = []
    if parts.password is not None:
        user = unquote(parts.username or "")
        password = unquote(parts.password)
        commands.append(("AUTH", user, password) if user else ("AUTH", password))
    query = dict(item.partition("=")[::2] for item in parts.query.split("&") if item)
    db = query.get("db") or (parts.path.strip("/") if parts.scheme == "redis" else "")
    if db and db != "0":
        commands.append(("SELECT", db))
    return tuple(commands)


class _Replies(asyncio.Protocol):
    """The socket's side: replies handed to the oldest waiting call, in order."""

    def __init__(self) -> None:
        self.reader = hiredis.Reader()
        self.waiting: collections.deque[asyncio.Future[Any]] = collections.deque()
        self.transport: asyncio.WriteTransport | None = None
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not subclasses of asyncio's, only alike.
        self.transport = cast(asyncio.WriteTransport, transport)

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        while (reply := self.reader.gets()) is not False:
            waiter = self.waiting.popleft()
            if not waiter.done():  # its caller timed out: the reply is still its own
                waiter.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_exception(ConnectionLost("the Redis connection closed"))

    def send(self, command: bytes) -> asyncio.Future[Any]:
        assert self.transport is not None
        if self.lost or self.transport.is_closing():  # uvloop raises on such a write
            raise ConnectionLost("the Redis connection is closing")
        waiter = asyncio.get_running_loop().create_future()
        self.waiting.append(waiter)
        self.transport.write(command)
        return waiter

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class PipelinedRedis:
    """`await redis.call("HGETALL", key)`: the raw RESP reply (bytes, lists, ints).
    Connects on first use and again after the connection is lost; a call that finds it
    lost (Redis restarted) is tried `attempts` times in all, with jittered backoff, then
    raises ConnectionLost. Read-only commands only: a retried write could apply twice."""

    def __init__(self, url: str, timeout_s: float, connect_timeout_s: float, attempts: int) -> None:
        scheme = urlsplit(url).scheme
        if scheme not in SCHEMES:
            raise ValueError(f"not a {' or '.join(SCHEMES)} URL")
        self.url = url
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.attempts = attempts
        self._replies: _Replies | None = None
        self._connecting = asyncio.Lock()

    async def call(self, *args: bytes | str | int) -> Any:
        command = command_bytes(*args)
        for attempt in range(self.attempts):
            try:
                reply = await self._once(command)
            except (ConnectionLost, OSError, TimeoutError):
                if attempt == self.attempts - 1:
                    raise ConnectionLost("Redis did not answer") from None
                await asyncio.sleep(random.uniform(0, min(0.5, 0.05 * 2**attempt)))
                continue
            if isinstance(reply, hiredis.ReplyError):
                raise ReplyError(str(reply))
            return reply
        raise AssertionError("unreachable")

    async def _once(self, command: bytes) -> Any:
        replies = self._replies
        if replies is None or replies.lost:
            replies = await self._connect()
        try:
            async with asyncio.timeout(self.timeout_s):
                return await replies.send(command)
        except TimeoutError:
            # Replies come back in order: one that never came leaves the connection unusable.
            replies.close()
            raise

    async def _connect(self) -> _Replies:
        async with self._connecting:
            if self._replies is not None and not self._replies.lost:
                return self._replies  # another call connected while this one waited
            parts = urlsplit(self.url)
            loop = asyncio.get_running_loop()
            async with asyncio.timeout(self.connect_timeout_s):
                if parts.scheme == "unix":
                    _, replies = await loop.create_unix_connection(_Replies, parts.path)
                else:
                    host, port = parts.hostname or "localhost", parts.port or 6379
                    _, replies = await loop.create_connection(_Replies, host, port)
                try:
                    for login in login_commands(self.url):
                        reply = await replies.send(command_bytes(*login))
                        if isinstance(reply, hiredis.ReplyError):
                            raise ReplyError(f"{login[0]} refused: {reply}")
                except BaseException:  # refused, timed out or cancelled: no socket left open
                    replies.close()
                    raise
            self._replies = replies
            return replies

    async def close(self) -> None:
        if self._replies is not None:
            self._replies.close()
            self._replies = None
