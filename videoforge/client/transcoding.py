"""The client commands that start work: upload, submit (upload and transcode) and transcode,
to one file (mp4, webm) or to an adaptive ladder (hls, dash, cmaf), of the whole video or a
part of it (--start, --end); and following a job to its end with --wait, which prints its
stream URL, or a ladder's renditions and manifest URLs.

Which options go together is the server's to judge: a refused combination is its one-line
422 detail, like any other failure."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from videoforge.client.protocol import JSON, ClientError, transcode_body
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
    stdout,
)
from videoforge.models import OutputFormat, SegmentFormat

if TYPE_CHECKING:
    from videoforge.client.api import Client

# Files past this go with tus (resumable); smaller ones in one POST /videos/upload.
RESUMABLE_ABOVE_BYTES = 64 * 1024**2
VideoArgument = Annotated[Path, typer.Argument(help="The video file to upload", show_default=False)]
FormatOption = Annotated[
    OutputFormat | None,
    typer.Option(
        "--format", "-f",
        help="mp4 or webm: one file. hls, dash or cmaf: segments for adaptive streaming "
        "(cmaf: fMP4 segments with both an HLS master playlist and a DASH MPD). Required "
        "unless --preset gives it",
    ),
]  # fmt: skip
PresetOption = Annotated[
    str | None,
    typer.Option(
        "--preset", "-p", metavar="NAME",
        help="Start from a preset (NAME or NAME@2; see `videoforge presets`); the options "
        "given here win over its settings",
    ),
]  # fmt: skip
ResolutionOption = Annotated[
    str | None,
    typer.Option(
        "--resolution", "-r", metavar="W:H",
        help="Box to fit in, W:H (e.g. 1280:720, 854:-2). Required for mp4, webm and MPEG-TS "
        "hls; with --ladder it caps the top rendition",
    ),
]  # fmt: skip
LadderOption = Annotated[
    str | None,
    typer.Option(
        "--ladder", metavar="NAME",
        help="auto: renditions picked for the source (hls, dash, cmaf). dash and cmaf use it "
        "when given neither --resolution nor --rendition",
    ),
]  # fmt: skip
RenditionOption = Annotated[
    list[str] | None,
    typer.Option(
        "--rendition", metavar="W:H",
        help="A ladder of your own: one rendition's box; repeat for each (1 to 8)",
        show_default=False,
    ),
]  # fmt: skip
SegmentFormatOption = Annotated[
    SegmentFormat | None,
    typer.Option(
        "--segment-format",
        help="hls only: fmp4 (the default for a ladder) or ts (MPEG-TS for old players)",
    ),
]
StartOption = Annotated[
    float | None,
    typer.Option("--start", metavar="S", help="Begin at S seconds into the video (default: 0)"),
]
EndOption = Annotated[
    float | None,
    typer.Option("--end", metavar="S", help="Stop at S seconds into the video (default: its end)"),
]
PriorityOption = Annotated[
    str | None,
    typer.Option(
        "--priority", metavar="high|normal|low",
        help="Queue priority: with workers busy, high starts before normal, normal before low",
    ),
]  # fmt: skip
CallbackOption = Annotated[
    str | None,
    typer.Option(
        "--callback-url", metavar="URL",
        help="Also POST this job's events there, signed (see `videoforge webhooks secret`)",
    ),
]  # fmt: skip
UpscaleOption = Annotated[bool, typer.Option("--upscale", help="Allow outputs above source size")]
WaitOption = Annotated[
    bool,
    typer.Option(
        "--wait", "-w",
        help="Follow the job to its end; print its stream URL, or a ladder's renditions and "
        "manifest URLs",
    ),
]  # fmt: skip


def submit(
    file: VideoArgument,
    format: FormatOption = None,
    preset: PresetOption = None,
    resolution: ResolutionOption = None,
    ladder: LadderOption = None,
    rendition: RenditionOption = None,
    segment_format: SegmentFormatOption = None,
    start: StartOption = None,
    end: EndOption = None,
    upscale: UpscaleOption = False,
    priority: PriorityOption = None,
    callback_url: CallbackOption = None,
    wait: WaitOption = False,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Upload a video and transcode it, whole or --start/--end; with --wait, follow the job.

    One file: -f mp4 -r 1280:720. A ladder: -f cmaf --ladder auto, or your own rungs:
    -f hls --rendition 1280:720 --rendition 640:360. Seconds 1 to 3 only: --start 1 --end 3.
    A refused transcode removes the upload.
    """
    order = _order(format, resolution, ladder, rendition, segment_format, upscale, start, end,
                   preset, priority, callback_url)  # fmt: skip
    with session(server, api_key) as client:
        uploaded = _upload(client, file, as_json)
        try:
            started = client.transcode(uploaded["file_id"], order)
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
        show(body, as_json, body["file_id"])


def transcode(
    file_id: str,
    format: FormatOption = None,
    preset: PresetOption = None,
    resolution: ResolutionOption = None,
    ladder: LadderOption = None,
    rendition: RenditionOption = None,
    segment_format: SegmentFormatOption = None,
    start: StartOption = None,
    end: EndOption = None,
    upscale: UpscaleOption = False,
    priority: PriorityOption = None,
    callback_url: CallbackOption = None,
    wait: WaitOption = False,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Transcode an uploaded file, whole or --start/--end: to mp4, webm, hls, dash or cmaf.

    One file: -f mp4 -r 1280:720. A ladder: -f cmaf --ladder auto, or your own rungs:
    -f hls --rendition 1280:720 --rendition 640:360. Seconds 1 to 3 only: --start 1 --end 3.

    Prints the task id; with --wait, follows the job and prints its stream URL, or a ladder's
    renditions (size, bandwidth, codecs, frame rate) and its manifest URLs.
    """
    with session(server, api_key) as client:
        order = _order(format, resolution, ladder, rendition, segment_format, upscale, start, end,
                       preset, priority, callback_url)  # fmt: skip
        started = client.transcode(file_id, order)
        _started(client, started, wait, as_json)


def _order(
    format: OutputFormat | None,
    resolution: str | None,
    ladder: str | None,
    rendition: list[str] | None,
    segment_format: SegmentFormat | None,
    upscale: bool,
    start_s: float | None = None,
    end_s: float | None = None,
    preset: str | None = None,
    priority: str | None = None,
    callback_url: str | None = None,
) -> JSON:
    """The transcode request, from the command's options."""
    return transcode_body(
        format.value if format else None, resolution, preset=preset, priority=priority,
        callback_url=callback_url,
        upscale=upscale, ladder=ladder, renditions=rendition or (),
        segment_format=segment_format.value if segment_format else None,
        start_s=start_s, end_s=end_s,
    )  # fmt: skip


def _upload(client: Client, file: Path, as_json: bool) -> JSON:
    from videoforge.client import render

    size_bytes = file.stat().st_size if file.is_file() else None
    # Large files go with tus: a dropped connection costs a chunk, not the whole file.
    resumable = size_bytes is not None and size_bytes > RESUMABLE_ABOVE_BYTES
    send = client.upload_resumable if resumable else client.upload
    with render.bytes_shown(stderr(), f"uploading {file.name}", bars(as_json), size_bytes) as moved:
        body = send(file, moved)
    if not as_json:
        typer.echo(render.file_line(body), err=True)
    return body


def _started(client: Client, started: JSON, wait: bool, as_json: bool) -> None:
    from videoforge.client import render

    if not wait:
        show(started, as_json, started["task_id"])
        return
    if not as_json:  # so that a person who stops watching (Ctrl-C) can find the job again
        typer.echo(f"task {started['task_id']}", err=True)
    final = _follow(client, started["task_id"], as_json)
    if as_json:
        typer.echo(json.dumps(final))  # the final status even when the job failed
    if final.get("state") != "SUCCESS":
        fail(render.ending_line(final))
    if not as_json:
        _finished(client, final["result"])


def _follow(client: Client, task_id: str, as_json: bool) -> JSON:
    from videoforge.client import render

    final: JSON = {}
    with render.job_shown(stderr(), bars(as_json)) as show_status:
        for final in client.events(task_id):
            show_status(final)
    return final


def _finished(client: Client, result: JSON) -> None:
    """A finished job on stdout: its stream URL; for a ladder, the table of its renditions
    and then its manifest URLs, one a line."""
    from videoforge.client import renditions

    if not renditions.is_ladder(result):
        typer.echo(client.url(result["stream_url"]))
        return
    stdout().print(renditions.renditions_table(result))
    typer.echo(renditions.manifest_text(result, client.url))
