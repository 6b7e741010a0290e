"""HTTP request and response bodies (the seed document's JSON shapes, plus documented extras)."""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, Field

from videoforge.models import JobState, OutputFormat, SourceFile


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


class TranscodeRequest(BaseModel):
    resolution: str = Field(
        description="Box to fit in, W:H with even sides up to 7680x4320; -2 on one side keeps "
        "the aspect from the other",
        examples=["1920:1080", "1280:-2"],
    )
    format: OutputFormat = Field(description="hls, mp4 or webm")
    upscale: bool = Field(
        default=False, description="Allow an output larger than the source (default: never)"
    )


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


class TaskStatus(BaseModel):
    task_id: str
    state: JobState
    status: str
    file_id: str
    output_name: str
    format: OutputFormat
    resolution: str
    attempts: int
    progress: ProgressBody | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    worker: str | None = Field(default=None, description="Who runs (or ran) the job")
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


class FileDetails(FileSummary):
    jobs: list[TaskStatus] = Field(description="Every job of the file, oldest first")
    outputs: list[OutputSummary] = Field(description="The finished outputs")


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
