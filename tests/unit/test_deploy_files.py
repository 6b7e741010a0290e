"""docker-compose.yml, the Dockerfiles and .env.example agree with the CLI and the settings.

No Docker engine runs here, so the files are checked as data; the topology suite runs the
same commands as real processes.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from celery.bin.celery import celery as celery_cli

from videoforge.cli import cli
from videoforge.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SETTING_NAMES = {name.upper() for name in Settings.model_fields}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def remaining(context: Any) -> list[str]:
    # Click keeps the subcommand name apart from the tokens after it.
    return [*context._protected_args, *context.args]


def parses_as_cli(command: list[str]) -> None:
    """Raise unless `command` is a valid videoforge or celery command line."""
    program, *args = command
    if program == "videoforge":
        group = typer.main.get_command(cli)
        context = group.make_context("videoforge", list(args))
        name, sub, rest = group.resolve_command(context, remaining(context))
        assert sub is not None, name
        sub.make_context(name, rest, parent=context)
        return
    assert program == "celery"
    context = celery_cli.make_context("celery", list(args))
    assert context.params["app"] == "videoforge.worker"
    name, sub, rest = celery_cli.resolve_command(context, remaining(context))
    assert name in {"worker", "flower", "inspect"} and sub is not None
    if name == "flower":  # flower parses its own options
        return
    # Celery's option callbacks need a loaded app, so the option names are checked instead.
    known = {opt for param in sub.params for opt in param.opts}
    given = [token.split("=")[0] for token in rest if token.startswith("-")]
    assert set(given) <= known, set(given) - known


def test_the_seed_services_are_there(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"api", "redis", "celery-worker", "seaweedfs", "minio", "flower"} <= set(services)
    assert services["api"]["container_name"] == "ml-api"
    assert services["api"]["ports"] == ["8000:8000"]
    assert services["redis"]["container_name"] == "ml-redis"
    redis_command = " ".join(services["redis"]["command"])
    assert "--appendonly yes" in redis_command
    assert "--maxmemory-policy noeviction" in redis_command
    # No fixed name, or `--scale celery-worker=N` could not make N containers.
    assert "container_name" not in services["celery-worker"]
    assert services["minio"]["profiles"] == ["minio"]
    assert services["flower"]["profiles"] == ["monitoring"]
    assert "5555:5555" in services["flower"]["ports"]


def test_worker_limits_and_health_checks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    resources = services["celery-worker"]["deploy"]["resources"]
    assert resources["limits"] == {"cpus": "2", "memory": "2G"}
    assert resources["reservations"] == {"cpus": "1", "memory": "512M"}
    assert "/readyz" in " ".join(services["api"]["healthcheck"]["test"])
    worker_check = services["celery-worker"]["healthcheck"]["test"][1]
    parses_as_cli(shlex.split(worker_check.replace("$$HOSTNAME", "host")))
    assert "inspect ping" in worker_check


@pytest.mark.parametrize("service", ["api", "celery-worker", "flower"])
def test_commands_are_valid_cli_invocations(compose: dict[str, Any], service: str) -> None:
    parses_as_cli(compose["services"][service]["command"])


def test_dockerfile_commands_match_compose(compose: dict[str, Any]) -> None:
    for dockerfile, service in (("Dockerfile", "api"), ("Dockerfile.worker", "celery-worker")):
        text = (ROOT / dockerfile).read_text()
        cmd = re.search(r"^CMD (\[.*\])$", text, re.MULTILINE)
        assert cmd is not None
        assert yaml.safe_load(cmd.group(1)) == compose["services"][service]["command"]
        assert "requirements.lock" in text
    api = (ROOT / "Dockerfile").read_text()
    assert "npm ci --ignore-scripts" in api and "NODE_MODULES_DIR=/app/node_modules" in api
    worker = (ROOT / "Dockerfile.worker").read_text()
    assert "apt-get install -y --no-install-recommends ffmpeg" in worker
    assert "FFMPEG_PATH=/usr/bin/ffmpeg" in worker and "FFPROBE_PATH=/usr/bin/ffprobe" in worker


def test_environment_names_real_settings(compose: dict[str, Any]) -> None:
    env = compose["x-videoforge-env"]
    assert set(env) <= SETTING_NAMES, set(env) - SETTING_NAMES
    for service in ("api", "celery-worker", "flower"):
        assert compose["services"][service]["environment"] == env
    # Every broker client shares one REDIS_URL, so they share its transport options too.
    assert env["REDIS_URL"] == "redis://redis:6379/0"


def test_env_example_lists_every_setting_and_is_valid(tmp_path: Path) -> None:
    text = (ROOT / ".env.example").read_text()
    mentioned = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))
    assert mentioned == SETTING_NAMES
    settings = Settings(_env_file=ROOT / ".env.example")
    assert settings.s3_bucket == "videos"
