"""HTTP request and response bodies (the seed document's JSON shapes, plus documented extras)."""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import BaseModel, Field

from videoforge.models import JobKind, JobState, OutputFormat, SourceFile


class FileSummary(BaseModel):
    file_id: str
    filename: str
    original_name: str
    created_at: float
    size_bytes: int
    duration_s: float
    width: int = Field(description="Display width (after rotation)")
    height: int = Field(description="Display height (after rotation)")
    fps: float
    video_codec: str
    audio_codec: str | None
    container: str = Field(description="ffprobe's format name")

    @classmethod
    def of(cls, source: SourceFile) -> Self:
        """The summary of an accepted file."""
        media = source.media
        width, height = media.display_size
        return cls(
            file_id=source.file_id,
            filename=source.filename,
            original_name=source.original_name,
            created_at=source.created_at,
            size_bytes=media.size_bytes,
            duration_s=media.duration_s,
            width=width,
            height=height,
            fps=media.fps,
            video_codec=media.video_codec,
            audio_codec=media.audio_codec,
            container=media.format_name,
        )


class UploadResponse(FileSummary):
    message: str = "Video uploaded successfully"


class TusUploadStatus(BaseModel):
    """A resumable (tus) upload: how far it got, and what became of it."""

    upload_id: str
    offset: int = Field(description="Bytes received so far")
    length: int = Field(description="Bytes the upload declared (Upload-Length)")
    state: str = Field(description="receiving, done (see file_id) or refused (see error)")
    file_id: str | None = Field(default=None, description="The file it became, once done")
    error: str | None = Field(default=None, description="Why it was refused (not a video...)")


class ProgressBody(BaseModel):
    percent: float
    fps: float
    speed: float
    eta_seconds: float | None
    received_bytes: int | None = Field(default=None, description="An import's bytes so far")
    total_bytes: int | None = Field(
        default=None, description="An import's declared size (null: unknown, no percent)"
    )


class TaskStatus(BaseModel):
    task_id: str
    kind: JobKind = Field(
        default=JobKind.TRANSCODE,
        description="transcode, or import (a download from `url`; no output, format or "
        "resolution; its result names the file)",
    )
    url: str | None = Field(default=None, description="What an import downloads")
    state: JobState
    status: str
    file_id: str
    output_name: str | None = None
    format: OutputFormat | None = None
    resolution: str | None = Field(
        default=None, description="The box asked for, the boxes of a ladder, or `auto`"
    )
    renditions: list[str] | None = Field(
        default=None, description="A ladder's planned sizes, highest first"
    )
    start_s: float | None = Field(default=None, description="A clip's start in the source")
    end_s: float | None = Field(default=None, description="A clip's end in the source")
    attempts: int
    playable: bool = Field(
        default=False,
        description="True once the output can be played: a one-rendition HLS output from its "
        "first published segment on (its playlist grows while the job runs), any output at "
        "SUCCESS",
    )
    stream_url: str | None = Field(
        default=None, description="Where to play the output from, while it is playable"
    )
    progress: ProgressBody | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    worker: str | None = Field(default=None, description="Who runs (or ran) the job")
    priority: str = Field(default="normal", description="high, normal or low")
    queue_position: int | None = Field(
        default=None,
        description="While queued: its place in line, 1 = next to start (jobs of a higher "
        "priority count as ahead)",
    )
    preset: str | None = Field(default=None, description="The preset it used, `name@version`")
    encoding: dict[str, Any] | None = Field(
        default=None, description="Its own encoder settings, fixed at submission"
    )
    created_at: float
    updated_at: float
    started_at: float | None = Field(
        default=None, description="When its latest attempt began (epoch seconds); null before"
    )
    finished_at: float | None = Field(
        default=None,
        description="When it succeeded, failed or was cancelled (epoch seconds); null before",
    )
    timings: dict[str, float] | None = Field(
        default=None,
        description="A succeeded job's seconds: `queued` (submission to the start of the "
        "attempt that finished it), `fetch`, `probe`, `encode`, `publish` (an import's "
        "`download`, `probe`, `publish`) and `total` (submission to finish)",
    )


class FileStatus(BaseModel):
    file_id: str
    format: OutputFormat | None
    status: str = Field(description="ready, processing or failed")
    task_id: str
    state: JobState
    output_name: str
    error: str | None = None


class ErrorBody(BaseModel):
    detail: str


class OutputSummary(BaseModel):
    output_name: str
    task_id: str
    format: OutputFormat
    width: int
    height: int
    size_bytes: int
    stream_url: str
    download_url: str
    renditions: list[dict[str, Any]] | None = Field(
        default=None, description="A ladder's renditions as its manifests declare them"
    )
    manifests: dict[str, str] | None = Field(
        default=None, description="A ladder's manifest URLs: `hls` and/or `dash`"
    )


class FileDetails(FileSummary):
    jobs: list[TaskStatus] = Field(description="Every job of the file, oldest first")
    outputs: list[OutputSummary] = Field(description="The finished outputs")
    previews: dict[str, str] = Field(
        description="Where its pictures are: `thumbnail` (jpg), `animated` (webp), "
        "`storyboard` (vtt); add query parameters to the first two. Signed when keys are "
        "required (a signature covers all of the file's previews)"
    )


class FilePage(BaseModel):
    items: list[FileSummary]
    total: int
    offset: int
    limit: int


class TaskPage(BaseModel):
    items: list[TaskStatus]
    total: int
    offset: int
    limit: int


class WorkerStatus(BaseModel):
    name: str = Field(description="Its Celery hostname, e.g. `serve@host`")
    host: str
    status: Literal["busy", "idle"]
    task_id: str | None = Field(default=None, description="The job it runs now")
    tasks: list[str] = Field(description="Every job it runs now (more with concurrency > 1)")
    concurrency: int
    draining: bool = Field(
        description="Asked to take no new job (set by POST /workers/{name}/drain, kept "
        "across its restarts until resumed)"
    )
    consuming: bool = Field(description="Whether it took jobs from the queue when last heard of")
    started_at: float
    heartbeat_at: float


class WorkerList(BaseModel):
    items: list[WorkerStatus]
