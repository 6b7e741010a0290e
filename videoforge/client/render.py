"""How the client commands look: rich progress bars (on stderr, so stdout stays clean for
URLs, ids and JSON), rich tables of files and jobs, and one job's status as plain lines."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from rich.console import Console
from rich.filesize import decimal
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from videoforge.client.protocol import JSON, ByteProgress

JobProgress = Callable[[JSON], None]
# Off a terminal (a pipe, a file) lines need not fit a screen: tables keep ids and URLs whole.
UNBOUNDED_WIDTH = 500


def output_console() -> Console:
    """The console for results on stdout: the terminal's width, or unbounded off one."""
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = UNBOUNDED_WIDTH
    return console


@contextmanager
def bytes_shown(
    console: Console, description: str, shown: bool, total_bytes: int | None = None
) -> Iterator[ByteProgress]:
    """A callback that moves a bar of bytes moved (with speed and time left) while it is on
    screen."""
    columns = (DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        *columns,
        console=console,
        disable=not shown,
    ) as progress:
        bar = progress.add_task(description, total=total_bytes)

        def moved(done_bytes: int, total_bytes: int | None) -> None:
            progress.update(bar, completed=done_bytes, total=total_bytes)

        yield moved


@contextmanager
def job_shown(console: Console, shown: bool) -> Iterator[JobProgress]:
    """A callback that moves a percent bar (with fps and ETA) from task statuses."""
    columns = (TextColumn("{task.fields[fps]:>8}"), TextColumn("{task.fields[eta]}"))
    with Progress(
        TextColumn("{task.description:<12}", markup=False),
        BarColumn(),
        TaskProgressColumn(),
        *columns,
        console=console,
        disable=not shown,
    ) as progress:
        bar = progress.add_task("queued", total=100.0, fps="", eta="")
        yield lambda body: progress.update(bar, **job_bar_fields(body))


def job_bar_fields(body: JSON) -> dict[str, Any]:
    """What the job bar shows for one task status: status, percent, fps and ETA."""
    shown: dict[str, Any] = {"description": body.get("status", body.get("state", "?"))}
    progress = body.get("progress") or {}
    if body.get("state") == "SUCCESS":
        shown["completed"] = 100.0
    elif "percent" in progress:
        shown["completed"] = float(progress["percent"])
    fps = progress.get("fps")
    shown["fps"] = f"{fps:.0f} fps" if fps else ""
    eta_s = progress.get("eta_seconds")
    shown["eta"] = f"ETA {timedelta(seconds=round(eta_s))}" if eta_s is not None else ""
    return shown


def status_text(body: JSON, url: Callable[[str], str]) -> str:
    """One task's status as `field  value` lines; plain text, so a long signed URL is never
    cut or folded and copies whole."""
    rows = list(status_rows(body, url))
    width = max(len(field) for field, _ in rows)
    return "\n".join(f"{field:<{width}}  {value}" for field, value in rows)


def status_rows(body: JSON, url: Callable[[str], str]) -> Iterator[tuple[str, str]]:
    """The (field, value) rows of a task status; fields the state lacks are left out."""
    result = body.get("result") or {}
    yield "task", str(body.get("task_id", ""))
    yield "state", f"{body.get('state')} ({body.get('status')})"
    if progress := body.get("progress"):
        yield "progress", progress_text(progress)
    if body.get("kind") == "import":
        yield "import", str(body.get("url", ""))
    yield "format", str(body.get("format", ""))
    yield "resolution", str(body.get("resolution", ""))
    if body.get("renditions"):  # a ladder's planned sizes
        yield "renditions", ", ".join(map(str, body["renditions"]))
    yield "file", str(body.get("file_id", ""))
    yield "output", str(body.get("output_name", ""))
    if result:
        yield "size", f"{result.get('width')}x{result.get('height')}, {bytes_text(result)}"
    yield "attempts", str(body.get("attempts", ""))
    yield "priority", str(body.get("priority", "normal"))
    if body.get("queue_position"):
        yield "queue position", str(body["queue_position"])
    for field in ("worker", "error"):
        if body.get(field):
            yield field, str(body[field])
    for field in ("stream_url", "download_url"):
        if result.get(field):
            yield field.replace("_", " "), url(result[field])
    for kind, path in (result.get("manifests") or {}).items():
        yield f"{kind} manifest", url(path)
    if timings := body.get("timings"):
        yield "timings", timings_text(timings)
    yield "updated", when(body.get("updated_at"))


def timings_text(timings: JSON) -> str:
    """`queued 0.12 s, fetch 0.01 s, ..., total 3.40 s`: where a finished job's time went."""
    return ", ".join(f"{phase} {seconds:.2f} s" for phase, seconds in timings.items())


def progress_text(progress: JSON) -> str:
    """`42.0%, 120 fps, 2.1x, ETA 0:00:03`."""
    parts = [f"{progress.get('percent', 0):.1f}%", f"{progress.get('fps', 0):.0f} fps"]
    parts.append(f"{progress.get('speed', 0):.1f}x")
    if (eta_s := progress.get("eta_seconds")) is not None:
        parts.append(f"ETA {timedelta(seconds=round(eta_s))}")
    return ", ".join(parts)


def file_line(body: JSON) -> str:
    """`clip.mp4: 640x360, 4.0 s, h264/aac, 1.2 MB` for an uploaded file."""
    codecs = f"{body.get('video_codec')}/{body.get('audio_codec') or 'no audio'}"
    picture = f"{body.get('width')}x{body.get('height')}, {body.get('duration_s', 0):.1f} s"
    return f"{body.get('original_name')}: {picture}, {codecs}, {bytes_text(body)}"


def ending_line(body: JSON) -> str:
    """`task ID failed: <error>` for a task that ended without success."""
    ending = f"task {body.get('task_id')} {body.get('status', body.get('state'))}"
    error = body.get("error")
    return f"{ending}: {error}" if error and error != body.get("status") else ending


def files_table(page: JSON) -> Table:
    """A page of uploaded files."""
    table = _page_table(page, "file_id", "name", "size", "duration", "picture")
    for item in page.get("items", []):
        _add_row(
            table,
            item.get("file_id"),
            item.get("original_name"),
            bytes_text(item),
            f"{item.get('duration_s', 0):.1f} s",
            f"{item.get('width')}x{item.get('height')}",
            when(item.get("created_at")),
        )
    return table


def jobs_table(page: JSON) -> Table:
    """A page of tasks (`videoforge status` shows one in full)."""
    table = _page_table(page, "task_id", "state", "format", "box", "progress")
    for item in page.get("items", []):
        _add_row(
            table,
            item.get("task_id"),
            item.get("state"),
            item.get("format") or item.get("kind"),  # an import has no format
            item.get("resolution"),
            _job_note(item),
            when(item.get("created_at")),
        )
    return table


def presets_table(page: JSON) -> Table:
    """Presets: name@version, what they make, and what they are for."""
    table = Table(caption=f"{len(page.get('items', []))} presets")
    for header in ("preset", "format", "size", "encoder", "priority", "description"):
        table.add_column(header, no_wrap=header == "preset")
    for item in page.get("items", []):
        settings = item.get("settings", {})
        encoder = {**settings.get("video", {}), **settings.get("audio", {})}
        size = settings.get("ladder") and f"ladder {settings['ladder']}"
        _add_row(
            table,
            item.get("preset") + (" (built-in)" if item.get("builtin") else ""),
            settings.get("format"),
            size or settings.get("resolution") or ",".join(settings.get("renditions") or []),
            " ".join(f"{key}={value}" for key, value in encoder.items()),
            settings.get("priority", "normal"),
            item.get("description"),
        )
    return table


def _add_row(table: Table, *values: object) -> None:
    # Text, not str: rich would read `[...]` in a file name or an FFmpeg error as markup.
    table.add_row(*(Text("" if value is None else str(value)) for value in values))


def _job_note(item: JSON) -> str:
    if progress := item.get("progress"):
        return f"{progress.get('percent', 0):.0f}%"
    return str(item.get("error") or "")


def _page_table(page: JSON, id_field: str, *headers: str) -> Table:
    """A table whose first column holds the items' ids and whose last says when."""
    items = page.get("items", [])
    first = page.get("offset", 0) + 1
    caption = f"{first}-{first + len(items) - 1} of {page.get('total')}" if items else "none"
    table = Table(caption=caption)
    # Ids are for copying: never wrapped or cut, whatever else has to give.
    id_width = max((len(str(item.get(id_field))) for item in items), default=0)
    table.add_column(id_field.replace("_", " "), no_wrap=True, min_width=id_width)
    for header in headers:
        table.add_column(header)
    table.add_column("created")
    return table


def bytes_text(body: JSON) -> str:
    """`size_bytes` as `12.3 MB`."""
    return decimal(int(body.get("size_bytes") or 0))


def when(timestamp: object) -> str:
    """A Unix time as local `YYYY-MM-DD HH:MM`."""
    if not isinstance(timestamp, int | float):
        return ""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))
