"""The one typed settings class, read from the environment and `.env`."""

from __future__ import annotations

import binascii
import os
from enum import StrEnum
from pathlib import Path

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ExecutorKind(StrEnum):
    CELERY = "celery"
    INLINE = "inline"


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def _alias(name: str, *old_names: str) -> AliasChoices:
    # Environment names are matched case-insensitively; the first one set wins.
    return AliasChoices(name, *old_names)


class Settings(BaseSettings):
    """Every setting videoforge reads; a bad value stops start-up."""

    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", frozen=True, populate_by_name=True
    )

    redis_url: str | None = Field(
        default=None,
        pattern=r"^(redis|rediss|unix|valkey|valkeys)://\S+$",
        description="Redis/Valkey URL; unset starts an embedded Valkey",
    )
    # S3_* names serve any S3 server; the seed's MINIO_* names still work (S3_* wins).
    s3_endpoint: str | None = Field(
        default=None,
        validation_alias=_alias("s3_endpoint", "minio_endpoint"),
        description="S3 endpoint (host:port or URL); unset uses local disk",
    )
    s3_access_key: str = Field(
        default="", validation_alias=_alias("s3_access_key", "minio_access_key"),
        description="S3 access key",
    )  # fmt: skip
    s3_secret_key: str = Field(
        default="", validation_alias=_alias("s3_secret_key", "minio_secret_key"),
        description="S3 secret key",
    )  # fmt: skip
    s3_secure: bool = Field(
        default=False, validation_alias=_alias("s3_secure", "minio_secure"),
        description="Use HTTPS for the S3 endpoint",
    )  # fmt: skip
    s3_bucket: str = Field(
        default="videos",
        pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        validation_alias=_alias("s3_bucket", "minio_bucket"),
        description="S3 bucket, created when missing",
    )
    s3_region: str = Field(default="us-east-1", description="S3 region used for signing")
    public_s3_endpoint: str | None = Field(
        default=None, description="S3 endpoint as clients reach it, for presigned URLs"
    )
    presigned_redirects: bool = Field(
        default=False, description="Stream/download redirect to presigned S3 URLs (307)"
    )
    presigned_url_ttl_s: int = Field(
        default=3600, ge=60, le=7 * 24 * 3600, description="Lifetime of presigned URLs, seconds"
    )
    host: str = Field(default="127.0.0.1", description="API bind address")
    port: int = Field(default=8000, ge=1, le=65535, description="API port")
    data_dir: Path = Field(
        default=Path("data"), description="Local storage, Valkey AOF, temp files"
    )
    worker_concurrency: int = Field(default=2, ge=1, le=64, description="Parallel jobs per worker")
    task_time_limit_s: int = Field(
        default=3600, ge=1, validation_alias=_alias("task_time_limit_s", "task_time_limit"),
        description="Hard time limit per job, seconds",
    )  # fmt: skip
    task_soft_time_limit_s: int = Field(
        default=3300, ge=1,
        validation_alias=_alias("task_soft_time_limit_s", "task_soft_time_limit"),
        description="Soft time limit per job, seconds",
    )  # fmt: skip
    max_retries: int = Field(default=3, ge=1, le=20, description="Attempts for transient errors")
    # A dead worker's job runs again within about LEASE_TTL_S + REAPER_INTERVAL_S + a start
    # (about 12 s); the price is that a Redis outage longer than the lease stops running
    # attempts, which then start again (see README, Reliability).
    lease_ttl_s: float = Field(
        default=9, ge=1, le=600, description="A running job's lease; renewed every third of it"
    )
    reaper_interval_s: float = Field(
        default=2, ge=0.5, le=600, description="How often workers look for abandoned jobs"
    )
    orphan_sweep_interval_s: float = Field(
        default=600, ge=10, le=86400,
        description="How often workers remove stored objects no record points to",
    )  # fmt: skip
    storage_retry_budget_s: float = Field(
        default=60, ge=0, le=3600, description="How long one attempt keeps retrying storage"
    )
    api_storage_retry_budget_s: float = Field(
        default=2, ge=0, le=60, description="How long an API request retries storage before 503"
    )
    api_storage_concurrency: int = Field(
        default=8, ge=1, le=64, description="Storage calls an API process makes at once; 503 after"
    )
    min_free_disk_bytes: int = Field(
        default=1024**3, ge=0, description="Free scratch space a worker keeps beyond a job's need"
    )
    max_upload_bytes: int = Field(
        default=10 * 1024**3, ge=1, description="Largest accepted upload, bytes"
    )
    max_input_pixels: int = Field(
        default=7680 * 4320, ge=1, description="Largest accepted input frame, width x height"
    )
    max_input_duration_s: float = Field(
        default=6 * 3600, gt=0, description="Longest accepted input, seconds"
    )
    max_input_fps: float = Field(default=240, gt=0, description="Highest accepted frame rate")
    max_input_streams: int = Field(default=16, ge=1, description="Most streams an input may have")
    ffmpeg_memory_limit_bytes: int = Field(
        default=8 * 1024**3, ge=256 * 1024**2, description="Address-space limit of each ffmpeg"
    )
    ffmpeg_niceness: int = Field(
        default=10, ge=0, le=19, description="CPU niceness of ffmpeg (the API stays responsive)"
    )
    api_keys_required: str = Field(
        default="auto",
        pattern=r"^(auto|true|false)$",
        description="`auto`: API keys needed unless HOST is loopback; `true` or `false`",
    )
    signed_url_ttl_s: int = Field(
        default=86400, ge=60, description="Lifetime of signed stream URLs in task results"
    )
    cors_allow_origins: str = Field(
        default="", description="Comma-separated origins allowed by CORS; empty: CORS off"
    )
    upload_idle_timeout_s: float = Field(
        default=60, gt=0, description="An upload that sends nothing for this long gets 408"
    )
    import_allow_private: bool = Field(
        default=False,
        description="Let imports (POST /videos/import) fetch from loopback, private, unique-local "
        "and CGNAT addresses (link-local and cloud metadata addresses stay refused)",
    )
    import_timeout_s: float = Field(
        default=600, gt=0, description="Wall-clock limit of one import's download, with redirects"
    )
    tus_expiry_s: int = Field(
        default=86400,
        ge=1,
        description="An unfinished resumable (tus) upload expires after this many seconds "
        "without bytes, and is swept",
    )
    x264_preset: str = Field(
        default="veryfast",
        pattern=r"^(ultrafast|superfast|veryfast|faster|fast|medium|slow|slower|veryslow)$",
        description="libx264 preset for MP4, HLS, DASH and CMAF",
    )
    storyboards: bool = Field(
        default=True,
        description="Have a worker make each upload's storyboard 10 s after it, behind "
        "queued jobs (false: when first asked for)",
    )
    webhook_allow_private: bool = Field(
        default=False,
        description="Let webhooks reach loopback, private, unique-local and CGNAT addresses "
        "(link-local and cloud metadata addresses stay refused)",
    )
    webhook_secret: str | None = Field(
        default=None,
        pattern=r"^whsec_[A-Za-z0-9+/=]{16,}$",
        description="Signs deliveries to transcode requests' callback_url (whsec_ + base64); "
        "unset: one is made and kept in Redis (`videoforge webhooks secret`)",
    )
    webhook_dispatcher: bool = Field(
        default=True, description="Run the webhook dispatcher in this API process"
    )
    webhook_timeout_s: float = Field(default=10, gt=0, le=60, description="Per webhook try")
    webhook_hold_s: float = Field(
        default=60,
        ge=5,
        description="A dispatcher that took an event or a delivery and went "
        "silent this long (it died) leaves it to another; keep above WEBHOOK_TIMEOUT_S",
    )
    webhook_retry_base_s: float = Field(
        default=5, gt=0, description="First wait after a failed try; doubles after each"
    )
    webhook_retry_max_s: float = Field(
        default=3600, gt=0, description="Longest wait between tries (before jitter)"
    )
    webhook_retry_window_s: float = Field(
        default=3 * 86400, gt=0, description="How long a delivery is retried before it fails"
    )
    webhook_disable_after_s: float = Field(
        default=5 * 86400, gt=0, description="An endpoint failing every try this long is disabled"
    )
    ffmpeg_threads: int = Field(
        default=0, ge=0, le=256,
        description="Encoder threads per job; 0: the host's cores / WORKER_CONCURRENCY, at least 2",
    )  # fmt: skip
    parallel_min_duration_s: float = Field(
        default=120, gt=0, description="Jobs this long or longer are split across workers"
    )
    chunk_seconds: float = Field(
        default=30, ge=6, le=3600, description="A split job's chunks last about this long"
    )
    videoforge_executor: ExecutorKind = Field(
        default=ExecutorKind.CELERY, description="`celery` (workers) or `inline` (API threads)"
    )
    node_modules_dir: Path | None = Field(
        default=None,
        description="Where `npm ci` installed hls.js and Swagger UI for the web page; "
        "default: node_modules in the source checkout",
    )
    ffmpeg_path: str | None = Field(default=None, description="ffmpeg binary to use")
    ffprobe_path: str | None = Field(default=None, description="ffprobe binary to use")
    log_level: str = Field(
        default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$", description="Log level"
    )
    log_format: LogFormat = Field(
        default=LogFormat.TEXT, description="`text` or `json` (one object per line)"
    )

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, path: Path) -> Path:
        # ffmpeg runs inside each job's directory, so relative paths would point elsewhere.
        return path.expanduser().resolve()

    @field_validator("webhook_secret")
    @classmethod
    def _whsec(cls, secret: str | None) -> str | None:
        # Checked here, not at the first delivery: a bad secret would fail every one.
        if secret is not None:
            try:
                binascii.a2b_base64(secret.removeprefix("whsec_") + "==", strict_mode=False)
            except binascii.Error:
                raise ValueError("WEBHOOK_SECRET must be whsec_ followed by base64") from None
        return secret

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.task_soft_time_limit_s >= self.task_time_limit_s:
            raise ValueError("TASK_SOFT_TIME_LIMIT_S must be below TASK_TIME_LIMIT_S")
        if self.presigned_redirects and not self.s3_endpoint:
            raise ValueError("PRESIGNED_REDIRECTS needs S3 storage (S3_ENDPOINT)")
        return self

    @property
    def visibility_timeout_s(self) -> int:
        """Broker redelivery delay; above the hard limit so a healthy job is never redelivered."""
        return self.task_time_limit_s + 300

    @property
    def job_threads(self) -> int:
        """Encoder threads for one job: FFMPEG_THREADS, or the cores shared among the jobs a
        worker runs at once, at least two (one thread would halve a job that runs alone)."""
        if self.ffmpeg_threads:
            return self.ffmpeg_threads
        return max(2, (os.cpu_count() or 1) // self.worker_concurrency)

    @property
    def temp_dir(self) -> Path:
        return self.data_dir / "tmp"


def env_names() -> set[str]:
    """Every environment name Settings reads, the old aliases included."""
    names = set()
    for name, field in Settings.model_fields.items():
        names.add(name.upper())
        if isinstance(field.validation_alias, AliasChoices):
            names.update(str(choice).upper() for choice in field.validation_alias.choices)
    return names


def describe_error(error: ValidationError) -> str:
    """One line naming each bad setting and why, for start-up failures."""
    parts = []
    for item in error.errors():
        name = ".".join(str(loc) for loc in item["loc"]).upper() or "settings"
        parts.append(f"{_with_old_names(name)}: {item['msg']}")
    return "invalid settings: " + "; ".join(parts)


def _with_old_names(name: str) -> str:
    # `S3_BUCKET (or MINIO_BUCKET)`: the user may have set either.
    field = Settings.model_fields.get(name.lower())
    if field is None or not isinstance(field.validation_alias, AliasChoices):
        return name
    old = [str(choice).upper() for choice in field.validation_alias.choices[1:]]
    return f"{name} (or {', '.join(old)})"
