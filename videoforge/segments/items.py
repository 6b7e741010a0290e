"""A split job's work items as files and commands (pure), one rendition or a ladder: what
each item writes, its FFmpeg argv, and the lists that join the chunks by stream copy.

One rendition (an EncodePlan): each chunk is one file, joined with the audio into the
output by one stitch (chunks.stitch_argv). A ladder (a LadderPlan): each chunk encodes every
rung from one decode, one file per rung; each rung's chunks are joined into the MP4 the
one-run ladder encode would have written, and the audio item is that encode's audio file,
so the packager then works as ever (media.packaging).
"""

from __future__ import annotations

from videoforge.media import command, ladder_encode
from videoforge.media.command import EncodePlan
from videoforge.media.ladder_encode import LadderPlan, rung_chunk_file, rung_file
from videoforge.segments.chunks import (
    AUDIO_ITEM,
    CHUNKS_DIR,
    LIST_NAME,
    ChunkPlan,
    audio_argv,
    chunk_argv,
    chunk_name,
    concat_input,
    concat_script,
)

Split = EncodePlan | LadderPlan


def item_files(plan: Split, item: str) -> list[str]:
    """The files an item's FFmpeg writes (in CHUNKS_DIR)."""
    if isinstance(plan, EncodePlan):
        return [chunk_name(plan, item)]
    if item == AUDIO_ITEM:
        return [ladder_encode.AUDIO_FILE]
    return [rung_chunk_file(rung, int(item)) for rung in range(len(plan.renditions))]


def item_argv(ffmpeg: str, plan: Split, chunks: ChunkPlan, item: str) -> list[str]:
    if isinstance(plan, EncodePlan):
        if item == AUDIO_ITEM:
            return audio_argv(ffmpeg, plan)
        return chunk_argv(ffmpeg, plan, chunks, chunks.chunk(item))
    if item == AUDIO_ITEM:
        return ladder_encode.audio_argv(ffmpeg, plan)
    chunk = chunks.chunk(item)
    return ladder_encode.chunk_argv(ffmpeg, plan, chunk.index, chunks.start_s(chunk),
                                    chunk.frames)  # fmt: skip


def item_seconds(chunks: ChunkPlan, item: str) -> float:
    """Seconds of output an item encodes (the audio: all of it)."""
    return chunks.duration_s if item == AUDIO_ITEM else chunks.duration_of(chunks.chunk(item))


def join_lists(plan: Split, chunks: ChunkPlan) -> dict[str, str]:
    """The concat scripts to write in CHUNKS_DIR, by name: the output's one, or one per rung."""
    if isinstance(plan, EncodePlan):
        files = [chunk_name(plan, c.item) for c in chunks.chunks]
        return {LIST_NAME: concat_script(files, chunks)}
    lists = {}
    for rung in range(len(plan.renditions)):
        files = [rung_chunk_file(rung, c.index) for c in chunks.chunks]
        lists[rung_list(rung)] = concat_script(files, chunks)
    return lists


def rung_list(rung: int) -> str:
    return f"rung{rung}.ffconcat"


def rung_join_argv(ffmpeg: str, rung: int) -> list[str]:
    """One rung's chunks joined by stream copy into the file the ladder's packager reads;
    run in the ladder's ENCODED_DIR, beside CHUNKS_DIR."""
    return [
        *command.prologue(ffmpeg),  # its progress lines let a cancel stop it
        *concat_input(f"../{CHUNKS_DIR}/{rung_list(rung)}", "mp4"),
        "-map", "0:v", "-c", "copy", "-map_metadata", "-1", "-f", "mp4", rung_file(rung),
    ]  # fmt: skip
