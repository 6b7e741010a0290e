"""Encoder settings in requests and presets: the video's CRF, maxrate and x264 preset, the
audio's bit rate and channels. Each left out keeps the format's default (media.command)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from videoforge.media.encoding import kbps

X264Preset = Literal[
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"
]
# A bit rate as ffmpeg writes it (`2500k`, `2.5M`) or a number of kbit/s.
RATE_PATTERN = re.compile(r"\s*\d+(\.\d+)?\s*[kKmM]?\s*")


def _rate(value: str | int | None, low_kbps: int, high_kbps: int) -> str | None:
    """A bit rate in range, written `Nk`."""
    if value is None:
        return None
    if not RATE_PATTERN.fullmatch(str(value)):
        raise ValueError(f"must look like 2500k, 2.5M or a number of kbit/s, got {value!r:.20}")
    rate_kbps = kbps(value)
    if not low_kbps <= rate_kbps <= high_kbps:
        raise ValueError(f"must be from {low_kbps}k to {high_kbps}k, got {rate_kbps}k")
    return f"{rate_kbps}k"


class VideoSettings(BaseModel):
    """The video encoder's settings; each left out keeps the format's default."""

    model_config = ConfigDict(extra="forbid")
    crf: int | None = Field(
        # 0 is lossless, which libx264 refuses under the High profile every output uses.
        default=None, ge=1, le=51,
        description="Quality target, lower is better (defaults: 23 for H.264, 32 for VP9)",
    )  # fmt: skip
    maxrate: str | int | None = Field(
        default=None,
        description="Bit rate cap (`2500k`, `2.5M`, or kbit/s); with a ladder it caps every "
        "rung (default: none for one file, each rung's own cap for a ladder)",
        examples=["2500k"],
    )  # fmt: skip
    preset: X264Preset | None = Field(
        default=None, description="libx264 preset (default: the server's X264_PRESET)"
    )

    @field_validator("maxrate")
    @classmethod
    def _maxrate(cls, value: str | int | None) -> str | None:
        return _rate(value, 100, 100_000)


class AudioSettings(BaseModel):
    """The audio encoder's settings; each left out keeps the format's default."""

    model_config = ConfigDict(extra="forbid")
    bitrate: str | int | None = Field(
        default=None,
        description="`128k` (default: 128k AAC, 96k Opus in WebM)", examples=["96k"],
    )  # fmt: skip
    channels: Literal[1, 2] | None = Field(default=None, description="1 or 2 (default: 2)")

    @field_validator("bitrate")
    @classmethod
    def _bitrate(cls, value: str | int | None) -> str | None:
        return _rate(value, 16, 512)
