"""A job's own encoder settings as the argv builders take them (pure): read from the job's
record, where they are kept as the API takes them (`{"video": {...}, "audio": {...}}`), and
the encoder options they become (x264's rate control, AAC)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

AAC_AUDIO = ["-c:a", "aac", "-b:a", "128k", "-ac", "2"]
# The VBV buffer under a maxrate: two seconds at maxrate, one keyframe interval.
BUFFER_S = 2


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


def or_default(value: int | str | None, default: int | str) -> str:
    """A setting as an argv word: the job's own, else the format's default (0 is a value)."""
    return str(default if value is None else value)


def aac_audio(encoding: Encoding) -> list[str]:
    """AAC at the job's bit rate and channels (AAC_AUDIO when it has none)."""
    if encoding.audio_bitrate_kbps is None and encoding.audio_channels is None:
        return AAC_AUDIO
    return ["-c:a", "aac", "-b:a", f"{or_default(encoding.audio_bitrate_kbps, 128)}k",
            "-ac", or_default(encoding.audio_channels, 2)]  # fmt: skip


def x264_rate(
    encoding: Encoding, crf: int, x264_preset: str, maxrate_kbps: int | None
) -> list[str]:
    """libx264's preset and quality target (capped CRF when there is a maxrate)."""
    rate = ["-c:v", "libx264", "-preset", encoding.x264_preset or x264_preset,
            "-crf", or_default(encoding.crf, crf)]  # fmt: skip
    if maxrate_kbps is not None:
        rate += ["-maxrate", f"{maxrate_kbps}k", "-bufsize", f"{maxrate_kbps * BUFFER_S}k"]
    return rate
