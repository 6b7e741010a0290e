"""ffprobe argv and the parsing of its JSON into MediaInfo (pure)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from videoforge.errors import RefusedInput, UnsupportedMedia
from videoforge.models import MediaInfo

# The only demuxers ffprobe and ffmpeg may pick. FFmpeg chooses by content, not by name, so
# without this a "video.mp4" that is really an HLS playlist or an ffconcat list would make
# them open other files (other users' uploads) or URLs. A list of real containers stops it.
ALLOWED_DEMUXERS = (
    "mov,mp4,m4a,3gp,3g2,mj2",  # one demuxer, several names
    "matroska,webm",
    "avi", "mpegts", "mpeg", "flv", "asf", "ogg", "mxf", "dv",
    "h264", "hevc", "m4v", "mpegvideo",
)  # fmt: skip
# The protocols a source read from a URL needs (HTTP(S) and what HTTPS runs on).
URL_PROTOCOLS = "file,http,https,tcp,tls,crypto"
# Only local files: inputs are always a file in the job's own directory.
INPUT_GUARDS = [
    "-protocol_whitelist", "file",
    "-format_whitelist", ",".join(ALLOWED_DEMUXERS),
]  # fmt: skip
# Demuxers that turn a single still image or a text list into "video"; never a real upload.
_NOT_VIDEO_FORMATS = {"image2", "tty", "lavfi", "concat", "hls", "ffmetadata"}
# Text inputs that FFmpeg would follow to other files, refused before ffprobe sees them.
_LISTS = {
    b"#EXTM3U": "HLS playlists are not accepted: upload the video itself",
    b"ffconcat": "ffconcat lists are not accepted: upload the video itself",
    b"concat:": "concat lists are not accepted: upload the video itself",
    b"<?xml": "XML files (DASH manifests and the like) are not accepted",
    b"<MPD": "DASH manifests are not accepted: upload the video itself",
}


def input_guards(source: Path | str) -> list[str]:
    """INPUT_GUARDS, with the protocols of a URL for a source read over HTTP(S) (a stored
    object through a presigned URL: previews, direct uploads)."""
    if isinstance(source, Path):
        return list(INPUT_GUARDS)
    if not source.startswith(("http://", "https://")):
        raise ValueError("a source is a local path or an http(s) URL")
    guards = list(INPUT_GUARDS)
    guards[guards.index("-protocol_whitelist") + 1] = URL_PROTOCOLS
    # A read that stalls fails in 30 s instead of holding its job (or a split job's item,
    # whose lease the worker keeps renewing) until the time limit; a dropped connection is
    # opened again, with the same presigned URL, from where it was.
    return [*guards, "-rw_timeout", "30000000", "-reconnect", "1",
            "-reconnect_on_network_error", "1", "-reconnect_delay_max", "5"]  # fmt: skip


def probe_argv(ffprobe: str, path: Path | str, max_pixels: int | None = None) -> list[str]:
    """Command that prints a file's format and streams as JSON (a local file, or a stored
    object through a presigned URL)."""
    # ffprobe decodes a few frames too: the same pixel cap as ffmpeg guards it.
    cap = ["-max_pixels", str(max_pixels)] if max_pixels else []
    return [
        ffprobe,
        "-hide_banner",
        "-v",
        "error",
        *input_guards(path),
        *cap,
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        # `file:` keeps a name from ever being read as another protocol.
        f"file:{path}" if isinstance(path, Path) else path,
    ]


def refuse_lists(head: bytes) -> None:
    """Raise RefusedInput if a file starts like a playlist or list FFmpeg would follow."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")  # a BOM or blank lines must not hide it
    for marker, message in _LISTS.items():
        if text[: len(marker)].lower() == marker.lower():
            raise RefusedInput(message)


@dataclass(frozen=True)
class InputLimits:
    """Input rules from settings; breaking one is a 422 that names it."""

    max_pixels: int
    max_duration_s: float
    max_fps: float
    max_streams: int


def too_many_pixels(width: int, height: int, max_pixels: int) -> RefusedInput:
    """The refusal for a frame over MAX_INPUT_PIXELS, wherever it is noticed."""
    return RefusedInput(
        f"the video is {width}x{height} ({width * height} pixels); MAX_INPUT_PIXELS is {max_pixels}"
    )


def check_limits(media: MediaInfo, limits: InputLimits) -> None:
    """Refuse inputs whose declared size, length, rate or stream count are out of bounds."""
    if media.width * media.height > limits.max_pixels:
        raise too_many_pixels(media.width, media.height, limits.max_pixels)
    if media.duration_s > limits.max_duration_s:
        raise RefusedInput(
            f"the video lasts {media.duration_s:g} s; MAX_INPUT_DURATION_S is "
            f"{limits.max_duration_s:g}"
        )
    if media.fps > limits.max_fps:
        raise RefusedInput(
            f"the video runs at {media.fps:g} fps; MAX_INPUT_FPS is {limits.max_fps:g}"
        )
    if media.stream_count > limits.max_streams:
        raise RefusedInput(
            f"the file has {media.stream_count} streams; MAX_INPUT_STREAMS is {limits.max_streams}"
        )


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
    video = main_video(streams)
    if video is None:
        raise UnsupportedMedia("the file has no video stream")
    duration_s = _float(fmt.get("duration")) or _float(video.get("duration"))
    if duration_s <= 0:
        raise UnsupportedMedia("the video has no duration")
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if width <= 0 or height <= 0:
        raise UnsupportedMedia("the video stream has no frame size")
    audio = next((s for s in streams if _real_audio(s)), None)
    return MediaInfo(
        duration_s=round(duration_s, 3),
        width=round(width * _sample_aspect(video)),
        height=height,
        video_codec=str(video.get("codec_name", "unknown")),
        audio_codec=str(audio.get("codec_name", "unknown")) if audio else None,
        format_name=format_name,
        size_bytes=int(_float(fmt.get("size"))),
        rotation_deg=_rotation(video),
        fps=_rate(video),
        stream_count=len(streams),
        video_index=_index(video),
        audio_index=_index(audio) if audio else None,
        field_order=str(video.get("field_order", "")),
        color_transfer=str(video.get("color_transfer", "")),
        **_coding(video, audio, fmt),
    )


def _coding(
    video: dict[str, Any], audio: dict[str, Any] | None, fmt: dict[str, Any]
) -> dict[str, Any]:
    """The MediaInfo fields on how the streams are coded (what passthrough checks)."""
    # A stream's own bit_rate when the container has one; MKV has none, so the file's.
    bitrate = _float(video.get("bit_rate")) or _float(fmt.get("bit_rate"))
    rates = {str(video.get(key, "")) for key in ("avg_frame_rate", "r_frame_rate")}
    return {
        "pix_fmt": str(video.get("pix_fmt", "")),
        "video_profile": str(video.get("profile", "")),
        "video_bitrate_bps": int(bitrate),
        "square_pixels": _sample_aspect(video) == 1.0,
        "constant_rate": len(rates) == 1,
        "audio_profile": str(audio.get("profile", "")) if audio else "",
        "audio_channels": int(audio.get("channels") or 0) if audio else 0,
    }


def main_video(streams: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The video stream to transcode: the largest real one, the first of equals (what
    ffmpeg's own default picks), never cover art or a one-frame still. Files put a poster
    (an MJPEG or PNG frame) before the real video, and `0:v:0` would encode that."""
    candidates = [s for s in streams if s.get("codec_type") == "video" and not _still(s)]
    if not candidates:
        return None
    return max(candidates, key=lambda s: int(s.get("width") or 0) * int(s.get("height") or 0))


def _still(stream: dict[str, Any]) -> bool:
    if (stream.get("disposition") or {}).get("attached_pic"):
        return True  # cover art: a picture attached to the file, shown as a stream
    frames = _frame_count(stream)
    if frames is not None:
        return frames <= 1
    # Matroska and WebM declare no frame count, only when a track ends (ffmpeg's DURATION
    # tag; the end, not the length: a still 21 ms in, after the audio priming, "ends" at 61 ms).
    # A track that ends within about one frame of its start is a still.
    end, rate = _tag_seconds(stream, "DURATION"), _rate(stream)
    if end is None or rate <= 0:
        return False
    start = max(0.0, _float(stream.get("start_time")))
    return (end - start) * rate < 1.5


def _frame_count(stream: dict[str, Any]) -> int | None:
    """nb_frames (MP4, MOV), else mkvmerge's NUMBER_OF_FRAMES statistics tag; None if the
    file does not say."""
    frames = str(stream.get("nb_frames", ""))
    if frames.isdigit():
        return int(frames)
    tagged = _tag(stream, "NUMBER_OF_FRAMES")
    return int(tagged) if tagged is not None and tagged.isdigit() else None


def _tag(stream: dict[str, Any], name: str) -> str | None:
    """A stream tag by name, also in mkvmerge's per-language form (`DURATION-eng`)."""
    for key, value in (stream.get("tags") or {}).items():
        if str(key).upper().partition("-")[0] == name:
            return str(value)
    return None


def _tag_seconds(stream: dict[str, Any], name: str) -> float | None:
    """A Matroska time tag ("00:00:03.023000000") in seconds; None if absent or unreadable."""
    parts = (_tag(stream, name) or "").split(":")
    try:
        hours, minutes, seconds = (float(part) for part in parts)
    except ValueError:
        return None
    return hours * 3600 + minutes * 60 + seconds


def _real_audio(stream: dict[str, Any]) -> bool:
    return stream.get("codec_type") == "audio" and int(stream.get("channels") or 1) > 0


def _index(stream: dict[str, Any]) -> int | None:
    index = stream.get("index")
    return index if isinstance(index, int) and index >= 0 else None


def _sample_aspect(video: dict[str, Any]) -> float:
    """Pixel aspect ratio; anamorphic sources display wider than they are coded."""
    num, _, den = str(video.get("sample_aspect_ratio", "1:1")).partition(":")
    try:
        ratio = int(num) / int(den)
    except (ValueError, ZeroDivisionError):
        return 1.0
    return ratio if 0.1 < ratio < 10 else 1.0


def _rate(video: dict[str, Any]) -> float:
    """Frames per second from avg_frame_rate ("30000/1001"), else r_frame_rate."""
    for key in ("avg_frame_rate", "r_frame_rate"):
        num, _, den = str(video.get(key, "0/0")).partition("/")
        try:
            rate = float(num) / float(den or 1)
        except (ValueError, ZeroDivisionError):
            continue
        if rate > 0:
            return round(rate, 3)
    return 0.0


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
