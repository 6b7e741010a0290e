"""HLS media playlists as segment lists (pure): reading FFmpeg's (which lists a segment
once it is complete) and ours, writing ours (an EVENT playlist, ended with EXT-X-ENDLIST),
and where a new attempt resumes."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

# The segments FFmpeg's hls muxer names: `{stem}_{index:05d}.ts` (media.command).
SEGMENT_DIGITS = 5


@dataclass(frozen=True)
class Segment:
    uri: str
    duration_s: float


@dataclass(frozen=True)
class ResumeAt:
    """Where an attempt starts when earlier ones published `index` segments: the first
    missing segment's number and its start on the output's timeline (seconds), and where
    the published audio ends (a little before: the muxer files the audio frames that come
    after the cut's keyframe in decoding order into the next segment, or a little after).
    None: unknown, or no audio."""

    index: int
    start_s: float
    audio_start_s: float | None = None


def segment_packets_argv(ffprobe: str, segment: str) -> list[str]:
    """ffprobe's JSON of a segment's packets (stream, time, duration) and stream kinds."""
    return [ffprobe, "-v", "error", "-protocol_whitelist", "file", "-show_entries",
            "packet=stream_index,pts_time,duration_time:stream=index,codec_type",
            "-of", "json", f"file:{segment}"]  # fmt: skip


def audio_end_s(probe: dict[str, Any], segment_start_s: float) -> float | None:
    """Where a published segment's audio ends on the output's timeline, from its packets
    (segment_packets_argv): the segment's first video frame is at `segment_start_s`."""
    kinds = {stream["index"]: stream.get("codec_type") for stream in probe.get("streams", [])}
    video, audio_ends = [], []
    for packet in probe.get("packets", []):
        kind = kinds.get(packet.get("stream_index"))
        if "pts_time" not in packet:
            continue
        if kind == "video":
            video.append(float(packet["pts_time"]))
        elif kind == "audio":
            audio_ends.append(float(packet["pts_time"]) + float(packet.get("duration_time", 0)))
    if not video or not audio_ends:
        return None
    return round(segment_start_s + max(audio_ends) - min(video), 6)


def listed_segments(playlist: str) -> list[Segment]:
    """The segments a media playlist lists, in order (EXTINF durations, their URIs)."""
    segments: list[Segment] = []
    duration_s: float | None = None
    for raw in playlist.splitlines():
        line = raw.strip()
        if line.startswith("#EXTINF:"):
            duration_s = float(line.removeprefix("#EXTINF:").split(",", 1)[0])
        elif line and not line.startswith("#") and duration_s is not None:
            segments.append(Segment(line.split("?", 1)[0], duration_s))
            duration_s = None
    return segments


def is_ended(playlist: str) -> bool:
    return "#EXT-X-ENDLIST" in playlist


def media_playlist(segments: list[Segment], ended: bool, target_s: int) -> str:
    """Our playlist of `segments`: an EVENT playlist, which only grows (players reload it),
    with EXT-X-ENDLIST once `ended`. RFC 8216 6.2.1 lets an EVENT playlist change only by
    appending, so its type stays EVENT at the end and its target duration is fixed up front
    (`target_s`; raised only if a segment is longer, which the tag must never be below)."""
    target_s = max([target_s, *(math.ceil(round(s.duration_s, 3)) for s in segments)])
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{target_s}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:EVENT",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    for segment in segments:
        lines += [f"#EXTINF:{segment.duration_s:.6f},", segment.uri]
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def segment_index(uri: str) -> int | None:
    """A segment's number from its name (`..._00012.ts` is 12); None for other names."""
    stem, dot, _ = uri.rpartition(".")
    digits = stem.rpartition("_")[2]
    if not dot or len(digits) != SEGMENT_DIGITS or not (digits.isascii() and digits.isdigit()):
        return None
    return int(digits)


def resume_at(published: list[Segment]) -> ResumeAt | None:
    """Where to resume after the segments an earlier attempt published; None when there
    are none, or they are not the unbroken run 0, 1, 2... that a resume continues."""
    indices = [segment_index(s.uri) for s in published]
    if not published or indices != list(range(len(published))):
        return None
    return ResumeAt(len(published), round(sum(s.duration_s for s in published), 6))


# Published audio ends within a few frames of the video's cut; anything further off is not
# a reading to trust, and the audio then resumes with the video.
MAX_AUDIO_OFFSET_S = 0.5


def with_audio_start(at: ResumeAt, audio_start_s: float | None) -> ResumeAt:
    """`at`, resuming the audio where the published audio ends, when that is known."""
    if audio_start_s is None or abs(audio_start_s - at.start_s) > MAX_AUDIO_OFFSET_S:
        return at
    return replace(at, audio_start_s=audio_start_s)
