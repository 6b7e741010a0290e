"""A job's own encoder settings as the argv builders take them (pure): read from the job's
record, where they are kept as the API takes them (`{"video": {...}, "audio": {...}}`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Encoding:
    """A job's own encoder settings (from a preset or the request); None: the format's
    default, so a job without any encodes exactly as before."""

    crf: int | None = None
    maxrate_kbps: int | None = None
    x264_preset: str | None = None
    audio_bitrate_kbps: int | None = None
    audio_channels: int | None = None

    @classmethod
    def of(cls, record: dict[str, Any] | None) -> Encoding:
        """From a job's `encoding` (as the API takes it: `{"video": {...}, "audio": {...}}`)."""
        video, audio = (record or {}).get("video") or {}, (record or {}).get("audio") or {}
        return cls(
            crf=video.get("crf"),
            maxrate_kbps=kbps(video["maxrate"]) if video.get("maxrate") else None,
            x264_preset=video.get("preset"),
            audio_bitrate_kbps=kbps(audio["bitrate"]) if audio.get("bitrate") else None,
            audio_channels=audio.get("channels"),
        )


def kbps(rate: str | int) -> int:
    """A bit rate in kbit/s: `2500k`, `2.5M`, or a number of kbit/s."""
    text = str(rate).strip()
    if text[-1:] in ("k", "K"):
        return round(float(text[:-1]))
    if text[-1:] in ("m", "M"):
        return round(float(text[:-1]) * 1000)
    return round(float(text))
