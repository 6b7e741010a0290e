"""`videoforge import URL`: have the server download a video from a URL and keep it like an
upload. Prints the task id; with --wait, follows the download and prints the file id."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from videoforge.client.shell import (
    DEFAULT_SERVER,
    ApiKeyOption,
    JsonOption,
    ServerOption,
    bars,
    fail,
    session,
    show,
    stderr,
)
from videoforge.client.transcoding import CallbackOption

UrlArgument = Annotated[
    str, typer.Argument(help="An http or https URL of a video", show_default=False)
]
FilenameOption = Annotated[
    str | None,
    typer.Option("--filename", metavar="NAME", help="The file's name (default: from the URL)"),
]
WaitOption = Annotated[
    bool,
    typer.Option("--wait", "-w", help="Follow the download to its end; print the file id"),
]


def import_url(
    url: UrlArgument,
    filename: FilenameOption = None,
    callback_url: CallbackOption = None,
    wait: WaitOption = False,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import a video from a URL: the server downloads it, then probes and keeps it.

    Prints the task id; with --wait, follows it and prints the file id.
    """
    from videoforge.client import render

    with session(server, api_key) as client:
        started = client.import_url(url, filename, callback_url)
        if not wait:
            show(started, as_json, started["task_id"])
            return
        if not as_json:  # so that a person who stops watching can find the task again
            typer.echo(f"task {started['task_id']}", err=True)
        final = started
        with render.job_shown(stderr(), bars(as_json)) as show_status:
            for final in client.events(started["task_id"]):
                show_status(final)
        if as_json:
            typer.echo(json.dumps(final))
        if final.get("state") != "SUCCESS":
            fail(render.ending_line(final))
        if not as_json:
            typer.echo(final["result"]["file_id"])


def register(app: typer.Typer) -> None:
    """Add `videoforge import` at the top level (`import` is a keyword: named here)."""
    app.command("import", rich_help_panel="Client (talks to a running server)")(import_url)
