"""The transcode request (POST /videos/transcode, and a preset's body) and its answer."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from videoforge.errors import InvalidRequest
from videoforge.http.encoding import AudioSettings, VideoSettings
from videoforge.models import OutputFormat, Priority, SegmentFormat
from videoforge.submit import TranscodeOrder


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

    parallel: bool | Literal["auto"] = Field(
        default="auto",
        description="Split the encode into chunks that any worker may take, joined by stream "
        "copy: `true`, `false`, or `auto` (jobs of PARALLEL_MIN_DURATION_S or longer); every "
        "format, ladders too. `true` also means the video is encoded, never copied",
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
