"""ffprobe argv and the parsing of its JSON into MediaInfo (pure)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from videoforge.errors import UnsupportedMedia
from videoforge.models import MediaInfo

# Demuxers that turn a single still image or a text list into "video"; never a real upload.
_NOT_VIDEO_FORMATS = {"image2", "tty", "lavfi", "concat", "hls", "ffmetadata"}


def probe_argv(ffprobe: str, path: Path) -> list[str]:
    """Command that prints a file's format and streams as JSON."""
    return [
        ffprobe,
        "-hide_banner",
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        # `file:` keeps a name from ever being read as another protocol.
        f"file:{path}",
    ]


def parse_probe(text: str) -> MediaInfo:
    """Reduce ffprobe JSON to MediaInfo; raise UnsupportedMedia for anything not a video."""
    try:
        data = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise UnsupportedMedia("the file could not be read as media") from exc
    if not isinstance(data, dict):
        raise UnsupportedMedia("the file could not be read as media")
    fmt = data.get("format") or {}
    format_name = str(fmt.get("format_name", ""))
    if not format_name:
        raise UnsupportedMedia("the file is not a recognised media container")
    if format_name in _NOT_VIDEO_FORMATS or format_name.endswith("_pipe"):
        raise UnsupportedMedia(f"{format_name} input is not a video file")
    streams = data.get("streams") or []
    video = _first_video(streams)
    if video is None:
        raise UnsupportedMedia("the file has no video stream")
    duration_s = _float(fmt.get("duration")) or _float(video.get("duration"))
    if duration_s <= 0:
        raise UnsupportedMedia("the video has no duration")
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if width <= 0 or height <= 0:
        raise UnsupportedMedia("the video stream has no frame size")
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    return MediaInfo(
        duration_s=round(duration_s, 3),
        width=round(width * _sample_aspect(video)),
        height=height,
        video_codec=str(video.get("codec_name", "unknown")),
        audio_codec=str(audio.get("codec_name", "unknown")) if audio else None,
        format_name=format_name,
        size_bytes=int(_float(fmt.get("size"))),
        rotation_deg=_rotation(video),
    )


def _first_video(streams: list[dict[str, Any]]) -> dict[str, Any] | None:
    for stream in streams:
        if stream.get("codec_type") != "video":
            continue
        # Cover art in audio files shows up as a one-frame "video" stream.
        if (stream.get("disposition") or {}).get("attached_pic"):
            continue
        return stream
    return None


def _sample_aspect(video: dict[str, Any]) -> float:
    """Pixel aspect ratio; anamorphic sources display wider than they are coded."""
    num, _, den = str(video.get("sample_aspect_ratio", "1:1")).partition(":")
    try:
        ratio = int(num) / int(den)
    except (ValueError, ZeroDivisionError):
        return 1.0
    return ratio if 0.1 < ratio < 10 else 1.0


def _rotation(video: dict[str, Any]) -> int:
    for side_data in video.get("side_data_list") or []:
        if "rotation" in side_data:
            return int(_float(side_data["rotation"])) % 360
    return int(_float((video.get("tags") or {}).get("rotate"))) % 360


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0
