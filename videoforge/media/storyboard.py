"""Storyboards (pure): one sprite of evenly spaced tiles for a video, and its WebVTT and
JSON descriptions, for previews over a player's seek bar.

50 tiles for videos under 15 minutes and 100 above (as Mux does), 160 pixels wide, ten to a
row. Tile i covers [i * duration / count, (i + 1) * duration / count): the cues cover the
whole video back to back.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from videoforge.media.filters import VideoPrep, scale
from videoforge.media.plan import even
from videoforge.media.probe import input_guards
from videoforge.models import MediaInfo

SPRITE = "storyboard.jpg"
LAYOUT = "storyboard.json"
LONG_VIDEO_S = 15 * 60
TILE_WIDTH = 160
COLUMNS = 10
# Above this, only keyframes are decoded: tiles of a long video need not be exact, and
# decoding every frame of an hour would take a worker most of that hour.
KEYFRAMES_ONLY_ABOVE_S = 120.0


@dataclass(frozen=True)
class Storyboard:
    duration_s: float
    count: int
    tile_width: int
    tile_height: int
    columns: int = COLUMNS

    @property
    def rows(self) -> int:
        return -(-self.count // self.columns)

    @property
    def interval_s(self) -> float:
        return self.duration_s / self.count

    def tiles(self) -> list[dict[str, Any]]:
        """Each tile's start time and its top-left corner in the sprite."""
        return [
            {
                "start": round(index * self.interval_s, 3),
                "x": (index % self.columns) * self.tile_width,
                "y": (index // self.columns) * self.tile_height,
            }
            for index in range(self.count)
        ]


def plan_storyboard(media: MediaInfo) -> Storyboard:
    width, height = media.display_size
    tile_width = min(TILE_WIDTH, even(width))
    tile_height = even(tile_width * height / width)
    count = 100 if media.duration_s >= LONG_VIDEO_S else 50
    return Storyboard(media.duration_s, count, tile_width, tile_height)


def storyboard_argv(
    ffmpeg: str, source: Path | str, board: Storyboard, prep: VideoPrep, max_pixels: int
) -> list[str]:
    """The ffmpeg command writing SPRITE (ffmpeg runs in a scratch dir)."""
    target = f"file:{source}" if isinstance(source, Path) else source
    keyframes = ["-skip_frame", "nokey"] if board.duration_s > KEYFRAMES_ONLY_ABOVE_S else []
    steps = [
        *dataclasses.replace(prep, fps=0.0).chain(),
        # `count` frames over the video, one per tile, then laid out in one picture.
        f"fps={board.count}/{board.duration_s:.3f}",
        scale(board.tile_width, board.tile_height),
        f"tile={board.columns}x{board.rows}",
    ]
    return [
        ffmpeg, "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
        *input_guards(source), "-max_pixels", str(max_pixels), *keyframes, "-i", target,
        "-map", prep.video_map, "-an", "-sn", "-dn", "-map_metadata", "-1",
        "-vf", ",".join(steps), "-frames:v", "1",
        "-c:v", "mjpeg", "-q:v", "4", "-update", "1", "-f", "image2", SPRITE,
    ]  # fmt: skip


def layout(board: Storyboard) -> dict[str, Any]:
    """What storyboard.json says (its `url` relative to the storyboard's own URL)."""
    return {
        "url": SPRITE,
        "tile_width": board.tile_width,
        "tile_height": board.tile_height,
        "duration": board.duration_s,
        "tiles": board.tiles(),
    }


def vtt(described: dict[str, Any]) -> str:
    """WebVTT from a layout: one cue per tile, back to back from 0 to the duration, each
    naming its tile as `url#xywh=x,y,w,h`."""
    tiles, duration = described["tiles"], float(described["duration"])
    width, height = described["tile_width"], described["tile_height"]
    lines = ["WEBVTT", ""]
    for index, tile in enumerate(tiles):
        end = tiles[index + 1]["start"] if index + 1 < len(tiles) else duration
        lines += [
            f"{_timestamp(tile['start'])} --> {_timestamp(end)}",
            f"{described['url']}#xywh={tile['x']},{tile['y']},{width},{height}",
            "",
        ]
    return "\n".join(lines)


def _timestamp(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"
