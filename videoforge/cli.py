"""The `videoforge` command: serve (all-in-one), api, worker."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from videoforge import wiring
from videoforge.logs import configure_logging
from videoforge.settings import Settings

cli = typer.Typer(help="videoforge: self-hosted video transcoding.", no_args_is_help=True)


def _settings(**overrides: object) -> Settings:
    changes = {key: value for key, value in overrides.items() if value is not None}
    settings = wiring.load_settings(**changes)
    configure_logging(settings)
    return settings


HostOption = Annotated[str | None, typer.Option(help="Bind address (HOST)")]
PortOption = Annotated[int | None, typer.Option(help="Port (PORT)")]


@cli.command()
def serve(host: HostOption = None, port: PortOption = None) -> None:
    """Everything on one machine: API, a Celery worker, and Valkey unless REDIS_URL is set."""
    from videoforge.serve import serve as run_all

    run_all(_settings(host=host, port=port))


@cli.command()
def api(host: HostOption = None, port: PortOption = None) -> None:
    """The API only; workers run elsewhere (needs REDIS_URL)."""
    from videoforge.serve import run_api

    run_api(wiring.require_redis(_settings(host=host, port=port)))


@cli.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def worker(ctx: typer.Context) -> None:
    """A Celery worker (needs REDIS_URL); extra options go to `celery worker`."""
    from videoforge.serve import worker_argv, worker_env

    settings = wiring.require_redis(_settings())
    argv = worker_argv(settings, list(ctx.args))
    os.execve(sys.executable, argv, worker_env(settings))


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
