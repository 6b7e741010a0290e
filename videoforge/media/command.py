"""FFmpeg argv per output format (pure). Outputs are relative names: ffmpeg runs in the job dir."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from videoforge.media.probe import INPUT_GUARDS
from videoforge.models import OutputFormat

HLS_SEGMENT_S = 6
KEYFRAME_INTERVAL_S = 2  # divides HLS_SEGMENT_S, so every segment starts on a keyframe


@dataclass(frozen=True)
class EncodePlan:
    """Everything the argv depends on, as plain data."""

    input_path: Path
    stem: str
    format: OutputFormat
    width: int
    height: int
    has_audio: bool
    x264_preset: str = "veryfast"
    max_pixels: int = 7680 * 4320

    @property
    def output_name(self) -> str:
        return f"{self.stem}.{self.format.extension}"


def transcode_argv(ffmpeg: str, plan: EncodePlan) -> list[str]:
    """The whole ffmpeg command for one plan."""
    return [
        ffmpeg,
        "-hide_banner",
        "-nostdin",
        "-y",
        "-loglevel",
        "error",
        # Machine-readable progress on stdout every 0.5 s; no human stats on stderr.
        "-progress",
        "pipe:1",
        "-nostats",
        "-stats_period",
        "0.5",
        *INPUT_GUARDS,
        # A second guard against decompression bombs: the decoder refuses bigger frames.
        "-max_pixels",
        str(plan.max_pixels),
        "-i",
        f"file:{plan.input_path}",
        *_maps(plan),
        "-vf",
        _video_filter(plan),
        *_codecs(plan),
        *_muxer(plan),
    ]


def _maps(plan: EncodePlan) -> list[str]:
    # Only the first video and audio streams: data, subtitle and extra tracks would make
    # the muxers (webm above all) refuse the output.
    maps = ["-map", "0:v:0"]
    if plan.has_audio:
        maps += ["-map", "0:a:0"]
    return [*maps, "-map_metadata", "-1", "-map_chapters", "-1"]


def _video_filter(plan: EncodePlan) -> str:
    # setsar=1: the planned size already includes the source's pixel aspect ratio.
    return f"scale={plan.width}:{plan.height}:flags=bicubic,setsar=1"


def _codecs(plan: EncodePlan) -> list[str]:
    if plan.format is OutputFormat.WEBM:
        video = [
            "-c:v", "libvpx-vp9", "-crf", "32", "-b:v", "0",
            # row-mt and cpu-used 4 make VP9 usable on small machines at a small quality cost.
            "-row-mt", "1", "-deadline", "good", "-cpu-used", "4",
            "-pix_fmt", "yuv420p",
        ]  # fmt: skip
        audio = ["-c:a", "libopus", "-b:a", "96k", "-ac", "2"]
    else:
        video = [
            "-c:v", "libx264", "-preset", plan.x264_preset, "-crf", "23",
            # Browsers only play 8-bit 4:2:0 H.264.
            "-pix_fmt", "yuv420p", "-profile:v", "high",
        ]  # fmt: skip
        audio = ["-c:a", "aac", "-b:a", "128k", "-ac", "2"]
    if plan.format is OutputFormat.HLS:
        # Forced keyframes on a fixed clock, so segment cuts land on them and every
        # rendition of the same source shares boundaries.
        video += [
            "-force_key_frames", f"expr:gte(t,n_forced*{KEYFRAME_INTERVAL_S})",
            "-sc_threshold", "0",
        ]  # fmt: skip
    return video + (audio if plan.has_audio else ["-an"])


def _muxer(plan: EncodePlan) -> list[str]:
    if plan.format is OutputFormat.MP4:
        # faststart moves the index to the front so playback starts before the download ends.
        return ["-movflags", "+faststart", "-f", "mp4", plan.output_name]
    if plan.format is OutputFormat.WEBM:
        return ["-f", "webm", plan.output_name]
    return [
        "-f", "hls",
        "-hls_time", str(HLS_SEGMENT_S),
        "-hls_playlist_type", "vod",
        "-hls_segment_type", "mpegts",
        "-hls_flags", "independent_segments",
        "-hls_segment_filename", f"{plan.stem}_%05d.ts",
        plan.output_name,
    ]  # fmt: skip
