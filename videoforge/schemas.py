"""HTTP request and response bodies (the seed document's JSON shapes, plus documented extras)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from videoforge.models import JobState, OutputFormat


class UploadResponse(BaseModel):
    file_id: str
    filename: str
    message: str = "Video uploaded successfully"
    original_name: str
    size_bytes: int
    duration_s: float
    width: int
    height: int
    video_codec: str
    audio_codec: str | None


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
