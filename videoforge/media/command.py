"""FFmpeg argv per output format (pure). Outputs are relative names: ffmpeg runs in the job dir."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from videoforge.media.encoding import Encoding
from videoforge.media.filters import VideoPrep, scale
from videoforge.media.probe import INPUT_GUARDS
from videoforge.models import Clip, OutputFormat

HLS_SEGMENT_S = 6
KEYFRAME_INTERVAL_S = 2  # divides HLS_SEGMENT_S, so every segment starts on a keyframe
AAC_AUDIO = ["-c:a", "aac", "-b:a", "128k", "-ac", "2"]
# The VBV buffer under a maxrate: two seconds at maxrate, one keyframe interval.
BUFFER_S = 2
# Forced keyframes (IDR, so closed GOPs) on a fixed clock and none elsewhere: segment cuts
# land on them, and every rendition of the same source shares boundaries.
KEYFRAME_CLOCK = [
    "-force_key_frames", f"expr:gte(t,n_forced*{KEYFRAME_INTERVAL_S})",
    "-sc_threshold", "0",
]  # fmt: skip


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
    prep: VideoPrep = field(default_factory=VideoPrep)
    # Encoder threads (0: ffmpeg's choice, one per core), sized so jobs sharing a host
    # do not each take every core.
    threads: int = 0
    clip: Clip | None = None
    # Passthrough (see media.passthrough): the source's video, or audio, is copied.
    copy_video: bool = False
    copy_audio: bool = False
    # The job's own encoder settings (a preset's); empty: the format's defaults.
    encoding: Encoding = field(default_factory=Encoding)

    @property
    def output_name(self) -> str:
        return f"{self.stem}.{self.format.extension}"


def transcode_argv(ffmpeg: str, plan: EncodePlan) -> list[str]:
    """The whole ffmpeg command for one plan."""
    return [
        *input_argv(ffmpeg, plan.input_path, plan.max_pixels, plan.clip),
        *_maps(plan),
        *([] if plan.copy_video else ["-vf", _video_filter(plan)]),
        *_codecs(plan),
        *threads_argv(plan.threads),
        *_muxer(plan),
    ]


def input_argv(
    ffmpeg: str, input_path: Path, max_pixels: int, clip: Clip | None = None
) -> list[str]:
    """Everything before the outputs: quiet, machine-readable progress, the guarded input
    (only the clip's part of it, when there is one)."""
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
        str(max_pixels),
        *_window(clip),
        "-i",
        f"file:{input_path}",
    ]


def _window(clip: Clip | None) -> list[str]:
    if clip is None:
        return []
    # As input options: ffmpeg seeks to the keyframe before start_s, then decodes and drops
    # frames up to it, so a re-encode starts on the exact frame, and audio and video are
    # cut at the same time. Output timestamps start at 0, so the keyframe clock does too.
    return ["-ss", f"{clip.start_s:.3f}", "-t", f"{clip.duration_s:.3f}"]


def threads_argv(threads: int) -> list[str]:
    return ["-threads", str(threads)] if threads > 0 else []


def _maps(plan: EncodePlan) -> list[str]:
    # Only the first video and audio streams: data, subtitle and extra tracks would make
    # the muxers (webm above all) refuse the output.
    maps = ["-map", plan.prep.video_map]
    if plan.has_audio:
        maps += ["-map", plan.prep.audio_map]
    return [*maps, "-map_metadata", "-1", "-map_chapters", "-1"]


def _video_filter(plan: EncodePlan) -> str:
    return ",".join([*plan.prep.chain(), scale(plan.width, plan.height)])


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


def _codecs(plan: EncodePlan) -> list[str]:
    encoding = plan.encoding
    if plan.format is OutputFormat.WEBM:
        # With a maxrate VP9 runs constrained quality: -b:v is then the cap.
        cap = f"{encoding.maxrate_kbps}k" if encoding.maxrate_kbps else "0"
        video = [
            "-c:v", "libvpx-vp9", "-crf", or_default(encoding.crf, 32), "-b:v", cap,
            # row-mt and cpu-used 4 make VP9 usable on small machines at a small quality cost.
            "-row-mt", "1", "-deadline", "good", "-cpu-used", "4",
            "-pix_fmt", "yuv420p",
        ]  # fmt: skip
        audio = ["-c:a", "libopus", "-b:a", f"{or_default(encoding.audio_bitrate_kbps, 96)}k",
                 "-ac", or_default(encoding.audio_channels, 2)]  # fmt: skip
    else:
        video = [
            *x264_rate(encoding, 23, plan.x264_preset, encoding.maxrate_kbps),
            # Browsers only play 8-bit 4:2:0 H.264.
            "-pix_fmt", "yuv420p", "-profile:v", "high",
        ]  # fmt: skip
        audio = aac_audio(encoding)
    if plan.format is OutputFormat.HLS:
        video += KEYFRAME_CLOCK
    video += plan.prep.color_tags()
    if plan.copy_video:
        # The source's own packets: HLS segments are then cut on its keyframes.
        video = ["-c:v", "copy"]
    if plan.copy_audio:
        audio = ["-c:a", "copy"]
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
