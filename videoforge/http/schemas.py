"""HTTP request and response bodies (the seed document's JSON shapes, plus documented extras)."""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import BaseModel, Field

from videoforge.errors import InvalidRequest
from videoforge.http.encoding import AudioSettings, VideoSettings
from videoforge.models import (
    JobKind,
    JobState,
    OutputFormat,
    Priority,
    SegmentFormat,
    SourceFile,
)
from videoforge.submit import TranscodeOrder


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


class TranscodeRequest(BaseModel):
    preset: str | None = Field(
        default=None,
        description="A preset (`name`, or `name@2` for a version) to start from: every other "
        "field given here wins over the preset's",
        examples=["web-720p"],
    )
    resolution: str | None = Field(
        default=None,
        description="Box to fit in, W:H with even sides up to 7680x4320; -2 on one side keeps "
        "the aspect from the other. Required for mp4, webm and MPEG-TS HLS; with a ladder it "
        "caps the top rung",
        examples=["1920:1080", "1280:-2"],
    )
    format: OutputFormat | None = Field(
        default=None,
        description="mp4, webm, hls, dash, or cmaf (fMP4 segments with an HLS master playlist "
        "and a DASH MPD). Required unless a preset gives it",
    )
    upscale: bool = Field(
        default=False, description="Allow an output larger than the source (default: never)"
    )
    ladder: str | None = Field(
        default=None,
        description="`auto`: the source-aware adaptive ladder (hls, dash, cmaf); dash and cmaf "
        "use it when neither ladder nor renditions nor resolution is given",
        examples=["auto"],
    )
    renditions: list[str] | None = Field(
        default=None,
        max_length=64,  # the domain allows 8 and says so; this only bounds parsing
        description="The ladder's boxes, 1 to 8, each read like resolution",
        examples=[["1920:1080", "1280:720", "640:360"]],
    )
    segment_format: SegmentFormat | None = Field(
        default=None,
        description="hls only: `fmp4` (the default with a ladder) or `ts` (MPEG-TS for old "
        "players; the default for a single resolution)",
    )

    start_s: float | None = Field(
        default=None, ge=0, description="Clip: where to start, in seconds of the source (0)"
    )
    end_s: float | None = Field(
        default=None, gt=0, description="Clip: where to end, in seconds of the source (its end)"
    )

    passthrough: Literal["auto", "never"] = Field(
        default="auto",
        description="`auto`: copy the source's video when it is already fit to stream at the "
        "size asked (H.264 8-bit 4:2:0, no scaling, CFR <= 60 fps, keyframes <= 10 s apart, "
        "<= 8 Mbit/s at 1080p); `never`: always encode",
    )

    video: VideoSettings | None = Field(default=None, description="Video encoder settings")
    audio: AudioSettings | None = Field(default=None, description="Audio encoder settings")
    priority: Priority = Field(
        default="normal",
        description="While workers are busy, every queued `high` job starts before any "
        "`normal` one, and `normal` before `low`; first come, first served within one",
    )
    callback_url: str | None = Field(
        default=None,
        max_length=2048,
        description="Also POST this job's events (queued, started, succeeded, failed, cancelled) "
        "here, signed with the server's webhook secret (Standard Webhooks)",
    )

    def order(self) -> TranscodeOrder:
        """The domain's order (the preset, if any, already merged in)."""
        if self.format is None:
            raise InvalidRequest("format: Field required")
        fields = self.model_dump(exclude={"preset", "video", "audio"})
        return TranscodeOrder(**fields, encoding=self.encoding())

    def encoding(self) -> dict[str, Any] | None:
        """The encoder settings given, as a job records them; None when there are none."""
        parts = {
            name: part.model_dump(exclude_none=True)
            for name, part in (("video", self.video), ("audio", self.audio))
            if part is not None and part.model_dump(exclude_none=True)
        }
        return parts or None


class TranscodeResponse(BaseModel):
    message: str = "Transcoding started"
    task_id: str
    file_id: str
    output_name: str
    resolution: str
    format: OutputFormat
    status: str = "processing"


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
