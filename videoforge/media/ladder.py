"""Adaptive ladders (pure): the rung table, the source-aware auto ladder, explicit rungs,
bitrate caps, output frame rates and H.264 levels.

The table follows Apple's HLS authoring specification (H.264, up to 30 fps): each rung is a
16:9 box and the bitrate cap (`maxrate`) of a source that fills it. Above 30 fps a rung
carries 1.5x the bits. Encoding is capped CRF, so simple content spends less than the cap.

| lines | box       | maxrate (kbit/s) |
|-------|-----------|------------------|
| 2160  | 3840x2160 | 14000            |
| 1440  | 2560x1440 | 9000             |
| 1080  | 1920x1080 | 6000             |
| 720   | 1280x720  | 3000             |
| 540   | 960x540   | 2000             |
| 360   | 640x360   | 800              |
| 240   | 426x240   | 400              |
"""

from __future__ import annotations

from dataclasses import dataclass

from videoforge.errors import InvalidRequest
from videoforge.media.plan import fit, parse_resolution
from videoforge.models import Rendition, Resolution

MAX_RENDITIONS = 8
MAX_AUTO_RUNGS = 5
MAX_OUTPUT_FPS = 60.0
HIGH_FRAME_RATE_FACTOR = 1.5
LADDERS = ("auto",)


@dataclass(frozen=True)
class Rung:
    lines: int
    width: int
    maxrate_kbps: int


TABLE = (
    Rung(2160, 3840, 14000),
    Rung(1440, 2560, 9000),
    Rung(1080, 1920, 6000),
    Rung(720, 1280, 3000),
    Rung(540, 960, 2000),
    Rung(360, 640, 800),
    Rung(240, 426, 400),
)
# Which rungs an auto ladder leaves out first when more than MAX_AUTO_RUNGS fit the source:
# the top, the everyday middle and the lowest (for bad networks) stay.
_DROPPED_FIRST = (1440, 540)
# Frame rates players and encoders know; a measured rate within 0.5% snaps to one.
_COMMON_FPS = (23.976, 24.0, 25.0, 29.97, 30.0, 48.0, 50.0, 59.94, 60.0)


def auto_ladder(display_size: tuple[int, int], fps: float) -> list[Rendition]:
    """Rungs for a source: every table rung it fills on one side (never upscaled), at most
    MAX_AUTO_RUNGS, highest first; a source below the lowest rung gets one rung, itself."""
    width, height = display_size
    short, long = min(width, height), max(width, height)
    eligible = [r for r in TABLE if r.lines <= short or r.width <= long]
    for lines in _DROPPED_FIRST:
        if len(eligible) > MAX_AUTO_RUNGS:
            eligible = [r for r in eligible if r.lines != lines]
    sizes: list[tuple[int, int]] = []
    for rung in eligible[:MAX_AUTO_RUNGS]:
        size = fit(display_size, _box(rung, portrait=height > width))
        if size not in sizes:
            sizes.append(size)
    if not sizes:  # smaller than every rung: itself, with even sides
        sizes = [fit(display_size, Resolution(width, height))]
    return [Rendition(w, h, maxrate_kbps(w, h, fps)) for w, h in sizes]


def explicit_ladder(
    boxes: list[str], display_size: tuple[int, int], fps: float, upscale: bool = False
) -> list[Rendition]:
    """Rungs for the boxes a request names (each read like `resolution`), highest first."""
    if not boxes:
        raise InvalidRequest("renditions must name at least one size")
    if len(boxes) > MAX_RENDITIONS:
        raise InvalidRequest(f"at most {MAX_RENDITIONS} renditions, got {len(boxes)}")
    fitted: dict[tuple[int, int], str] = {}
    for text in boxes:
        box = parse_resolution(text)
        size = fit(display_size, box, upscale=upscale)
        if size in fitted:
            source = f"{display_size[0]}x{display_size[1]}"
            raise InvalidRequest(
                f"renditions {fitted[size]} and {box} both come out as {size[0]}x{size[1]} "
                f"for this {source} source: each rendition needs its own size"
            )
        fitted[size] = str(box)
    ordered = sorted(fitted, key=lambda size: size[0] * size[1], reverse=True)
    return [Rendition(w, h, maxrate_kbps(w, h, fps)) for w, h in ordered]


def check_ladder_name(name: str) -> None:
    if name not in LADDERS:
        raise InvalidRequest(f"unknown ladder {name[:40]!r}; known: {', '.join(LADDERS)}")


def maxrate_kbps(width: int, height: int, fps: float) -> int:
    """The bitrate cap of a size: that of the smallest rung whose box holds as many pixels,
    scaled by the share of the box it fills."""
    pixels = width * height
    rung = next((r for r in reversed(TABLE) if r.width * r.lines >= pixels), TABLE[0])
    share = pixels / (rung.width * rung.lines)
    rate = rung.maxrate_kbps * max(0.4, share)
    if output_fps(fps) > 30.5:
        rate *= HIGH_FRAME_RATE_FACTOR
    return max(100, round(rate / 10) * 10)


def output_fps(source_fps: float) -> float:
    """A constant output rate: the source's, halved until it is at most 60 (240 -> 60,
    100 -> 50), snapped to a common rate; 30 when the source does not say."""
    fps = source_fps if source_fps > 0 else 30.0
    while fps > MAX_OUTPUT_FPS + 0.01:
        fps /= 2
    nearest = min(_COMMON_FPS, key=lambda common: abs(fps - common))
    return nearest if abs(fps - nearest) <= nearest * 0.005 else round(fps, 3)


def fps_expression(fps: float) -> str:
    """The rate as ffmpeg wants it: NTSC rates exactly (30000/1001), others as numbers."""
    ntsc = {23.976: "24000/1001", 29.97: "30000/1001", 59.94: "60000/1001"}
    return ntsc.get(fps, f"{fps:g}")


# H.264 levels: (name, max macroblocks per frame, per second, max bitrate kbit/s for High).
_LEVELS = (
    ("2.1", 792, 19800, 5000),
    ("2.2", 1620, 20250, 5000),
    ("3.0", 1620, 40500, 12500),
    ("3.1", 3600, 108000, 17500),
    ("3.2", 5120, 216000, 25000),
    ("4.0", 8192, 245760, 25000),
    ("4.1", 8192, 245760, 62500),
    ("4.2", 8704, 522240, 62500),
    ("5.0", 22080, 589824, 168750),
    ("5.1", 36864, 983040, 300000),
    ("5.2", 36864, 2073600, 300000),
    ("6.0", 139264, 4177920, 300000),
    ("6.1", 139264, 8355840, 600000),
    ("6.2", 139264, 16711680, 1000000),
)


def h264_level(width: int, height: int, fps: float, maxrate_kbps: int) -> str:
    """The lowest level whose frame size, macroblock rate and bitrate limits hold the rung."""
    macroblocks = -(-width // 16) * -(-height // 16)
    for name, max_frame, max_rate, max_kbps in _LEVELS:
        if macroblocks <= max_frame and macroblocks * fps <= max_rate and maxrate_kbps <= max_kbps:
            return name
    return _LEVELS[-1][0]


def _box(rung: Rung, portrait: bool) -> Resolution:
    return Resolution(rung.lines, rung.width) if portrait else Resolution(rung.width, rung.lines)
