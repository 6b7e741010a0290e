"""One video across many workers, as data (pure): whether a job is split, where its chunks
start and end (whole frames, on the segment clock), and the FFmpeg argv of a chunk, of the
audio (encoded once, for the whole file) and of the stitch that joins them by stream copy.

A chunk is a run of whole segments cut at a frame: chunk k starts at frame
round(k * chunk_s * fps) of the output and has exactly the frames up to the next chunk's
first, so the chunks partition the output's frames with none missing or doubled. Each
starts on a keyframe (an encode's first frame is one), and HLS chunks keep the 2 s keyframe
clock from there, so segments cut after the stitch fall where a single run's would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from videoforge.media import command
from videoforge.media.command import EncodePlan
from videoforge.media.filters import scale
from videoforge.media.ladder import fps_expression
from videoforge.models import OutputFormat

# The formats a one-rendition job may be split in (a ladder may be, in any of its formats).
CHUNKED_FORMATS = (OutputFormat.MP4, OutputFormat.WEBM, OutputFormat.HLS)
AUDIO_ITEM = "audio"
# Where a participant's work items and the stitch's list are kept, beside the output dir
# the stitch runs in (so that nothing but the output is published from there).
CHUNKS_DIR = "chunks"
LIST_NAME = "chunks.ffconcat"
# A last chunk shorter than this joins the one before (its encoder's start-up would cost
# more than it saves).
MIN_LAST_CHUNK_S = 2.0


@dataclass(frozen=True)
class Chunk:
    """Frames [start_frame, start_frame + frames) of the output; frames None: to the end."""

    index: int
    start_frame: int
    frames: int | None

    @property
    def item(self) -> str:
        return str(self.index)


@dataclass(frozen=True)
class ChunkPlan:
    """A split job: its chunks, its output frame rate and whether audio is a work item."""

    fps: float
    chunks: tuple[Chunk, ...]
    has_audio: bool
    duration_s: float
    # The job's attempt's encoder preset: every host encodes with it (a stream copy joins
    # only chunks whose H.264 headers agree), whatever its own X264_PRESET says.
    x264_preset: str = "veryfast"

    @property
    def items(self) -> list[str]:
        """Work items in the order they are claimed: the audio first (it is short work, and
        the stitch needs it like every chunk), then the chunks in order."""
        return [*([AUDIO_ITEM] if self.has_audio else []), *(c.item for c in self.chunks)]

    def start_s(self, chunk: Chunk) -> float:
        return chunk.start_frame / self.fps

    def duration_of(self, chunk: Chunk) -> float:
        """A chunk's seconds of output (the last one's: up to the output's end)."""
        if chunk.frames is None:
            return max(0.0, self.duration_s - self.start_s(chunk))
        return chunk.frames / self.fps

    def chunk(self, item: str) -> Chunk:
        return self.chunks[int(item)]

    def to_dict(self) -> dict[str, Any]:
        return {"fps": self.fps, "has_audio": self.has_audio, "duration_s": self.duration_s,
                "chunks": [[c.start_frame, c.frames] for c in self.chunks],
                "x264_preset": self.x264_preset}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChunkPlan:
        chunks = tuple(Chunk(n, start, frames) for n, (start, frames) in enumerate(data["chunks"]))
        return cls(float(data["fps"]), chunks, bool(data["has_audio"]), float(data["duration_s"]),
                   str(data.get("x264_preset", "veryfast")))  # fmt: skip


def exact_fps(fps: float) -> float:
    """The rate the fps filter really makes (29.97 is 30000/1001): chunk starts are found
    from it, and a millisecond's error at an hour would seek to the wrong frame."""
    numerator, _, denominator = fps_expression(fps).partition("/")
    return float(numerator) / float(denominator or 1)


def plan_chunks(
    duration_s: float, fps: float, chunk_s: float, has_audio: bool, segment_s: float,
    x264_preset: str = "veryfast",
) -> ChunkPlan:  # fmt: skip
    """Chunks of about `chunk_s`, each a whole number of `segment_s` segments; `fps` is the
    output's exact rate."""
    per_chunk_s = segment_s * max(1, round(chunk_s / segment_s))
    count = max(1, math.ceil(duration_s / per_chunk_s - 1e-9))
    if count > 1 and duration_s - (count - 1) * per_chunk_s < MIN_LAST_CHUNK_S:
        count -= 1
    starts = [round(k * per_chunk_s * fps) for k in range(count)]
    chunks = tuple(
        Chunk(k, start, starts[k + 1] - start if k + 1 < count else None)
        for k, start in enumerate(starts)
    )
    return ChunkPlan(fps, chunks, has_audio, duration_s, x264_preset)


def wants_split(
    parallel: bool | None, fmt: OutputFormat, ladder: bool, duration_s: float, fps: float,
    min_duration_s: float,
) -> bool:  # fmt: skip
    """Whether a job is split: asked for (`parallel` True), or left to us (None) and at
    least `min_duration_s` long; a ladder in any streaming format, one rendition in
    CHUNKED_FORMATS; never with an unknown frame rate (chunks are counted in frames)."""
    if parallel is False or fps <= 0 or not (ladder or fmt in CHUNKED_FORMATS):
        return False
    return parallel is True or duration_s >= min_duration_s


def chunk_name(plan: EncodePlan, item: str) -> str:
    """A work item's file, as FFmpeg writes it in the scratch dir."""
    if item == AUDIO_ITEM:
        return "audio.webm" if plan.format is OutputFormat.WEBM else "audio.m4a"
    return f"chunk_{int(item):05d}.{_container(plan)}"


def _container(plan: EncodePlan) -> str:
    return "webm" if plan.format is OutputFormat.WEBM else "mp4"


def chunk_argv(ffmpeg: str, plan: EncodePlan, chunks: ChunkPlan, chunk: Chunk) -> list[str]:
    """One chunk's video: seek to its first frame, encode exactly its frames, no audio.
    The seek lands RESUME_EARLY_S before that frame (see command._window), and `-frames:v`
    counts frames after the fps filter: the output's frames, as the plan counts them."""
    start_s = chunks.start_s(chunk)
    source = command.input_argv(ffmpeg, plan.input_path, plan.max_pixels, plan.clip, start_s,
                                plan.threads)  # fmt: skip
    argv = [
        *source,
        "-map", plan.prep.video_map, "-map_metadata", "-1", "-map_chapters", "-1",
        "-vf", ",".join([*plan.prep.chain(), scale(plan.width, plan.height)]),
        *command.video_codecs(plan),
        *command.threads_argv(plan.threads),
        *(["-frames:v", str(chunk.frames)] if chunk.frames is not None else []),
        "-an", "-f", _container(plan), chunk_name(plan, chunk.item),
    ]  # fmt: skip
    return argv


def audio_argv(ffmpeg: str, plan: EncodePlan) -> list[str]:
    """The whole output's audio in one run: no joins in it, and it starts with the video."""
    source = command.input_argv(ffmpeg, plan.input_path, plan.max_pixels, plan.clip,
                                threads=plan.threads)  # fmt: skip
    return [
        *source,
        "-map", plan.prep.audio_map, "-map_metadata", "-1", "-vn",
        *command.audio_codecs(plan),
        "-f", _container(plan), chunk_name(plan, AUDIO_ITEM),
    ]  # fmt: skip


def concat_list(plan: EncodePlan, chunks: ChunkPlan) -> str:
    """The concat demuxer's script. Each chunk's duration is given in whole frames: the
    demuxer would otherwise place the next chunk after the last packet's end as the file
    states it, which an encoder's reordering delay can shift by a frame."""
    return concat_script([chunk_name(plan, c.item) for c in chunks.chunks], chunks)


def concat_script(files: list[str], chunks: ChunkPlan) -> str:
    """The concat script of one file per chunk, in order (see concat_list)."""
    lines = ["ffconcat version 1.0"]
    for name, chunk in zip(files, chunks.chunks, strict=True):
        lines.append(f"file '{name}'")
        if chunk.frames is not None:
            lines.append(f"duration {chunks.duration_of(chunk):.6f}")
    return "\n".join(lines) + "\n"


def stitch_argv(ffmpeg: str, plan: EncodePlan, has_audio: bool) -> list[str]:
    """The chunks (and the audio) joined by stream copy into the output as a single run
    would mux it (MP4 with +faststart, WebM, or HLS segments). It runs in the output dir;
    the list names its chunks relative to itself, in CHUNKS_DIR."""
    container, folder = _container(plan), f"../{CHUNKS_DIR}"
    return [
        *command.prologue(ffmpeg),
        *concat_input(f"{folder}/{LIST_NAME}", container),
        # Whitelists are per input: the audio's are given again.
        *(["-protocol_whitelist", "file", "-format_whitelist", container,
           "-i", f"{folder}/{chunk_name(plan, AUDIO_ITEM)}"] if has_audio else []),
        "-map", "0:v", *(["-map", "1:a"] if has_audio else []),
        "-c", "copy", "-map_metadata", "-1",
        *command.muxer_argv(plan),
    ]  # fmt: skip


def concat_input(list_path: str, container: str) -> list[str]:
    """The concat demuxer reading a list of our own `container` files. `-safe 0`: the list
    names them by a relative path that goes up a folder (../chunks), which it would refuse."""
    return ["-protocol_whitelist", "file", "-format_whitelist", f"concat,{container}",
            "-f", "concat", "-safe", "0", "-i", list_path]  # fmt: skip
