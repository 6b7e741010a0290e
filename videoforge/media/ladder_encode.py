"""The one-decode ladder encode (pure argv): ffmpeg decodes the source once, prepares it
once (deinterlace, tone-map, constant rate), splits it to every rung and encodes the audio
once, as its own rendition. Each rung and the audio go to their own MP4, which the packager
then cuts into segments (see media.packaging)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from videoforge.media.command import KEYFRAME_CLOCK, input_argv, threads_argv
from videoforge.media.encoding import BUFFER_S as BUFFER_S  # the rungs' VBV buffer
from videoforge.media.encoding import Encoding, aac_audio, x264_rate
from videoforge.media.filters import VideoPrep, scale
from videoforge.media.ladder import h264_level
from videoforge.models import Clip, Rendition

ENCODED_DIR = "encoded"
AUDIO_FILE = "audio.mp4"
# The FIFO a live-packaged ladder is encoded into (see live_argv).
LIVE_PIPE = "live.ts"
LIVE_AUDIO_HZ = 48000
# The quality target; maxrate caps it where the content is hard (capped CRF).
LADDER_CRF = 23


@dataclass(frozen=True)
class LadderPlan:
    """Everything the ladder argv depends on, as plain data."""

    input_path: Path | str  # a local file, or a presigned URL (see command.input_argv)
    renditions: tuple[Rendition, ...]
    has_audio: bool
    prep: VideoPrep = field(default_factory=VideoPrep)
    x264_preset: str = "veryfast"
    max_pixels: int = 7680 * 4320
    # Encoder threads of each rung (0: ffmpeg's choice). Each rung gets the job's count:
    # the rungs run side by side and the top one sets the pace, so splitting the count
    # among them (measured: the top rung on one thread) made a ladder slower than
    # separate jobs; the smaller rungs use less CPU on their own.
    threads: int = 0
    clip: Clip | None = None
    # Passthrough (see media.passthrough): the top rung is the source's video, copied, and
    # the other rungs take their keyframes where the source has them; the audio is copied.
    copy_top: bool = False
    copy_audio: bool = False
    # The job's own encoder settings (a preset's); a maxrate caps every rung.
    encoding: Encoding = field(default_factory=Encoding)


def rung_file(index: int) -> str:
    return f"rung{index}.mp4"


def ladder_argv(ffmpeg: str, plan: LadderPlan) -> list[str]:
    """The ffmpeg command, run in ENCODED_DIR: one MP4 per rung, and AUDIO_FILE."""
    argv = [*input_argv(ffmpeg, plan.input_path, plan.max_pixels, plan.clip,
                        threads=plan.threads)]  # fmt: skip
    encoded = _encoded(plan)
    if encoded:
        argv += ["-filter_complex", _graph(plan, encoded)]
    if plan.copy_top:
        argv += ["-map", plan.prep.video_map, "-c:v", "copy", *_UNTAGGED, "-f", "mp4",
                 rung_file(0)]  # fmt: skip
    for index in encoded:
        argv += _rung_output(plan, index, plan.renditions[index])
    if plan.has_audio:
        argv += _audio_output(plan)
    return argv


def _audio_output(plan: LadderPlan) -> list[str]:
    audio = ["-c:a", "copy"] if plan.copy_audio else aac_audio(plan.encoding)
    return ["-map", plan.prep.audio_map, "-vn", *audio, *_UNTAGGED, "-f", "mp4", AUDIO_FILE]


def rung_chunk_file(index: int, chunk: int) -> str:
    return f"rung{index}_chunk_{chunk:05d}.mp4"


def chunk_argv(ffmpeg: str, plan: LadderPlan, chunk: int, start_s: float,
               frames: int | None) -> list[str]:  # fmt: skip
    """One chunk of every rung of a split ladder (segments.chunks): the input seeked to the
    chunk's first frame, exactly `frames` frames in each rung (None: to the end), no audio;
    one MP4 per rung, as `rung_chunk_file` names them. Never a copied top rung."""
    encoded = list(range(len(plan.renditions)))
    argv = [*input_argv(ffmpeg, plan.input_path, plan.max_pixels, plan.clip, start_s,
                        plan.threads), "-filter_complex", _graph(plan, encoded)]  # fmt: skip
    limit = ["-frames:v", str(frames)] if frames is not None else []
    for index in encoded:
        output = _rung_output(plan, index, plan.renditions[index])  # ends -f mp4 NAME
        argv += [*output[:-3], *limit, "-f", "mp4", rung_chunk_file(index, chunk)]
    return argv


def audio_argv(ffmpeg: str, plan: LadderPlan) -> list[str]:
    """A split ladder's audio alone, whole: AUDIO_FILE as the one-run ladder writes it."""
    source = input_argv(ffmpeg, plan.input_path, plan.max_pixels, plan.clip,
                        threads=plan.threads)  # fmt: skip
    return [*source, *_audio_output(plan)]


_UNTAGGED = ["-map_metadata", "-1", "-map_chapters", "-1"]
# With a copied top rung the keyframes are the source's (at most 10 s apart): the encoded
# rungs put theirs at the same times and nowhere else, so every rung cuts alike.
_SOURCE_KEYFRAMES = ["-force_key_frames", "source", "-sc_threshold", "0", "-g", "1200"]


def _encoded(plan: LadderPlan) -> list[int]:
    """The rungs ffmpeg encodes (all but a copied top one)."""
    return list(range(1 if plan.copy_top else 0, len(plan.renditions)))


def _graph(plan: LadderPlan, encoded: list[int]) -> str:
    """`[0:1]prep,split=3[s0][s1][s2];[s0]scale=..[v0];...`: one decode feeds every rung."""
    source = f"[{plan.prep.video_map}]"
    head = ",".join([*plan.prep.chain(), f"split={len(encoded)}"])
    graph = [source + head + "".join(f"[s{i}]" for i in encoded)]
    for index in encoded:
        rung = plan.renditions[index]
        graph.append(f"[s{index}]{scale(rung.width, rung.height)},format=yuv420p[v{index}]")
    return ";".join(graph)


def rung_maxrate_kbps(rung: Rendition, encoding: Encoding) -> int:
    """The rung's planned cap, or the job's own maxrate when that is lower."""
    if encoding.maxrate_kbps is None:
        return rung.maxrate_kbps
    return min(rung.maxrate_kbps, encoding.maxrate_kbps)


def _rung_output(plan: LadderPlan, index: int, rung: Rendition) -> list[str]:
    return ["-map", f"[v{index}]", *_rung_codec(plan, rung), "-an", *_UNTAGGED, "-f", "mp4",
            rung_file(index)]  # fmt: skip


def _rung_codec(plan: LadderPlan, rung: Rendition) -> list[str]:
    """The rung's encoder options, as option and value pairs."""
    fps = plan.prep.fps or 30.0
    maxrate_kbps = rung_maxrate_kbps(rung, plan.encoding)
    return [
        *x264_rate(plan.encoding, LADDER_CRF, plan.x264_preset, maxrate_kbps),
        # Browsers only play 8-bit 4:2:0 H.264; the level tells players what the rung needs.
        "-pix_fmt", "yuv420p", "-profile:v", "high",
        "-level:v", h264_level(rung.width, rung.height, fps, maxrate_kbps),
        *(_SOURCE_KEYFRAMES if plan.copy_top else KEYFRAME_CLOCK),
        *plan.prep.color_tags(),
        *threads_argv(plan.threads),
    ]  # fmt: skip


def live_argv(ffmpeg: str, plan: LadderPlan) -> list[str]:
    """The ladder as one MPEG-TS stream into LIVE_PIPE, which Shaka Packager reads as it is
    written (media.packaging, `live`): the rungs in order, then the audio. Never copies.

    One stream, not one per rung: ffmpeg shifts each output's timestamps so none is
    negative, by the B-frame delay of a video output but by the AAC priming of an audio
    one, so separate outputs would put the audio 43 ms off the video. The audio is 48 kHz:
    the packager times TS input in 90 kHz ticks, a 1024-sample AAC frame at 44.1 kHz is
    2089.8 ticks, and it rounds each frame down, which leaves a gap at every segment's end
    (at 48 kHz a frame is 1920 ticks exactly)."""
    encoded = list(range(len(plan.renditions)))
    source = input_argv(ffmpeg, plan.input_path, plan.max_pixels, plan.clip,
                        threads=plan.threads)  # fmt: skip
    argv = [*source, "-filter_complex", _graph(plan, encoded)]
    for index in encoded:
        codec = _rung_codec(plan, plan.renditions[index])
        argv += ["-map", f"[v{index}]", *for_stream(codec, f"v:{index}")]
    if plan.has_audio:
        argv += ["-map", plan.prep.audio_map, *aac_audio(plan.encoding), "-ar", str(LIVE_AUDIO_HZ)]
    # No mux delay: the packager would otherwise start every track 1.4 s late.
    return [*argv, *_UNTAGGED, "-muxdelay", "0", "-muxpreload", "0", "-f", "mpegts", LIVE_PIPE]


def for_stream(pairs: list[str], stream: str) -> list[str]:
    """Option and value pairs for one stream of an output of several: `-crf 23` for stream
    `v:1` is `-crf:v:1 23` (a specifier already there, as in `-profile:v`, is replaced)."""
    out: list[str] = []
    for option, value in zip(pairs[::2], pairs[1::2], strict=True):
        assert option.startswith("-"), option
        out += [f"{option.split(':', 1)[0]}:{stream}", value]
    return out
