"""Resolution parsing and fitting: pure functions over plain numbers.

The rule: the output fits inside the requested box, keeps the source's display aspect ratio
and has even sides (H.264 and VP9 in yuv420p need them). It is never larger than the source
unless the request says `upscale`. `-2` on one side of the box means "any height" (or width):
only the other side constrains the fit.
"""

from __future__ import annotations

import re

from videoforge.errors import InvalidRequest
from videoforge.models import Resolution

MAX_LONG_SIDE_PX = 7680
MAX_SHORT_SIDE_PX = 4320
AUTO = -2
_RESOLUTION = re.compile(r"^\s*(-?\d{1,5})\s*[:x]\s*(-?\d{1,5})\s*$")


def parse_resolution(text: str) -> Resolution:
    """Parse "W:H" (or "WxH"): positive even sides up to 7680x4320, or -2 on one side."""
    match = _RESOLUTION.match(text) if len(text) <= 32 else None
    if not match:
        raise InvalidRequest(f"resolution must look like 1920:1080, got {text[:40]!r}")
    width, height = int(match.group(1)), int(match.group(2))
    if width == AUTO and height == AUTO:
        raise InvalidRequest("resolution may use -2 on one side only")
    for side in (width, height):
        if side == AUTO:
            continue
        if side <= 0 or side % 2:
            raise InvalidRequest(
                f"resolution sides must be positive even numbers or -2, got {text[:40]!r}"
            )
    sides = sorted(s for s in (width, height) if s != AUTO)
    if sides[-1] > MAX_LONG_SIDE_PX or (len(sides) == 2 and sides[0] > MAX_SHORT_SIDE_PX):
        raise InvalidRequest(
            f"resolution may be at most 7680x4320 (either orientation), got {text[:40]!r}"
        )
    return Resolution(width, height)


def even(value: float) -> int:
    """Round to the nearest even integer, at least 2."""
    return max(2, round(value / 2) * 2)


def fit(source: tuple[int, int], box: Resolution, upscale: bool = False) -> tuple[int, int]:
    """Output size for a source of display size `source` asked to fit in `box`."""
    source_w, source_h = source
    scales = []
    if box.width != AUTO:
        scales.append(box.width / source_w)
    if box.height != AUTO:
        scales.append(box.height / source_h)
    scale = min(scales)
    if not upscale:
        scale = min(scale, 1.0)
    width, height = even(source_w * scale), even(source_h * scale)
    # Rounding to even may push a side a pixel past the box, or past an odd-sized source;
    # pull it back inside by rounding down instead.
    limits = [box.width, box.height]
    if not upscale:
        limits = [_min_known(limits[0], source_w), _min_known(limits[1], source_h)]
    return _round_down_past(width, limits[0]), _round_down_past(height, limits[1])


def _min_known(box_side: int, source_side: int) -> int:
    return source_side if box_side == AUTO else min(box_side, source_side)


def _round_down_past(side: int, limit: int) -> int:
    if limit == AUTO or side <= limit:
        return side
    return max(2, limit - limit % 2)
