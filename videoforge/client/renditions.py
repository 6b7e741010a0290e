"""How a finished adaptive ladder looks: a table of its renditions (size, bandwidth, codecs,
frame rate) as its manifests declare them, and its manifest URLs, whole, one a line."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from rich.table import Table
from rich.text import Text

from videoforge.client.protocol import JSON

RENDITION_HEADERS = ("size", "bandwidth", "average", "codecs", "frame rate")


def is_ladder(result: JSON | None) -> bool:
    """Whether a job's result is a ladder's (hls, dash or cmaf with renditions)."""
    return bool((result or {}).get("renditions"))


def rendition_rows(result: JSON) -> list[tuple[str, ...]]:
    """One row per rendition, highest first as the server lists them:
    `("1280x720", "2.8 Mb/s", "2.5 Mb/s", "avc1.64001f,mp4a.40.2", "30 fps")`."""
    return [
        (
            f"{rung.get('width')}x{rung.get('height')}",
            bitrate_text(rung.get("bandwidth")),
            bitrate_text(rung.get("average_bandwidth")),
            str(rung.get("codecs") or ""),
            frame_rate_text(rung.get("frame_rate")),
        )
        for rung in result.get("renditions") or []
    ]


def renditions_table(result: JSON) -> Table:
    """The renditions of a ladder's result, captioned with its format and segments."""
    table = Table(caption=_caption(result))
    for header in RENDITION_HEADERS:
        table.add_column(header, justify="right" if header in ("bandwidth", "average") else "left")
    for row in rendition_rows(result):
        table.add_row(*(Text(value) for value in row))  # Text: codecs are not markup
    return table


def manifest_rows(result: JSON, url: Callable[[str], str]) -> Iterator[tuple[str, str]]:
    """(kind, absolute URL) of each manifest: `hls` (the master playlist) and/or `dash` (the
    MPD); the stream URL when a result names none."""
    manifests = result.get("manifests") or {}
    if not manifests and result.get("stream_url"):
        manifests = {"stream": result["stream_url"]}
    for kind, path in manifests.items():
        yield str(kind), url(str(path))


def manifest_text(result: JSON, url: Callable[[str], str]) -> str:
    """`hls   URL` and `dash  URL` lines; plain text, so a long signed URL copies whole."""
    rows = list(manifest_rows(result, url))
    width = max((len(kind) for kind, _ in rows), default=0)
    return "\n".join(f"{kind:<{width}}  {link}" for kind, link in rows)


def bitrate_text(bits_per_s: object) -> str:
    """Bits per second as `850 kb/s` or `4.2 Mb/s`; empty when unknown."""
    if not isinstance(bits_per_s, int | float) or bits_per_s <= 0:
        return ""
    if round(bits_per_s / 1000) >= 1000:
        return f"{bits_per_s / 1_000_000:.1f} Mb/s"
    return f"{bits_per_s / 1000:.0f} kb/s"


def frame_rate_text(frame_rate: object) -> str:
    """`30 fps`, `29.97 fps`; empty when unknown."""
    if not isinstance(frame_rate, int | float) or frame_rate <= 0:
        return ""
    return f"{round(frame_rate, 3):g} fps"


def _caption(result: JSON) -> str:
    count = len(result.get("renditions") or [])
    parts = [f"{result.get('format', 'ladder')}: {count} rendition{'s' if count != 1 else ''}"]
    if seconds := result.get("segment_seconds"):
        segments = f"{result.get('segment_format') or ''} segments".strip()
        parts.append(f"{segments} of {seconds:g} s")
    return ", ".join(parts)
