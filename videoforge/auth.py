"""API keys and signed stream URLs.

The model: every /videos route (and /metrics) needs an API key when keys are required, which
they are whenever the API listens beyond loopback (API_KEYS_REQUIRED=auto) or when set to
true. Keys look like `vf_<id>_<secret>`; only a SHA-256 of the secret is stored, in Redis, so
every API replica knows every key. Players cannot send headers for every HLS segment, so
stream and download URLs may instead carry `exp` and `sig`: an HMAC over the name and the
expiry, with a signing key kept in Redis (made on first use) and shared by all replicas.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass

import redis

from videoforge.errors import SigningKeyMissing
from videoforge.jobs.names import API_KEYS_KEY, SIGNING_KEY_KEY
from videoforge.jobs.records import decoded, redis_errors

# secrets.token_hex(32) makes 64; anything much shorter was not made by us.
MIN_SIGNING_KEY_CHARS = 32
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_EXPIRY = re.compile(r"^[0-9]{1,12}$")  # ASCII digits only: int() takes other digits too


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    created_at: float


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class KeyStore:
    """API keys in one Redis hash: id -> name, creation time, SHA-256 of the secret."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._signing_key: bytes | None = None

    def create(self, name: str) -> str:
        """Make a key and return it whole; it is shown once and never stored."""
        key_id, secret = secrets.token_hex(4), secrets.token_urlsafe(24)
        record = {"name": name[:80], "created_at": time.time(), "sha256": _digest(secret)}
        self.client.hset(API_KEYS_KEY, key_id, json.dumps(record))
        return f"vf_{key_id}_{secret}"

    def list(self) -> list[ApiKey]:
        keys = []
        for key_id, raw in self.client.hgetall(API_KEYS_KEY).items():
            record = json.loads(raw)
            keys.append(ApiKey(decoded(key_id), record["name"], record["created_at"]))
        return sorted(keys, key=lambda k: k.created_at)

    def revoke(self, key_id: str) -> bool:
        return bool(self.client.hdel(API_KEYS_KEY, key_id))

    def verify(self, presented: str) -> bool:
        """True for a key that exists and matches; constant-time on the secret."""
        prefix, _, rest = presented.partition("_")
        key_id, _, secret = rest.partition("_")
        if prefix != "vf" or not key_id or not secret or len(presented) > 200:
            return False
        with redis_errors():
            raw = self.client.hget(API_KEYS_KEY, key_id)
        if raw is None:
            return False
        return hmac.compare_digest(json.loads(raw)["sha256"], _digest(secret))

    def signing_key(self) -> bytes:
        """The shared URL-signing key, created by whichever replica needs it first."""
        if self._signing_key is None:
            with redis_errors():
                self.client.set(SIGNING_KEY_KEY, secrets.token_hex(32), nx=True)
                stored = decoded(self.client.get(SIGNING_KEY_KEY) or b"")
            if len(stored) < MIN_SIGNING_KEY_CHARS:
                # Never sign (or accept) with an empty or short key: that would fail open.
                raise SigningKeyMissing("the URL signing key is missing from the job store")
            self._signing_key = stored.encode()
        return self._signing_key

    def signed_path(self, route: str, name: str, ttl_s: int) -> str:
        """`/videos/{route}/{name}?exp=..&sig=..`, usable without a key until it expires."""
        expires_at = int(time.time()) + ttl_s
        signature = sign(self.signing_key(), name, expires_at)
        return f"/videos/{route}/{name}?exp={expires_at}&sig={signature}"


def sign(key: bytes, name: str, expires_at: int) -> str:
    """Signature of a stream or download URL for `name`, valid until `expires_at`."""
    return hmac.new(key, f"{name}:{expires_at}".encode(), hashlib.sha256).hexdigest()[:32]


def signature_ok(key: bytes, name: str, expires: str | None, sig: str | None) -> bool:
    if not expires or not sig or not _EXPIRY.match(expires) or int(expires) < time.time():
        return False
    return hmac.compare_digest(sign(key, name, int(expires)), sig)


def keys_required(setting: str, host: str) -> bool:
    """API_KEYS_REQUIRED: `true`, `false`, or `auto` (required unless bound to loopback)."""
    if setting == "auto":
        return host not in LOOPBACK
    return setting == "true"
