"""The client commands for workers: `videoforge workers` (a table of the live ones),
`videoforge drain NAME` and `videoforge resume NAME`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from videoforge.client.protocol import JSON
from videoforge.client.shell import (
    DEFAULT_SERVER,
    ApiKeyOption,
    JsonOption,
    ServerOption,
    session,
    show,
)

if TYPE_CHECKING:
    from rich.table import Table

NameArgument = Annotated[str, typer.Argument(help="A worker's name (see `videoforge workers`)")]


def workers(
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Live workers: busy or idle, the job each runs, and whether it is draining."""
    with session(server, api_key) as client:
        body = client.workers()
        show(body, as_json, workers_table(body))


def drain(
    name: NameArgument,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Have a worker finish its current job and take no new one (until `videoforge resume`,
    even across its restarts)."""
    with session(server, api_key) as client:
        body = client.drain(name)
        show(body, as_json, f"{name} draining ({worker_doing(body)})")


def resume(
    name: NameArgument,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Let a drained worker take jobs again."""
    with session(server, api_key) as client:
        body = client.resume(name)
        shown = f"{name} resumed" if body else f"{name} resumed (not running now)"
        show(body or {"name": name, "draining": False}, as_json, shown)


def worker_doing(body: JSON) -> str:
    """`busy: TASK_ID`, `busy` (a storyboard) or `idle`."""
    if body.get("status") != "busy":
        return "idle"
    return f"busy: {body['task_id']}" if body.get("task_id") else "busy"


def workers_table(body: JSON) -> Table:
    """The live workers, one row each."""
    from rich.table import Table
    from rich.text import Text

    items = body.get("items", [])
    table = Table(caption=f"{len(items)} live" if items else "none")
    for header in ("name", "host", "status", "task_id", "draining", "concurrency"):
        table.add_column(header, no_wrap=header in ("name", "task_id"))
    for item in items:
        values = (
            item.get("name"),
            item.get("host"),
            item.get("status"),
            item.get("task_id") or "",
            "yes" if item.get("draining") else "no",
            item.get("concurrency"),
        )
        table.add_row(*(Text(str(value)) for value in values))
    return table


def register(app: typer.Typer) -> None:
    """Add the worker commands to the `videoforge` command, at its top level."""
    for command in (workers, drain, resume):
        app.command(rich_help_panel="Client (talks to a running server)")(command)
