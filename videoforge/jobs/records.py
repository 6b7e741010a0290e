"""How job records and Redis replies are read and written: JSON fields in one hash per job,
decoded back into `Job`; Redis failures as TransientError. Shared by every Redis store."""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

import redis

from videoforge.errors import TransientError
from videoforge.models import (
    Clip,
    Job,
    JobKind,
    JobState,
    OutputFormat,
    Progress,
    Rendition,
    SegmentFormat,
)
from videoforge.outputs import parse_output_name

log = logging.getLogger(__name__)


@contextmanager
def redis_errors(*others: type[Exception]) -> Iterator[None]:
    """Redis failures (and `others`: another client's) as TransientError, without the
    server's address."""
    caught: tuple[type[Exception], ...] = (redis.RedisError, *others)
    try:
        yield
    except caught as exc:
        log.warning("job store error: %s", exc)
        # Users see that the store is down, not its address.
        raise TransientError("job store unavailable, try again shortly") from exc


def newest_first(client: redis.Redis, key: str, offset: int, limit: int) -> tuple[list[str], int]:
    """A page of a sorted set by time, newest first, and the set's size."""
    with redis_errors():
        pipe = client.pipeline()
        pipe.zrevrange(key, offset, offset + limit - 1)
        pipe.zcard(key)
        members, total = pipe.execute()
    return [decoded(member) for member in members], int(total)


def decoded(value: bytes | str) -> str:
    """A Redis reply as text, whichever way the client was made."""
    return value.decode() if isinstance(value, bytes) else value


def _as_bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


def plain(value: Any) -> Any:
    if isinstance(value, Progress):
        return progress_fields(asdict(value))
    return value


def stamped_fields(changes: dict[str, Any]) -> list[Any]:
    """Changed fields, with updated_at now, as the flat name/JSON list the scripts take."""
    changes = {**changes, "updated_at": time.time()}
    return [item for name, value in changes.items() for item in (name, json.dumps(plain(value)))]


def progress_fields(progress: dict[str, Any]) -> dict[str, Any]:
    """A progress snapshot as stored: an import's byte counts only when it has them."""
    return {k: v for k, v in progress.items() if v is not None or k == "eta_seconds"}


def encode(job: Job) -> dict[Any, Any]:
    fields = asdict(job)
    if fields["progress"]:
        fields["progress"] = progress_fields(fields["progress"])
    return {name: json.dumps(plain(value)) for name, value in fields.items()}


# Field names as text, decoded once per process (a record has about 30 of them).
_field_name = functools.lru_cache(maxsize=1024)(decoded)
_JOB_FIELDS = frozenset(Job.__dataclass_fields__)


def decode(raw: dict[Any, Any]) -> Job:
    # Every value is a JSON text: parsed as one array, in one call (status polls decode a
    # record each; one call per field cost more than the Redis read).
    try:
        joined = b",".join(raw.values())
    except TypeError:  # a client made with decode_responses
        joined = b",".join(map(_as_bytes, raw.values()))
    values = json.loads(b"[" + joined + b"]")
    data = dict(zip(map(_field_name, raw), values, strict=True))
    progress = data.get("progress")
    data["progress"] = Progress(**progress) if progress else None
    data["state"] = JobState(data["state"])
    data["format"] = OutputFormat(data["format"])
    data["kind"] = JobKind(data.get("kind", JobKind.TRANSCODE))
    if data.get("renditions"):
        data["renditions"] = [Rendition(**rung) for rung in data["renditions"]]
    if data.get("clip"):
        data["clip"] = Clip(**data["clip"])
    if data.get("segment_format"):
        data["segment_format"] = SegmentFormat(data["segment_format"])
    if "width" not in data:  # a record from before the planned size was stored in it
        parsed = parse_output_name(data["output_name"])
        data["width"], data["height"] = (parsed.width, parsed.height) if parsed else (0, 0)
    for name in data.keys() - _JOB_FIELDS:  # written by a newer version: not ours to show
        del data[name]
    return Job(**data)
