"""Presets: named, versioned transcode settings, kept in Redis beside the jobs.

A preset is what a transcode request would say (format, size or ladder, encoder settings,
priority), under a name. Saving a name again makes its next version (`name@2`); the old ones
stay readable. Built-in presets live here as data: listed, never changed or deleted. Whether
a preset's settings make sense is the API's to judge (the same rules as a transcode
request); this module keeps them and merges a request over them."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

import redis

from videoforge.errors import Conflict, InvalidRequest, NotFound
from videoforge.jobs.names import PRESETS_KEY, preset_key
from videoforge.jobs.records import decoded, redis_errors

MAX_NAME_CHARS = 40
NAME_PATTERN = re.compile(rf"[a-z0-9](?:[a-z0-9-]{{0,{MAX_NAME_CHARS - 2}}}[a-z0-9])?")
NAME_RULE = (
    f"a preset name is 1 to {MAX_NAME_CHARS} lowercase letters, digits and hyphens, "
    "starting and ending with a letter or digit"
)
# Fields a preset has that a transcode request has not.
PRESET_ONLY = ("description",)
# Request fields that exclude each other: one given in a request drops the preset's other.
EXCLUSIVE = {
    "renditions": ("ladder", "resolution"),
    "ladder": ("renditions",),
    "resolution": ("renditions",),
}
STREAMING_FORMATS = ("hls", "dash", "cmaf")
# The hash field that counts versions; it outlives a deletion, so `name@N` is never reused.
LATEST_FIELD = "latest"

BUILTIN_PRESETS: dict[str, dict[str, Any]] = {
    "web-720p": {
        "format": "mp4",
        "resolution": "1280:720",
        "description": "MP4 (H.264, AAC) that fits 1280x720: plays everywhere",
    },
    "abr-auto": {
        "format": "hls",
        "ladder": "auto",
        "description": "HLS adaptive ladder picked for the source (fMP4 segments)",
    },
    "small-mp4": {
        "format": "mp4",
        "resolution": "640:360",
        "video": {"crf": 30},
        "audio": {"bitrate": "96k"},
        "description": "A small MP4: fits 640x360, CRF 30, 96 kbit/s audio",
    },
}

# Version N+1 of a name, atomically: count it, store it, list the name.
_SAVE = """
local version = redis.call('HINCRBY', KEYS[1], ARGV[3], 1)
redis.call('HSET', KEYS[1], tostring(version), ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
return version
"""
# Every version goes; the counter stays (see LATEST_FIELD). 0: there was no such preset.
_DELETE = """
if redis.call('SREM', KEYS[2], ARGV[1]) == 0 then return 0 end
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if field ~= ARGV[2] then redis.call('HDEL', KEYS[1], field) end
end
return 1
"""


@dataclass(frozen=True)
class Preset:
    """One version of a preset: its settings as a request would give them."""

    name: str
    version: int
    definition: dict[str, Any]
    builtin: bool = False
    created_at: float = 0.0

    @property
    def ref(self) -> str:
        """`name@version`, as a job records it."""
        return f"{self.name}@{self.version}"

    @property
    def request_fields(self) -> dict[str, Any]:
        """The settings a transcode request takes from it."""
        return {k: v for k, v in self.definition.items() if k not in PRESET_ONLY}


def check_name(name: str) -> str:
    """The name, if it is a valid preset name; InvalidRequest otherwise."""
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidRequest(f"{NAME_RULE}; got {name[: MAX_NAME_CHARS + 10]!r}")
    return name


def parse_ref(ref: str) -> tuple[str, int | None]:
    """`name` (the latest version) or `name@N` (version N)."""
    name, at, version = ref.partition("@")
    if not at:
        return check_name(name), None
    if not version.isdigit() or int(version) < 1 or len(version) > 9:
        raise InvalidRequest(f"a preset version is a number from 1, as in name@2; got {ref!r}")
    return check_name(name), int(version)


def merged(preset: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    """A request over a preset: every field the request gives wins (in `video` and `audio`,
    each setting); a preset's field that the request's excludes, or that its format cannot
    take (a ladder in mp4, segment_format outside hls), is dropped."""
    fields = {k: v for k, v in preset.items() if k not in PRESET_ONLY}
    for name in request:
        for other in EXCLUSIVE.get(name, ()):
            if other not in request:
                fields.pop(other, None)
    fmt = request.get("format")
    if fmt is not None:
        dropped: tuple[str, ...] = () if fmt in STREAMING_FORMATS else ("ladder", "renditions")
        dropped += () if fmt == "hls" else ("segment_format",)
        for name in dropped:
            if name not in request:
                fields.pop(name, None)
    for name, value in request.items():
        kept = fields.get(name)
        if isinstance(value, dict) and isinstance(kept, dict):
            fields[name] = {**kept, **value}
        else:
            fields[name] = value
    return fields


class PresetStore:
    """Presets in Redis: a set of names, and one hash of versions (JSON) per name."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def save(self, name: str, definition: dict[str, Any]) -> Preset:
        """Store the next version of `name` (1 for a new one). Built-ins are refused (409)."""
        _refuse_builtin(check_name(name), "changed")
        now = time.time()
        record = json.dumps({"definition": definition, "created_at": now})
        keys = (preset_key(name), PRESETS_KEY)
        with redis_errors():
            version = self.client.eval(_SAVE, len(keys), *keys, name, record, LATEST_FIELD)
        return Preset(name, int(version), definition, created_at=now)

    def get(self, name: str, version: int | None = None) -> Preset:
        """A version of a preset (the latest by default); NotFound if there is none."""
        check_name(name)
        if name in BUILTIN_PRESETS:
            if version not in (None, 1):
                raise NotFound(f"the built-in preset {name} has only version 1")
            return Preset(name, 1, BUILTIN_PRESETS[name], builtin=True)
        asked = version
        with redis_errors():
            if version is None:
                latest = self.client.hget(preset_key(name), LATEST_FIELD)
                version = int(latest) if latest else 0
            raw = self.client.hget(preset_key(name), str(version)) if version else None
        if not raw:
            known = asked and self.get_or_none(name)
            if known:
                raise NotFound(f"preset {name} has no version {version} (latest: {known.ref})")
            raise NotFound(f"no preset {name}")
        return _decode(name, version, raw)

    def get_or_none(self, name: str) -> Preset | None:
        """The latest version, or None."""
        try:
            return self.get(name)
        except NotFound:
            return None

    def latest(self) -> list[Preset]:
        """The latest version of every preset: built-ins first, then the rest by name."""
        with redis_errors():
            names = sorted(decoded(name) for name in self.client.smembers(PRESETS_KEY))
            pipe = self.client.pipeline(transaction=False)
            for name in names:
                pipe.hget(preset_key(name), LATEST_FIELD)
            latest = pipe.execute() if names else []
            pipe = self.client.pipeline(transaction=False)
            for name, version in zip(names, latest, strict=True):
                pipe.hget(preset_key(name), decoded(version) if version else "0")
            raws = pipe.execute() if names else []
        builtins = [Preset(n, 1, d, builtin=True) for n, d in BUILTIN_PRESETS.items()]
        stored = [
            _decode(name, int(version), raw)
            for name, version, raw in zip(names, latest, raws, strict=True)
            if raw  # deleted meanwhile
        ]
        return builtins + stored

    def delete(self, name: str) -> None:
        """Delete every version of a preset. Jobs keep the settings they were given."""
        _refuse_builtin(check_name(name), "deleted")
        keys = (preset_key(name), PRESETS_KEY)
        with redis_errors():
            deleted = self.client.eval(_DELETE, len(keys), *keys, name, LATEST_FIELD)
        if not int(deleted):
            raise NotFound(f"no preset {name}")


def _refuse_builtin(name: str, what: str) -> None:
    if name in BUILTIN_PRESETS:
        raise Conflict(f"{name} is a built-in preset: it cannot be {what}; save it under "
                       "another name instead")  # fmt: skip


def _decode(name: str, version: int, raw: bytes | str) -> Preset:
    record = json.loads(raw)
    return Preset(name, version, record["definition"], created_at=record["created_at"])
