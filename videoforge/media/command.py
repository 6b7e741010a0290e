"""FFmpeg argv per output format (pure). Outputs are relative names: ffmpeg runs in the job dir."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from videoforge.media.encoding import AAC_AUDIO as AAC_AUDIO  # for callers of the argv
from videoforge.media.encoding import Encoding, aac_audio, or_default, x264_rate
from videoforge.media.filters import VideoPrep, scale
from videoforge.media.probe import INPUT_GUARDS, input_guards
from videoforge.models import Clip, OutputFormat

HLS_SEGMENT_S = 6
# Under half a frame at any rate we accept (see _window).
RESUME_EARLY_S = 0.001
# HLS timestamps start this far in, in every run: a first run's decode timestamps would
# otherwise start below zero (B-frames), and the muxer would shift that run's timeline and
# not a resumed one's, which starts later. Players take the first timestamp as it comes.
HLS_TIMELINE_START_S = 10.0

KEYFRAME_INTERVAL_S = 2  # divides HLS_SEGMENT_S, so every segment starts on a keyframe
# Forced keyframes (IDR, so closed GOPs) on a fixed clock and none elsewhere: segment cuts
# land on them, and every rendition of the same source shares boundaries.
KEYFRAME_CLOCK = [
    "-force_key_frames", f"expr:gte(t,n_forced*{KEYFRAME_INTERVAL_S})",
    "-sc_threshold", "0",
]  # fmt: skip


@dataclass(frozen=True)
class EncodePlan:
    """Everything the argv depends on, as plain data."""

    input_path: Path | str  # a local file, or a presigned URL (see input_argv)
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
    # HLS resumed after `start_number` published segments that end at `resume_s` on the
    # output's timeline (segments.playlist.resume_at): only the rest is encoded.
    start_number: int = 0
    resume_s: float = 0.0
    # Where its audio goes on (the published audio ends a little before resume_s); None:
    # with the video.
    resume_audio_s: float | None = None

    @property
    def output_name(self) -> str:
        return f"{self.stem}.{self.format.extension}"


def transcode_argv(ffmpeg: str, plan: EncodePlan) -> list[str]:
    """The whole ffmpeg command for one plan."""
    source = input_argv(ffmpeg, plan.input_path, plan.max_pixels, plan.clip, plan.resume_s,
                        plan.threads)  # fmt: skip
    return [
        *source,
        *_audio_input(plan),
        *_maps(plan),
        *([] if plan.copy_video else ["-vf", _video_filter(plan)]),
        *_codecs(plan),
        *threads_argv(plan.threads),
        *muxer_argv(plan),
    ]


def prologue(ffmpeg: str) -> list[str]:
    """Every run's start: quiet, no prompts, and machine-readable progress on stdout every
    0.5 s (no human stats on stderr), which the runner reads to check the job's guard."""
    return [ffmpeg, "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
            "-progress", "pipe:1", "-nostats", "-stats_period", "0.5"]  # fmt: skip


def input_argv(
    ffmpeg: str, input_path: Path | str, max_pixels: int, clip: Clip | None = None,
    resume_s: float = 0, threads: int = 0,
) -> list[str]:  # fmt: skip
    """Everything before the outputs: quiet, machine-readable progress, the guarded input
    (only the clip's part of it, when there is one, from `resume_s` on when resumed),
    decoded on `threads` threads (0: ffmpeg's choice). The input is a local file, or a
    stored object through a presigned URL (read in ranges: a split job's helper)."""
    return [
        *prologue(ffmpeg),
        *input_guards(input_path),
        # A second guard against decompression bombs: the decoder refuses bigger frames.
        "-max_pixels",
        str(max_pixels),
        *_window(clip, resume_s),
        # The job's thread budget holds for its decoder too: left to itself, it takes one
        # thread per core more, and jobs sharing a host (or a split job's chunks side by
        # side) would each decode on every core.
        *threads_argv(threads),
        "-i",
        f"file:{input_path}" if isinstance(input_path, Path) else input_path,
    ]


def _window(clip: Clip | None, resume_s: float = 0) -> list[str]:
    if clip is None and not resume_s:
        return []
    # As input options: ffmpeg seeks to the keyframe before start_s, then decodes and drops
    # frames up to it, so a re-encode starts on the exact frame, and audio and video are
    # cut at the same time. Output timestamps start at 0, so the keyframe clock does too.
    # A resume starts RESUME_EARLY_S before its segment's first frame: that frame's time is
    # summed from rounded durations, and a seek past it by a microsecond would drop it.
    start_s = (clip.start_s if clip else 0) + max(0.0, resume_s - RESUME_EARLY_S * bool(resume_s))
    window = ["-ss", f"{start_s:.6f}"]
    if clip is not None:
        window += ["-t", f"{clip.duration_s - max(0.0, start_s - clip.start_s):.6f}"]
    return window


def _separate_audio(plan: EncodePlan) -> bool:
    """Whether a resumed run reads its audio from a second input (see _audio_input)."""
    return plan.resume_audio_s is not None and plan.has_audio and not plan.copy_audio


def _audio_input(plan: EncodePlan) -> list[str]:
    """A resumed run reads its audio from a second input of the same file, seeked to where
    the published audio ends and placed that far from the video's first frame (_codecs),
    so the two runs' audio meets with no gap: only the encoder's priming frame overlaps."""
    if not _separate_audio(plan) or plan.resume_audio_s is None:
        return []
    clip_start_s = plan.clip.start_s if plan.clip else 0.0
    start_s = clip_start_s + plan.resume_audio_s
    return [
        *INPUT_GUARDS,
        "-ss", f"{start_s:.6f}",
        *(["-t", f"{plan.clip.end_s - start_s:.6f}"] if plan.clip else []),
        "-i", f"file:{plan.input_path}",
    ]  # fmt: skip


def threads_argv(threads: int) -> list[str]:
    return ["-threads", str(threads)] if threads > 0 else []


def _maps(plan: EncodePlan) -> list[str]:
    # Only the first video and audio streams: data, subtitle and extra tracks would make
    # the muxers (webm above all) refuse the output.
    maps = ["-map", plan.prep.video_map]
    if plan.has_audio:
        # A resumed run's audio comes from its second input (see _audio_input).
        second = _separate_audio(plan)
        maps += ["-map", "1" + plan.prep.audio_map[1:] if second else plan.prep.audio_map]
    return [*maps, "-map_metadata", "-1", "-map_chapters", "-1"]


def _video_filter(plan: EncodePlan) -> str:
    return ",".join([*plan.prep.chain(), scale(plan.width, plan.height)])


def _codecs(plan: EncodePlan) -> list[str]:
    return video_codecs(plan) + (audio_codecs(plan) if plan.has_audio else ["-an"])


def video_codecs(plan: EncodePlan) -> list[str]:
    """The video encoder's argv for a plan (a copy, when its video is copied)."""
    encoding = plan.encoding
    if plan.copy_video:
        # The source's own packets: HLS segments are then cut on its keyframes.
        return ["-c:v", "copy"]
    if plan.format is OutputFormat.WEBM:
        # With a maxrate VP9 runs constrained quality: -b:v is then the cap.
        cap = f"{encoding.maxrate_kbps}k" if encoding.maxrate_kbps else "0"
        video = [
            "-c:v", "libvpx-vp9", "-crf", or_default(encoding.crf, 32), "-b:v", cap,
            # row-mt and cpu-used 4 make VP9 usable on small machines at a small quality cost.
            "-row-mt", "1", "-deadline", "good", "-cpu-used", "4",
            "-pix_fmt", "yuv420p",
        ]  # fmt: skip
    else:
        video = [
            *x264_rate(encoding, 23, plan.x264_preset, encoding.maxrate_kbps),
            # Browsers only play 8-bit 4:2:0 H.264.
            "-pix_fmt", "yuv420p", "-profile:v", "high",
        ]  # fmt: skip
    if plan.format is OutputFormat.HLS:
        video += KEYFRAME_CLOCK
    return video + plan.prep.color_tags()


def audio_codecs(plan: EncodePlan) -> list[str]:
    """The audio encoder's argv for a plan (Opus in WebM, AAC elsewhere, or a copy)."""
    if plan.copy_audio:
        return ["-c:a", "copy"]
    encoding = plan.encoding
    if plan.format is OutputFormat.WEBM:
        audio = ["-c:a", "libopus", "-b:a", f"{or_default(encoding.audio_bitrate_kbps, 96)}k",
                 "-ac", or_default(encoding.audio_channels, 2)]  # fmt: skip
    else:
        audio = aac_audio(encoding)
    if _separate_audio(plan):
        # -itsoffset on the second input is undone by the seek; a filter's shift is not.
        shift_s = (plan.resume_audio_s or 0.0) - plan.resume_s
        audio = ["-af", f"asetpts=PTS{shift_s:+.6f}/TB", *audio]
    return audio


def muxer_argv(plan: EncodePlan) -> list[str]:
    """The output's muxer and name (HLS: its segments, timeline and numbering too)."""
    if plan.format is OutputFormat.MP4:
        # faststart moves the index to the front so playback starts before the download ends.
        return ["-movflags", "+faststart", "-f", "mp4", plan.output_name]
    if plan.format is OutputFormat.WEBM:
        return ["-f", "webm", plan.output_name]
    # A resumed run's timestamps go on from where the published segments end.
    offset_s = HLS_TIMELINE_START_S + plan.resume_s
    return [
        "-output_ts_offset", f"{offset_s:.6f}",
        "-f", "hls",
        "-hls_time", str(HLS_SEGMENT_S),
        # EVENT: FFmpeg rewrites its playlist after each segment, listing only complete ones;
        # the worker publishes them as they appear (segments.live) and writes its own.
        "-hls_playlist_type", "event",
        "-hls_segment_type", "mpegts",
        "-hls_flags", "independent_segments",
        "-start_number", str(plan.start_number),
        "-hls_segment_filename", f"{plan.stem}_%05d.ts",
        plan.output_name,
    ]  # fmt: skip
