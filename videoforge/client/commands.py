"""The client half of the `videoforge` command: submit, upload, transcode, status, download,
thumbnail, files, jobs, delete and cancel, against a running server. The commands that start
work (and follow it with --wait) are in `client.transcoding`; what they share is in
`client.shell`.

Results go to stdout (a URL, an id, a table, or with --json exactly one JSON document);
progress bars go to stderr. A failure is one line, `videoforge: <message>`, and exit 1.

httpx (in `client.api`) and rich (in `client.render`) are imported when a command runs, not
when the `videoforge` command starts: `--help` and typos answer without loading them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from videoforge.client import imports
from videoforge.client.shell import (
    DEFAULT_SERVER,
    ApiKeyOption,
    JsonOption,
    ServerOption,
    bars,
    session,
    show,
    stderr,
    stdout,
)
from videoforge.client.transcoding import submit, transcode, upload

LimitOption = Annotated[int, typer.Option("--limit", "-n", min=1, max=100, help="How many")]
OffsetOption = Annotated[int, typer.Option("--offset", min=0, help="How many to skip")]
OutOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="File or folder (default: ./NAME)")
]
ImageOption = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", metavar="PATH",
        help="File or folder; .jpg, .png or .webp picks the type (default: ./FILE_ID.jpg)",
        show_default=False,
    ),
]  # fmt: skip
TimeOption = Annotated[
    float | None,
    typer.Option("--time", metavar="S", help="Seconds into the video (default: the server's)"),
]
WidthOption = Annotated[
    int | None,
    typer.Option("--width", metavar="W", help="Width in pixels (default: the server's)"),
]


def status(
    task_id: str,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """A job's state, progress, output and URLs (a ladder's: its manifests and renditions)."""
    from videoforge.client import render, renditions

    with session(server, api_key) as client:
        body = client.status(task_id)
        show(body, as_json, render.status_text(body, client.url))
        if not as_json and renditions.is_ladder(body.get("result")):
            stdout().print(renditions.renditions_table(body["result"]))


def cancel(
    task_id: str,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cancel a queued or running job."""
    with session(server, api_key) as client:
        body = client.cancel(task_id)
        show(body, as_json, f"{body['task_id']} {body['status']}")


def download(
    name: Annotated[str, typer.Argument(help="An output name (see `videoforge status`)")],
    output: OutOption = None,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Download an output; print where it was saved."""
    from videoforge.client import render

    with session(server, api_key) as client:
        with render.bytes_shown(stderr(), "downloading", bars(as_json)) as moved:
            path = client.download(name, output or Path.cwd(), moved)
        saved = {"name": name, "path": str(path), "size_bytes": path.stat().st_size}
        show(saved, as_json, str(path))


def thumbnail(
    file_id: Annotated[str, typer.Argument(help="An uploaded file's id (see `videoforge files`)")],
    time: TimeOption = None,
    width: WidthOption = None,
    output: ImageOption = None,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Save a frame of an uploaded video as an image (jpg, png, webp); print its path.

    --time 2.5 --width 320 -o poster.webp: the frame at 2.5 s, 320 pixels wide, as WebP.
    """
    with session(server, api_key) as client:
        saved = client.thumbnail(file_id, output or Path.cwd(), time, width)
        show(saved, as_json, saved["path"])


def files(
    limit: LimitOption = 20,
    offset: OffsetOption = 0,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Uploaded files, newest first."""
    from videoforge.client import render

    with session(server, api_key) as client:
        page = client.files(limit, offset)
        show(page, as_json, render.files_table(page))


def jobs(
    limit: LimitOption = 20,
    offset: OffsetOption = 0,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Jobs of every file, newest first."""
    from videoforge.client import render

    with session(server, api_key) as client:
        page = client.jobs(limit, offset)
        show(page, as_json, render.jobs_table(page))


def presets(
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Presets (latest versions, built-ins first); use one with `submit --preset NAME`."""
    from videoforge.client import render

    with session(server, api_key) as client:
        page = client.presets()
        show(page, as_json, render.presets_table(page))


def delete(
    file_id: str,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Delete a file with its outputs and jobs (refused while one of its jobs is unfinished)."""
    with session(server, api_key) as client:
        client.delete(file_id)
        show({"file_id": file_id, "deleted": True}, as_json, f"deleted {file_id}")


COMMANDS: tuple[Callable[..., None], ...] = (
    submit, upload, transcode, status, cancel, download, thumbnail, files, jobs, delete, presets,
)  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add the client commands to the `videoforge` command, at its top level."""
    for command in COMMANDS:
        app.command(rich_help_panel="Client (talks to a running server)")(command)
    imports.register(app)
