"""The `videoforge` command: serve (all-in-one), api, worker, keys; and the client commands
(submit, status, download, thumbnail...) from videoforge.client.commands."""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, Annotated

import typer

from videoforge.client import commands
from videoforge.client import workers as worker_commands
from videoforge.client.webhooks import webhooks_cli

if TYPE_CHECKING:
    from videoforge.auth import KeyStore
    from videoforge.settings import Settings

cli = typer.Typer(help="videoforge: self-hosted video transcoding.", no_args_is_help=True)


def _settings(**overrides: object) -> Settings:
    # Imported here, not at the top: the client commands need none of the server's modules
    # (Celery, FastAPI, boto3), and importing them would add a second to every one.
    from videoforge.runtime import wiring
    from videoforge.runtime.logs import configure_logging

    changes = {key: value for key, value in overrides.items() if value is not None}
    settings = wiring.load_settings(**changes)
    configure_logging(settings)
    return settings


HostOption = Annotated[str | None, typer.Option(help="Bind address (HOST)")]
PortOption = Annotated[int | None, typer.Option(help="Port (PORT)")]


@cli.command()
def serve(host: HostOption = None, port: PortOption = None) -> None:
    """Everything on one machine: API, a Celery worker, and Valkey unless REDIS_URL is set."""
    from videoforge.runtime.serve import serve as run_all

    run_all(_settings(host=host, port=port))


@cli.command()
def api(host: HostOption = None, port: PortOption = None) -> None:
    """The API only; workers run elsewhere (needs REDIS_URL)."""
    from videoforge.runtime import wiring
    from videoforge.runtime.serve import run_api

    run_api(wiring.require_redis(_settings(host=host, port=port)))


@cli.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def worker(ctx: typer.Context) -> None:
    """A Celery worker (needs REDIS_URL); extra options go to `celery worker`."""
    from videoforge.runtime import wiring
    from videoforge.runtime.serve import worker_argv, worker_env

    settings = wiring.require_redis(_settings())
    argv = worker_argv(settings, list(ctx.args))
    os.execve(sys.executable, argv, worker_env(settings))


keys_cli = typer.Typer(help="API keys (stored hashed in Redis).", no_args_is_help=True)
cli.add_typer(keys_cli, name="keys")
cli.add_typer(webhooks_cli, name="webhooks")


def _key_store() -> KeyStore:
    from videoforge.auth import KeyStore
    from videoforge.errors import StartupError
    from videoforge.runtime import wiring
    from videoforge.runtime.valkey import embedded_url

    settings = _settings()
    url = settings.redis_url or embedded_url(settings.data_dir)
    if not url:
        raise StartupError("REDIS_URL is not set and no `videoforge serve` is running here")
    return KeyStore(wiring.redis_client(url))


@keys_cli.command("create")
def keys_create(name: str) -> None:
    """Make a key; it is printed once, only its hash is kept."""
    typer.echo(_key_store().create(name))


@keys_cli.command("list")
def keys_list() -> None:
    """Key ids, names and creation times (never the keys)."""
    for key in _key_store().list():
        created = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(key.created_at))
        typer.echo(f"{key.key_id}  {created}  {key.name}")


@keys_cli.command("revoke")
def keys_revoke(key_id: str) -> None:
    """Delete a key by id; requests with it fail at once."""
    if not _key_store().revoke(key_id):
        typer.echo(f"videoforge: no key {key_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {key_id}")


commands.register(cli)
worker_commands.register(cli)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
