"""Passthrough (pure): whether a source is already fit to stream, so that its video can be
copied instead of encoded again (what Mux calls "standard input").

Fit means all of these:
- H.264, 8-bit 4:2:0 (yuv420p), Baseline, Main or High profile, progressive, SDR;
- the output is the source's own size: no scaling, square pixels, no rotation to apply;
- a constant frame rate of at most 60 fps;
- keyframes at most MAX_KEYFRAME_GAP_S apart (segments are cut on them);
- an average bitrate at most MAX_KBPS_1080P, scaled by pixels (8 Mbit/s at 1080p).

Audio is copied when it is AAC-LC stereo (or mono); any other audio is encoded alone.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from videoforge.media.probe import INPUT_GUARDS
from videoforge.models import MediaInfo

MAX_KEYFRAME_GAP_S = 10.0
MAX_KBPS_1080P = 8000
MAX_FPS = 60.0
_PROFILES = {"Baseline", "Constrained Baseline", "Main", "High"}


def max_kbps(width: int, height: int) -> int:
    """The bitrate a fit source may have: 8 Mbit/s at 1080p, scaled by pixels."""
    return round(MAX_KBPS_1080P * width * height / (1920 * 1080))


def unfit_reason(media: MediaInfo, size: tuple[int, int]) -> str | None:
    """Why the source's video cannot be copied to an output of `size`; None if it can."""
    if media.video_codec != "h264":
        return f"the video is {media.video_codec}, not H.264"
    if media.pix_fmt != "yuv420p":
        return f"the video is {media.pix_fmt or 'of unknown format'}, not 8-bit 4:2:0"
    if media.video_profile not in _PROFILES:
        return f"the H.264 profile is {media.video_profile or 'unknown'}"
    if media.interlaced or media.hdr:
        return "the video is interlaced or HDR"
    if size != (media.width, media.height) or not media.square_pixels or media.rotation_deg:
        return "the output is not the source's own size and shape"
    if not media.constant_rate or not 0 < media.fps <= MAX_FPS:
        return f"the frame rate is not constant and at most {MAX_FPS:g} fps"
    cap_kbps = max_kbps(media.width, media.height)
    if media.video_bitrate_bps <= 0 or media.video_bitrate_bps > cap_kbps * 1000:
        return f"the bitrate is not known to be at most {cap_kbps} kbit/s"
    return None


def audio_copyable(media: MediaInfo) -> bool:
    return (
        media.audio_codec == "aac"
        and media.audio_profile == "LC"
        and (0 < media.audio_channels <= 2)
    )


def keyframes_argv(ffprobe: str, path: Path, video_index: int | None) -> list[str]:
    """ffprobe listing the video's packets (time and flags): no decoding, one read."""
    stream = "v:0" if video_index is None else str(video_index)
    return [
        ffprobe, "-hide_banner", "-v", "error", *INPUT_GUARDS,
        "-select_streams", stream, "-show_entries", "packet=pts_time,flags",
        "-of", "csv=p=0", f"file:{path}",
    ]  # fmt: skip


def max_keyframe_gap_s(packets_csv: str, duration_s: float) -> float:
    """The longest time between keyframes (and from the last one to the end), from
    keyframes_argv's output (`pts_time,flags` per line, `K` flags a keyframe)."""
    times = []
    for line in packets_csv.splitlines():
        pts, _, flags = line.partition(",")
        if "K" in flags:
            try:
                times.append(float(pts))
            except ValueError:
                continue
    if not times:
        return float("inf")
    times.sort()
    edges = [0.0, *times, duration_s] if times[0] > 0 else [*times, duration_s]
    return max(later - earlier for earlier, later in itertools.pairwise(edges))
