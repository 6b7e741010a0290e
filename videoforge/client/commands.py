"""The client half of the `videoforge` command: submit, upload, transcode, status, download,
files, jobs, delete and cancel, against a running server.

Results go to stdout (a URL, an id, a table, or with --json exactly one JSON document);
progress bars go to stderr. A failure is one line, `videoforge: <message>`, and exit 1.

httpx (in `client.api`) and rich (in `client.render`) are imported when a command runs, not
when the `videoforge` command starts: `--help` and typos answer without loading them.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from videoforge.client.protocol import JSON, ClientError
from videoforge.models import OutputFormat

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from videoforge.client.api import Client

# 128 + SIGINT, as shells report a command stopped by Ctrl-C.
INTERRUPTED_EXIT = 130

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
VideoArgument = Annotated[Path, typer.Argument(help="The video file to upload", show_default=False)]
ResolutionOption = Annotated[
    str, typer.Option("--resolution", "-r", help="Box to fit in, W:H (e.g. 1280:720, 854:-2)")
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format")]
UpscaleOption = Annotated[bool, typer.Option("--upscale", help="Allow outputs above source size")]
WaitOption = Annotated[
    bool, typer.Option("--wait", "-w", help="Follow the job to its end; print its stream URL")
]
LimitOption = Annotated[int, typer.Option("--limit", "-n", min=1, max=100, help="How many")]
OffsetOption = Annotated[int, typer.Option("--offset", min=0, help="How many to skip")]
OutOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="File or folder (default: ./NAME)")
]
DEFAULT_SERVER = "http://127.0.0.1:8000"


@functools.cache
def _stdout() -> Console:
    from videoforge.client import render

    return render.output_console()


@functools.cache
def _stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def submit(
    file: VideoArgument,
    resolution: ResolutionOption,
    format: FormatOption,
    upscale: UpscaleOption = False,
    wait: WaitOption = False,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Upload a video and transcode it; with --wait, follow the job and print its stream URL."""
    with session(server, api_key) as client:
        uploaded = _upload(client, file, as_json)
        try:
            started = client.transcode(uploaded["file_id"], resolution, format.value, upscale)
        except ClientError as exc:
            # One command, one outcome: a refused transcode leaves no upload behind.
            with contextlib.suppress(ClientError):
                client.delete(uploaded["file_id"])
            raise ClientError(f"{exc.message} (the upload was removed)") from None
        _started(client, started, wait, as_json)


def upload(
    file: VideoArgument,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Upload a video; print its file id."""
    with session(server, api_key) as client:
        body = _upload(client, file, as_json)
        _print(body, as_json, body["file_id"])


def transcode(
    file_id: str,
    resolution: ResolutionOption,
    format: FormatOption,
    upscale: UpscaleOption = False,
    wait: WaitOption = False,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Transcode an uploaded file; print the task id, or with --wait its stream URL."""
    with session(server, api_key) as client:
        started = client.transcode(file_id, resolution, format.value, upscale)
        _started(client, started, wait, as_json)


def status(
    task_id: str,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """A job's state, progress, output and URLs."""
    from videoforge.client import render

    with session(server, api_key) as client:
        body = client.status(task_id)
        _print(body, as_json, render.status_text(body, client.url))


def cancel(
    task_id: str,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cancel a queued or running job."""
    with session(server, api_key) as client:
        body = client.cancel(task_id)
        _print(body, as_json, f"{body['task_id']} {body['status']}")


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
        with render.bytes_shown(_stderr(), "downloading", _bars(as_json)) as moved:
            path = client.download(name, output or Path.cwd(), moved)
        saved = {"name": name, "path": str(path), "size_bytes": path.stat().st_size}
        _print(saved, as_json, str(path))


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
        _print(page, as_json, render.files_table(page))


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
        _print(page, as_json, render.jobs_table(page))


def delete(
    file_id: str,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Delete a file with its outputs and jobs (refused while one of its jobs is unfinished)."""
    with session(server, api_key) as client:
        client.delete(file_id)
        _print({"file_id": file_id, "deleted": True}, as_json, f"deleted {file_id}")


COMMANDS: tuple[Callable[..., None], ...] = (
    submit, upload, transcode, status, cancel, download, files, jobs, delete,
)  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add the client commands to the `videoforge` command, at its top level."""
    for command in COMMANDS:
        app.command(rich_help_panel="Client (talks to a running server)")(command)


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


def _upload(client: Client, file: Path, as_json: bool) -> JSON:
    from videoforge.client import render

    size_bytes = file.stat().st_size if file.is_file() else None
    with render.bytes_shown(
        _stderr(), f"uploading {file.name}", _bars(as_json), size_bytes
    ) as moved:
        body = client.upload(file, moved)
    if not as_json:
        typer.echo(render.file_line(body), err=True)
    return body


def _started(client: Client, started: JSON, wait: bool, as_json: bool) -> None:
    from videoforge.client import render

    if not wait:
        _print(started, as_json, started["task_id"])
        return
    if not as_json:  # so that a person who stops watching (Ctrl-C) can find the job again
        typer.echo(f"task {started['task_id']}", err=True)
    final = _follow(client, started["task_id"], as_json)
    if as_json:
        typer.echo(json.dumps(final))  # the final status even when the job failed
    if final.get("state") != "SUCCESS":
        fail(render.ending_line(final))
    if not as_json:
        typer.echo(client.url(final["result"]["stream_url"]))


def _follow(client: Client, task_id: str, as_json: bool) -> JSON:
    from videoforge.client import render

    final: JSON = {}
    with render.job_shown(_stderr(), _bars(as_json)) as show:
        for final in client.events(task_id):
            show(final)
    return final


def _bars(as_json: bool) -> bool:
    # Bars are for people watching: not with --json, nor when stderr goes to a file or pipe.
    return not as_json and _stderr().is_terminal


def _print(body: JSON, as_json: bool, shown: str | Table) -> None:
    if as_json:
        typer.echo(json.dumps(body))
    elif isinstance(shown, str):
        typer.echo(shown)  # not through rich: ids, paths and URLs are not markup
    else:
        _stdout().print(shown)
