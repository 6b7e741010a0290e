"""Previews made on demand (pure): a still frame (thumbnail) or a short animated image of a
source. The checks of their parameters, their names in storage, and their ffmpeg argv.

Frames are taken with fast input seeking (`-ss` before `-i`), from the main video stream,
through the same input guards as transcodes. A source read over HTTP (a presigned S3 URL)
gets a wider protocol whitelist for that input alone; the format whitelist stays, so
playlists and concat lists are refused all the same."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

from videoforge.errors import InvalidRequest
from videoforge.media.filters import VideoPrep, scale
from videoforge.media.probe import URL_PROTOCOLS as URL_PROTOCOLS
from videoforge.media.probe import input_guards as input_guards
from videoforge.models import MediaInfo

STILL_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
ANIMATED_TYPES = {"webp": "image/webp", "gif": "image/gif"}
MAX_STILL_WIDTH = 3840
MAX_ANIMATED_WIDTH = 640
MAX_ANIMATED_S = 10.0
MAX_ANIMATED_FPS = 30
DEFAULT_ANIMATED_S = 3.0
DEFAULT_ANIMATED_WIDTH = 320
DEFAULT_ANIMATED_FPS = 10
# Where a thumbnail is taken when no time is asked: a tenth into the video, past intros.
DEFAULT_STILL_AT = 0.1
_GIF_PALETTE = (
    "split[frames][copy];[frames]palettegen=stats_mode=diff[palette];"
    "[copy][palette]paletteuse=dither=bayer:bayer_scale=5:diff_mode=rectangle"
)


@dataclass(frozen=True)
class Still:
    """One frame at `time_ms`, `width` x `height`, as jpg, png or webp."""

    time_ms: int
    width: int
    height: int
    extension: str

    @property
    def name(self) -> str:
        """Its object name under the file's previews: the same parameters, the same name."""
        return f"thumb-t{self.time_ms}-w{self.width}.{self.extension}"

    @property
    def content_type(self) -> str:
        return STILL_TYPES[self.extension]


@dataclass(frozen=True)
class Animation:
    """`start_ms` to `end_ms` at `fps`, `width` x `height`, as animated webp or gif."""

    start_ms: int
    end_ms: int
    width: int
    height: int
    fps: int
    extension: str

    @property
    def name(self) -> str:
        return f"anim-s{self.start_ms}-e{self.end_ms}-w{self.width}-f{self.fps}.{self.extension}"

    @property
    def content_type(self) -> str:
        return ANIMATED_TYPES[self.extension]


Preview = Still | Animation


def plan_still(media: MediaInfo, extension: str, time_s: float | None, width: int | None) -> Still:
    """The still asked for, defaults filled in; InvalidRequest (422) naming a bad parameter."""
    if extension not in STILL_TYPES:
        raise InvalidRequest(f"thumbnails are {', '.join(STILL_TYPES)}, not {extension!r}")
    time_s = DEFAULT_STILL_AT * media.duration_s if time_s is None else time_s
    _check_time("time", time_s, media, before_end=True)
    shown_width = media.display_size[0]
    width = min(shown_width, MAX_STILL_WIDTH) if width is None else width
    _check_width(width, min(shown_width, MAX_STILL_WIDTH), shown_width)
    width, height = _even_size(media, width)
    return Still(round(time_s * 1000), width, height, extension)


def plan_animation(
    media: MediaInfo,
    extension: str,
    start_s: float | None,
    end_s: float | None,
    width: int | None,
    fps: int | None,
) -> Animation:
    """The animation asked for, defaults filled in; InvalidRequest (422) beyond the limits."""
    if extension not in ANIMATED_TYPES:
        raise InvalidRequest(f"animations are {', '.join(ANIMATED_TYPES)}, not {extension!r}")
    start_s = 0.0 if start_s is None else start_s
    _check_time("start", start_s, media, before_end=True)
    end_s = min(start_s + DEFAULT_ANIMATED_S, media.duration_s) if end_s is None else end_s
    _check_time("end", end_s, media)
    if end_s <= start_s:
        raise InvalidRequest("end must be after start")
    if end_s - start_s > MAX_ANIMATED_S:
        raise InvalidRequest(f"an animation lasts at most {MAX_ANIMATED_S:g} s (end - start)")
    shown_width = media.display_size[0]
    limit = min(shown_width, MAX_ANIMATED_WIDTH)
    width = min(DEFAULT_ANIMATED_WIDTH, shown_width) if width is None else width
    _check_width(width, limit, shown_width)
    fps = DEFAULT_ANIMATED_FPS if fps is None else fps
    if not 1 <= fps <= MAX_ANIMATED_FPS:
        raise InvalidRequest(f"fps must be from 1 to {MAX_ANIMATED_FPS}")
    width, height = _even_size(media, width)
    return Animation(round(start_s * 1000), round(end_s * 1000), width, height, fps, extension)


def _check_time(name: str, value: float, media: MediaInfo, before_end: bool = False) -> None:
    """A time within the video; `before_end`: a frame must follow it (not the end itself)."""
    if not math.isfinite(value) or value < 0:
        raise InvalidRequest(f"{name} must be a number of seconds, 0 or more")
    if value > media.duration_s or (before_end and value >= media.duration_s):
        raise InvalidRequest(
            f"{name} must be before the end of the video ({media.duration_s:.3f} s)"
        )


def _check_width(width: int, limit: int, shown_width: int) -> None:
    if width < 2:
        raise InvalidRequest("width must be at least 2 pixels")
    if width > limit:
        why = "the video's width" if limit == shown_width else "the largest preview width"
        raise InvalidRequest(f"width must be at most {limit} ({why})")


def _even_size(media: MediaInfo, width: int) -> tuple[int, int]:
    """Even sides (what 4:2:0 encoders need), the source's displayed aspect kept."""
    shown_width, shown_height = media.display_size
    width = max(2, width - width % 2)
    height = max(2, 2 * round(width * shown_height / shown_width / 2))
    return width, height


def preview_argv(
    ffmpeg: str, source: Path | str, preview: Preview, prep: VideoPrep, max_pixels: int
) -> list[str]:
    """The ffmpeg command writing `preview.name` (relative: ffmpeg runs in a scratch dir).
    `source` is a local file, or an http(s) URL such as a presigned S3 URL."""
    # The fps filter would turn a seek into a run of duplicated frames: rates are set here.
    prep = dataclasses.replace(prep, fps=0.0)
    if isinstance(preview, Still):
        seek = [*_seek(preview.time_ms)]
        steps = [*prep.chain(), scale(preview.width, preview.height)]
        return [
            *_input(ffmpeg, source, seek, max_pixels),
            *_video_only(prep),
            "-vf", ",".join(steps),
            "-frames:v", "1",
            *_still_codec(preview),
        ]  # fmt: skip
    length_ms = preview.end_ms - preview.start_ms
    seek = [*_seek(preview.start_ms), "-t", _seconds(length_ms)]
    steps = [*prep.chain(), f"fps={preview.fps}", _smooth_scale(preview.width, preview.height)]
    if preview.extension == "gif":
        steps.append(_GIF_PALETTE)
        codec = ["-c:v", "gif", "-loop", "0", "-f", "gif", preview.name]
    else:
        codec = ["-c:v", "libwebp_anim", "-loop", "0", "-quality", "70", "-f", "webp",
                 preview.name]  # fmt: skip
    return [
        *_input(ffmpeg, source, seek, max_pixels),
        *_video_only(prep),
        "-vf", ",".join(steps),
        *codec,
    ]  # fmt: skip


def _input(ffmpeg: str, source: Path | str, seek: list[str], max_pixels: int) -> list[str]:
    target = f"file:{source}" if isinstance(source, Path) else source
    return [
        ffmpeg, "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
        *input_guards(source),
        "-max_pixels", str(max_pixels),
        # Before -i: a fast seek to the keyframe before, then decoding up to the time.
        *seek,
        "-i", target,
    ]  # fmt: skip


def _seek(at_ms: int) -> list[str]:
    return ["-ss", _seconds(at_ms)]


def _seconds(ms: int) -> str:
    return f"{ms // 1000}.{ms % 1000:03d}"


def _video_only(prep: VideoPrep) -> list[str]:
    return ["-map", prep.video_map, "-an", "-sn", "-dn", "-map_metadata", "-1"]


def _smooth_scale(width: int, height: int) -> str:
    return f"scale={width}:{height}:flags=lanczos,setsar=1"


def _still_codec(still: Still) -> list[str]:
    if still.extension == "jpg":
        return ["-c:v", "mjpeg", "-q:v", "3", "-update", "1", "-f", "image2", still.name]
    if still.extension == "png":
        return ["-c:v", "png", "-update", "1", "-f", "image2", still.name]
    return ["-c:v", "libwebp", "-quality", "80", "-f", "webp", still.name]
