"""tus 1.0.0 header rules: versions, extensions, offsets, lengths, metadata, expiry dates.
Pure: no I/O, so every refusal can be decided before a byte of a body is read."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime
from email.utils import format_datetime

from videoforge.errors import UploadTooLarge, VideoforgeError

VERSION = "1.0.0"
EXTENSIONS = ("creation", "creation-with-upload", "termination", "expiration")
CHUNK_TYPE = "application/offset+octet-stream"
_DIGITS = re.compile(r"^[0-9]{1,19}$")
_KEY = re.compile(r"^[!-+\--~]+$")  # printable ASCII without space and comma


class PreconditionFailed(VideoforgeError):
    """Raised when a request speaks no tus version this server does (Tus-Resumable)."""

    http_status = 412


class BadHeader(VideoforgeError):
    """Raised when a tus header is missing or malformed."""

    http_status = 400


class UnsupportedChunk(VideoforgeError):
    """Raised when a PATCH body is not sent as application/offset+octet-stream."""

    http_status = 415


def check_version(header: str | None) -> None:
    """PreconditionFailed unless the client speaks tus 1.0.0."""
    if header is None:
        raise PreconditionFailed(f"send Tus-Resumable: {VERSION}")
    if header.strip() != VERSION:
        raise PreconditionFailed(f"tus version {header.strip()[:32]} is not supported: {VERSION}")


def check_chunk_type(header: str | None) -> None:
    """UnsupportedChunk unless the body is an offset+octet-stream (parameters are ignored)."""
    if (header or "").split(";")[0].strip().lower() != CHUNK_TYPE:
        raise UnsupportedChunk(f"send the bytes with Content-Type: {CHUNK_TYPE}")


def parse_count(name: str, header: str | None) -> int:
    """A non-negative byte count or offset header (digits only, as the spec says)."""
    if header is None:
        raise BadHeader(f"the {name} header is missing")
    value = header.strip()
    if not _DIGITS.match(value):
        raise BadHeader(f"{name} must be a non-negative integer, not {value[:32]!r}")
    return int(value)


def parse_optional_count(name: str, header: str | None) -> int | None:
    """Like parse_count, but None when the header is absent (Content-Length on PATCH)."""
    return None if header is None else parse_count(name, header)


def parse_metadata(header: str | None) -> dict[str, str]:
    """Upload-Metadata: comma-separated `key base64value` pairs (the value may be left out).
    Values are decoded as UTF-8 with replacement; keys must be unique."""
    metadata: dict[str, str] = {}
    for pair in (header or "").split(","):
        if not pair.strip():
            continue
        key, _, encoded = pair.strip().partition(" ")
        if not _KEY.match(key) or " " in encoded.strip():
            raise BadHeader(f"Upload-Metadata has a malformed pair: {pair.strip()[:64]!r}")
        if key in metadata:
            raise BadHeader(f"Upload-Metadata names {key[:32]!r} twice")
        metadata[key] = _decode(key, encoded.strip())
    return metadata


def _decode(key: str, encoded: str) -> str:
    try:
        return base64.b64decode(encoded, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        raise BadHeader(f"Upload-Metadata value of {key[:32]!r} is not base64") from None


def encode_metadata(metadata: dict[str, str]) -> str:
    """The Upload-Metadata header of `metadata` (for clients and tests)."""
    return ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in metadata.items()
    )


def http_date(timestamp: float) -> str:
    """An RFC 9110 date (Upload-Expires): `Sun, 06 Nov 1994 08:49:37 GMT`."""
    return format_datetime(datetime.fromtimestamp(timestamp, UTC), usegmt=True)


def check_room(offset: int, length: int, declared: int | None) -> None:
    """Refuse a PATCH whose declared Content-Length would pass the upload's length."""
    if declared is not None and offset + declared > length:
        raise_past_length(length)


def raise_past_length(length: int) -> None:
    """The refusal of bytes past an upload's declared length."""
    raise UploadTooLarge(f"the body goes past the upload's length of {length} bytes")
