"""What every client command shares: the server, key and --json options, its session (a
Client whose failures end the command with one line), and where results and progress go.

Results go to stdout (a URL, an id, a table, or with --json exactly one JSON document);
progress bars go to stderr. A failure is one line, `videoforge: <message>`, and exit 1.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from videoforge.client.protocol import JSON, ClientError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from videoforge.client.api import Client

# 128 + SIGINT, as shells report a command stopped by Ctrl-C.
INTERRUPTED_EXIT = 130
DEFAULT_SERVER = "http://127.0.0.1:8000"

ServerOption = Annotated[
    str, typer.Option("--server", envvar="VIDEOFORGE_URL", help="The videoforge server's URL")
]
ApiKeyOption = Annotated[
    str | None,
    typer.Option("--api-key", envvar="VIDEOFORGE_API_KEY", help="API key, if the server wants one"),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the server's answer as JSON; no progress bars")
]


@functools.cache
def stdout() -> Console:
    """The console for results (tables); ids, paths and URLs are echoed plainly instead."""
    from videoforge.client import render

    return render.output_console()


@functools.cache
def stderr() -> Console:
    """The console for progress bars."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


@contextmanager
def session(server: str, api_key: str | None) -> Iterator[Client]:
    """A client for one command; its failures end the command with one line and exit 1."""
    from videoforge.client.api import Client

    try:
        with Client(server, api_key) as client:
            yield client
    except ClientError as exc:
        fail(exc.message)
    except KeyboardInterrupt:
        fail("interrupted", INTERRUPTED_EXIT)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `videoforge: message` on stderr and exit with `code`."""
    typer.echo(f"videoforge: {message}", err=True)
    raise typer.Exit(code)


def bars(as_json: bool) -> bool:
    """Whether to draw progress bars: they are for people watching, so not with --json, nor
    when stderr goes to a file or pipe."""
    return not as_json and stderr().is_terminal


def show(body: JSON, as_json: bool, shown: str | Table) -> None:
    """A command's result: the answer as JSON, or what stands for it (a line or a table)."""
    if as_json:
        typer.echo(json.dumps(body))
    elif isinstance(shown, str):
        typer.echo(shown)  # not through rich: ids, paths and URLs are not markup
    else:
        stdout().print(shown)
