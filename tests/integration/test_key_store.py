"""API keys and the URL-signing key on a real Valkey: the signing key never fails open."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from videoforge.auth import KeyStore
from videoforge.errors import SigningKeyMissing, StartupError
from videoforge.jobs.names import SIGNING_KEY_KEY
from videoforge.runtime.wiring import build_services, redis_client
from videoforge.settings import Settings


@pytest.fixture
def client(valkey: str) -> Iterator[redis.Redis]:
    client = redis_client(valkey)
    client.delete(SIGNING_KEY_KEY)
    yield client
    client.delete(SIGNING_KEY_KEY)
    client.close()


def test_the_signing_key_is_made_once_and_shared(client: redis.Redis) -> None:
    first, second = KeyStore(client), KeyStore(client)
    assert len(first.signing_key()) == 64
    assert first.signing_key() == second.signing_key() == client.get(SIGNING_KEY_KEY)


@pytest.mark.parametrize("stored", [b"", b"short"])
def test_an_empty_or_foreign_signing_key_is_refused_not_used(
    client: redis.Redis, stored: bytes
) -> None:
    client.set(SIGNING_KEY_KEY, stored)
    with pytest.raises(SigningKeyMissing):
        KeyStore(client).signing_key()
    with pytest.raises(SigningKeyMissing):
        KeyStore(client).signed_path("stream", "a.mp4", 60)


def test_an_api_that_needs_keys_does_not_start_with_a_bad_signing_key(
    client: redis.Redis, valkey: str, tmp_path: object
) -> None:
    client.set(SIGNING_KEY_KEY, b"")
    settings = Settings(
        _env_file=None, redis_url=valkey, api_keys_required="true", data_dir=tmp_path,
        videoforge_executor="inline",
    )  # fmt: skip
    with pytest.raises(StartupError, match="signing key"):
        build_services(settings)
    client.delete(SIGNING_KEY_KEY)
    services = build_services(settings)  # made afresh when missing
    try:
        assert len(services.keys.signing_key()) == 64
    finally:
        services.executor.close()
