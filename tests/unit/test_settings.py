"""videoforge.settings and wiring.load_settings: defaults, env parsing, one-line errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from videoforge.runtime.wiring import StartupError, load_settings
from videoforge.settings import ExecutorKind, Settings, describe_error, env_names


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting leaks in from the developer's or CI's environment, or a stray .env."""
    names = env_names()
    for key in list(os.environ):
        if key.upper() in names:
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def test_defaults() -> None:
    settings = Settings(_env_file=None)
    assert settings.host == "127.0.0.1"
    assert settings.port == 8000
    assert settings.worker_concurrency == 2
    assert settings.task_time_limit_s == 3600
    assert settings.task_soft_time_limit_s == 3300
    assert settings.max_retries == 3
    assert settings.x264_preset == "veryfast"
    assert settings.videoforge_executor is ExecutorKind.CELERY
    assert settings.redis_url is None
    assert settings.s3_endpoint is None
    assert settings.ffmpeg_path is None and settings.ffprobe_path is None
    assert settings.log_level == "INFO"
    assert settings.max_upload_bytes == 10 * 1024**3
    assert settings.data_dir == Path("data").resolve()  # absolute: ffmpeg runs in job dirs
    assert settings.temp_dir == Path("data").resolve() / "tmp"
    assert settings.visibility_timeout_s == 3900  # above the hard limit


def test_settings_are_frozen() -> None:
    settings = Settings(_env_file=None)
    with pytest.raises(ValidationError):
        settings.port = 9000  # type: ignore[misc]


@pytest.mark.parametrize(
    ("env", "attribute", "expected"),
    [
        ({"PORT": "9000"}, "port", 9000),
        ({"PORT": "65535"}, "port", 65535),
        ({"HOST": "0.0.0.0"}, "host", "0.0.0.0"),
        ({"REDIS_URL": "redis://localhost:6379/1"}, "redis_url", "redis://localhost:6379/1"),
        ({"WORKER_CONCURRENCY": "8"}, "worker_concurrency", 8),
        ({"MAX_RETRIES": "5"}, "max_retries", 5),
        ({"X264_PRESET": "slow"}, "x264_preset", "slow"),
        ({"VIDEOFORGE_EXECUTOR": "inline"}, "videoforge_executor", ExecutorKind.INLINE),
        ({"DATA_DIR": "/srv/videoforge"}, "data_dir", Path("/srv/videoforge")),
        ({"S3_SECURE": "true"}, "s3_secure", True),
        # The seed's MINIO_* and unit-less time limit names still work.
        ({"MINIO_SECURE": "true"}, "s3_secure", True),
        ({"MINIO_ENDPOINT": "seaweed:8333"}, "s3_endpoint", "seaweed:8333"),
        ({"MINIO_BUCKET": "clips"}, "s3_bucket", "clips"),
        ({"MINIO_ACCESS_KEY": "k", "MINIO_SECRET_KEY": "s"}, "s3_secret_key", "s"),
        ({"S3_BUCKET": "new", "MINIO_BUCKET": "old"}, "s3_bucket", "new"),  # S3_* wins
        ({"TASK_TIME_LIMIT_S": "600", "TASK_SOFT_TIME_LIMIT_S": "540"}, "task_time_limit_s", 600),
        ({"MAX_UPLOAD_BYTES": "1048576"}, "max_upload_bytes", 1048576),
        ({"LOG_LEVEL": "DEBUG"}, "log_level", "DEBUG"),
        ({"port": "9001"}, "port", 9001),  # names are case-insensitive
        (
            {"TASK_TIME_LIMIT": "600", "TASK_SOFT_TIME_LIMIT": "540"},
            "task_soft_time_limit_s",
            540,
        ),
    ],
)
def test_env_parsing(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], attribute: str, expected: object
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert getattr(Settings(_env_file=None), attribute) == expected


BAD_ENV = [
    ({"PORT": "abc"}, "PORT"),
    ({"PORT": "0"}, "PORT"),
    ({"PORT": "65536"}, "PORT"),
    ({"X264_PRESET": "turbo"}, "X264_PRESET"),
    ({"VIDEOFORGE_EXECUTOR": "bogus"}, "VIDEOFORGE_EXECUTOR"),
    ({"WORKER_CONCURRENCY": "0"}, "WORKER_CONCURRENCY"),
    ({"MAX_RETRIES": "21"}, "MAX_RETRIES"),
    ({"LOG_LEVEL": "verbose"}, "LOG_LEVEL"),
    ({"TASK_SOFT_TIME_LIMIT_S": "3600"}, "TASK_SOFT_TIME_LIMIT_S"),  # equal to the hard limit
    ({"TASK_TIME_LIMIT": "60"}, "TASK_SOFT_TIME_LIMIT_S"),  # soft default 3300 above it
    ({"MINIO_BUCKET": "A"}, "MINIO_BUCKET"),  # named as the user spelled it
]


@pytest.mark.parametrize(("env", "setting"), BAD_ENV)
def test_bad_value_gives_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], setting: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ValidationError) as exc_info:
        Settings(_env_file=None)
    line = describe_error(exc_info.value)
    assert "\n" not in line
    assert line.startswith("invalid settings: ")
    assert setting in line


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"PORT": "abc"}, "invalid settings: PORT: Input should be a valid integer"),
        ({"PORT": "0"}, "invalid settings: PORT: Input should be greater than or equal to 1"),
        ({"X264_PRESET": "turbo"}, "invalid settings: X264_PRESET: String should match pattern"),
        (
            {"VIDEOFORGE_EXECUTOR": "bogus"},
            "invalid settings: VIDEOFORGE_EXECUTOR: Input should be 'celery' or 'inline'",
        ),
    ],
)
def test_describe_error_text(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ValidationError) as exc_info:
        Settings(_env_file=None)
    assert describe_error(exc_info.value).startswith(expected)


def test_describe_error_names_every_bad_setting_on_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PORT", "abc")
    monkeypatch.setenv("X264_PRESET", "turbo")
    with pytest.raises(ValidationError) as exc_info:
        Settings(_env_file=None)
    line = describe_error(exc_info.value)
    assert "\n" not in line
    assert "PORT: " in line and "X264_PRESET: " in line
    assert line.count("; ") == 1


def test_load_settings_exits_with_one_line_for_a_bad_env_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PORT", "abc")
    with pytest.raises(SystemExit) as exc_info:
        load_settings()
    assert isinstance(exc_info.value, StartupError)
    message = str(exc_info.value.code)
    assert message.startswith("videoforge: invalid settings: PORT: ")
    assert "\n" not in message
    # `from None`: no pydantic traceback chained under the one line.
    assert exc_info.value.__cause__ is None and exc_info.value.__suppress_context__


def test_load_settings_reads_dot_env_in_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PORT=9123\nX264_PRESET=fast\nUNRELATED=1\n")
    settings = load_settings()
    assert (settings.port, settings.x264_preset) == (9123, "fast")


def test_environment_wins_over_dot_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PORT=9123\n")
    monkeypatch.setenv("PORT", "9456")
    assert load_settings().port == 9456


def test_load_settings_exits_for_a_bad_dot_env_value(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("VIDEOFORGE_EXECUTOR=bogus\n")
    with pytest.raises(SystemExit, match="VIDEOFORGE_EXECUTOR"):
        load_settings()
