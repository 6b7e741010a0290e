"""The one place that picks implementations from settings."""

from __future__ import annotations

import dataclasses
import functools
import logging
import shutil
from typing import TYPE_CHECKING, Any

import redis
from pydantic import ValidationError

from videoforge.auth import KeyStore, keys_required
from videoforge.catalog import SourceCatalog
from videoforge.engine import Engine, Services
from videoforge.errors import SigningKeyMissing, StartupError, TransientError, VideoforgeError
from videoforge.jobs import reads
from videoforge.jobs.broker import celery_client
from videoforge.jobs.celery_executor import CeleryExecutor
from videoforge.jobs.executor import Executor
from videoforge.jobs.inline import InlineExecutor
from videoforge.jobs.metrics import JobMetrics
from videoforge.jobs.names import QUEUE
from videoforge.jobs.presets import PresetStore
from videoforge.jobs.store import JobStore
from videoforge.media import run
from videoforge.media.binaries import FFmpegBinaries, locate, locate_packager
from videoforge.settings import ExecutorKind, Settings, describe_error
from videoforge.storage import Storage
from videoforge.storage.bounded import BoundedStorage
from videoforge.storage.local import LocalStorage
from videoforge.storage.retrying import RetryingStorage

if TYPE_CHECKING:
    from videoforge.storage.multipart import S3Multipart

log = logging.getLogger(__name__)

# An API request waits this long for one S3 answer; workers wait longer (large parts).
API_S3_READ_TIMEOUT_S = 10.0


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and `.env` (overrides win), or a one-line StartupError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise StartupError(describe_error(exc)) from None


def require_redis(settings: Settings) -> Settings:
    """The settings, if they name a Redis; processes other than `serve` need one."""
    if not settings.redis_url:
        raise StartupError("REDIS_URL is not set (`videoforge serve` starts an embedded Valkey)")
    return settings


def redis_client(url: str) -> redis.Redis:
    """A client with timeouts, so a dead Redis fails calls instead of hanging them."""
    return redis.Redis.from_url(
        url,
        socket_timeout=reads.SOCKET_TIMEOUT_S,
        socket_connect_timeout=reads.CONNECT_TIMEOUT_S,
        health_check_interval=reads.HEALTH_CHECK_INTERVAL_S,
    )


def build_storage(settings: Settings, read_timeout_s: float = 60, attempts: int = 3) -> Storage:
    """S3 when S3_ENDPOINT is set (the bucket is created if missing), else local disk."""
    if not settings.s3_endpoint:
        return LocalStorage(settings.data_dir / "objects")
    from videoforge.storage import s3

    client, presign_client = _s3_clients(settings, read_timeout_s, attempts)
    storage = s3.S3Storage(client, settings.s3_bucket, presign_client=presign_client)
    storage.ensure_bucket()
    return storage


def _s3_clients(settings: Settings, read_timeout_s: float, attempts: int) -> tuple[Any, Any]:
    """The S3 client, and the one that presigns for clients (PUBLIC_S3_ENDPOINT), if any."""
    from videoforge.storage import s3

    def client(endpoint: str) -> object:
        return s3.make_client(
            s3.endpoint_url(endpoint, settings.s3_secure),
            settings.s3_access_key or None,  # None: boto3's own chain (env, instance role)
            settings.s3_secret_key or None,
            settings.s3_region,
            read_timeout_s,
            attempts,
        )

    assert settings.s3_endpoint is not None
    public = settings.public_s3_endpoint
    return client(settings.s3_endpoint), (client(public) if public else None)


def _multipart(settings: Settings) -> S3Multipart | None:
    """Direct uploads' S3 calls (None on local storage)."""
    if not settings.s3_endpoint:
        return None
    from videoforge.storage.multipart import S3Multipart

    client, presign_client = _s3_clients(settings, API_S3_READ_TIMEOUT_S, attempts=1)
    return S3Multipart(client, settings.s3_bucket, presign_client)


@functools.cache
def _find_binaries(ffmpeg_path: str | None, ffprobe_path: str | None) -> FFmpegBinaries:
    try:
        binaries = locate(ffmpeg_path, ffprobe_path)
    except VideoforgeError as exc:
        raise StartupError(exc.message) from None
    log.info(
        "ffmpeg from %s: %s (%s)",
        binaries.source,
        binaries.ffmpeg,
        run.binary_version(binaries),
    )
    return binaries


def find_binaries(settings: Settings) -> FFmpegBinaries:
    """The ffmpeg to use (logged with its version once per process), with its limits."""
    binaries = _find_binaries(settings.ffmpeg_path, settings.ffprobe_path)
    return dataclasses.replace(
        binaries, prefix=_limits_prefix(settings), packager=locate_packager()
    )


def _limits_prefix(settings: Settings) -> tuple[str, ...]:
    # A misbehaving ffmpeg (a decoder bug, a hostile file) hits its own memory ceiling and
    # runs at lower priority than the API and the worker; it can never take them down.
    prlimit, nice = shutil.which("prlimit"), shutil.which("nice")
    prefix: list[str] = []
    if prlimit:
        prefix += [prlimit, f"--as={settings.ffmpeg_memory_limit_bytes}", "--"]
    if nice:
        prefix += [nice, "-n", str(settings.ffmpeg_niceness)]
    return tuple(prefix)


def build_engine(
    settings: Settings,
    timeout_errors: tuple[type[BaseException], ...] = (),
    storage: Storage | None = None,
) -> Engine:
    """Storage (by default the workers' patient one), job store and ffmpeg for one process."""
    require_redis(settings)
    assert settings.redis_url is not None
    client = redis_client(settings.redis_url)
    return Engine(
        settings=settings,
        storage=storage or _job_storage(settings),
        jobs=JobStore(client),
        binaries=find_binaries(settings),
        metrics=JobMetrics(client, queue_name=QUEUE),
        timeout_errors=timeout_errors,
    )


def _job_storage(settings: Settings) -> Storage:
    # Jobs ride out storage outages for STORAGE_RETRY_BUDGET_S rather than lose an encode.
    return RetryingStorage(build_storage(settings), settings.storage_retry_budget_s)


def build_services(settings: Settings) -> Services:
    """The engine and the executor for an API process."""
    # Handlers fail fast when storage is away (503), on a few threads at most.
    api_storage = BoundedStorage(
        RetryingStorage(
            build_storage(settings, API_S3_READ_TIMEOUT_S, attempts=1),
            settings.api_storage_retry_budget_s,
        ),
        settings.api_storage_concurrency,
    )
    engine = build_engine(settings, storage=api_storage)
    keys = KeyStore(engine.jobs.client)
    auth_required = keys_required(settings.api_keys_required, settings.host)
    if auth_required:
        _check_signing_key(keys)
    executor: Executor
    if settings.videoforge_executor is ExecutorKind.INLINE:
        # Jobs run inline keep the workers' patient storage.
        job_engine = dataclasses.replace(engine, storage=_job_storage(settings))
        executor = InlineExecutor(job_engine, settings.worker_concurrency)
    else:
        executor = CeleryExecutor(celery_client(settings), engine.jobs.client)
    return Services(
        engine=engine,
        executor=executor,
        keys=keys,
        catalog=SourceCatalog(engine.jobs.client),
        auth_required=auth_required,
        presets=PresetStore(engine.jobs.client),
        multipart=_multipart(settings),
    )


def _check_signing_key(keys: KeyStore) -> None:
    # Made (or read) now, so a store that holds a bad one stops the start; a store that is
    # away only delays it to the first signed URL, and readiness says Redis is down.
    try:
        keys.signing_key()
    except SigningKeyMissing as exc:
        raise StartupError(exc.message) from None
    except TransientError as exc:
        log.warning("could not read the URL signing key yet: %s", exc.message)
