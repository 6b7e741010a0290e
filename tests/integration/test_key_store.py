"""What must never fail open or leak, on real servers: the URL-signing key (a real Valkey),
and the broker's address when it is down."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from videoforge.auth import KeyStore
from videoforge.errors import SigningKeyMissing, StartupError, TransientError
from videoforge.jobs.broker import celery_client
from videoforge.jobs.celery_executor import CeleryExecutor
from videoforge.jobs.names import SIGNING_KEY_KEY
from videoforge.runtime.processes import free_port
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


def test_a_broker_that_is_down_is_named_but_not_located(tmp_path: object) -> None:
    # Users read that the broker is unavailable; its host and port stay in the log.
    port = free_port()
    app = celery_client(Settings(_env_file=None, redis_url=f"redis://127.0.0.1:{port}/0"))
    app.conf.broker_transport_options = {"max_retries": 1, "interval_start": 0}
    try:
        with pytest.raises(TransientError) as caught:
            CeleryExecutor(app).submit("t-1")
    finally:
        app.close()
    assert caught.value.message == "could not queue the job: the broker is unavailable"
    assert str(port) not in caught.value.message and "127.0.0.1" not in caught.value.message
