"""Reading and rewriting manifests (pure): what renditions a master playlist or MPD
declares, and every URI inside them given query strings (signatures) or absolute URLs.

Only manifests videoforge's packager wrote are read here, so the forms are known: URI lines
and `URI="..."` attributes in playlists, `initialization` and `media` templates in MPDs.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from html import escape, unescape
from typing import Any

_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')
_URI_ATTRIBUTE = re.compile(r'URI="([^"]*)"')
_MPD_TEMPLATE = re.compile(r'\b(initialization|media)="([^"]*)"')
_MPD_NS = "{urn:mpeg:dash:schema:mpd:2011}"


def attributes(tag_line: str) -> dict[str, str]:
    """`#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS="a,b"` -> {"BANDWIDTH": "1", "CODECS": "a,b"}."""
    _, _, attribute_list = tag_line.partition(":")
    return {key: value.strip('"') for key, value in _ATTRIBUTE.findall(attribute_list)}


def hls_variants(master: str) -> list[dict[str, Any]]:
    """Each EXT-X-STREAM-INF of a master playlist: size, bandwidths, codecs, rate, URI."""
    variants = []
    lines = [line.strip() for line in master.splitlines()]
    for index, line in enumerate(lines):
        if not line.startswith("#EXT-X-STREAM-INF:"):
            continue
        found = attributes(line)
        width, _, height = found.get("RESOLUTION", "0x0").partition("x")
        uri = next((x for x in lines[index + 1 :] if x and not x.startswith("#")), "")
        variants.append({
            "width": int(width),
            "height": int(height),
            "bandwidth": int(found.get("BANDWIDTH", 0)),
            "average_bandwidth": int(found.get("AVERAGE-BANDWIDTH", 0)),
            "codecs": found.get("CODECS", ""),
            "frame_rate": float(found.get("FRAME-RATE", 0)),
            "playlist": uri,
        })  # fmt: skip
    return variants


def dash_representations(mpd: str) -> list[dict[str, Any]]:
    """Each video Representation of an MPD: size, bandwidth, codecs (audio's added).
    Size and codecs may sit on the AdaptationSet instead (the packager puts them there when
    one Representation has them alone, or all share them): Representations inherit them."""
    root = ElementTree.fromstring(mpd)  # noqa: S314 (our packager's MPD, never user input)
    videos: list[dict[str, str]] = []
    audio_codecs, audio_bandwidth = "", 0
    for adaptation in root.iter(f"{_MPD_NS}AdaptationSet"):
        kind = adaptation.get("contentType", "")
        for representation in adaptation.iter(f"{_MPD_NS}Representation"):
            found = {**adaptation.attrib, **representation.attrib}
            if kind == "audio":
                audio_codecs = found.get("codecs", "")
                audio_bandwidth = int(found.get("bandwidth", 0))
            elif kind == "video":
                videos.append(found)
    return [
        {
            "width": int(video.get("width", 0)),
            "height": int(video.get("height", 0)),
            "bandwidth": int(video.get("bandwidth", 0)) + audio_bandwidth,
            "codecs": ",".join(c for c in (video.get("codecs", ""), audio_codecs) if c),
        }
        for video in videos
    ]


def rewrite_playlist(playlist: str, rewrite: Callable[[str], str]) -> str:
    """A playlist with every URI (lines and `URI="..."` attributes) passed through `rewrite`."""
    lines = []
    for line in playlist.splitlines():
        if line and not line.startswith("#"):
            line = rewrite(line.strip())
        elif line.startswith("#EXT") and 'URI="' in line:
            line = _URI_ATTRIBUTE.sub(lambda m: f'URI="{rewrite(m.group(1))}"', line)
        lines.append(line)
    return "\n".join(lines) + "\n"


def playlist_uris(playlist: str) -> list[str]:
    """Every URI a playlist names, in order: segments, init sections, other playlists."""
    found: list[str] = []

    def keep(uri: str) -> str:
        found.append(uri)
        return uri

    rewrite_playlist(playlist, keep)
    return found


def rewrite_mpd(mpd: str, rewrite: Callable[[str], str]) -> str:
    """An MPD with its segment templates passed through `rewrite` (`$Number$` survives:
    players substitute it in the whole string, query included)."""

    def replace(match: re.Match[str]) -> str:
        return f'{match.group(1)}="{escape(rewrite(unescape(match.group(2))))}"'

    return _MPD_TEMPLATE.sub(replace, mpd)


_EXTINF = re.compile(r"^#EXTINF:(\d+(?:\.\d+)?)", re.MULTILINE)
_MAX_SEGMENT = re.compile(r'maxSegmentDuration="PT(\d+(?:\.\d+)?)S"')


def longest_segment_s(manifests: list[str]) -> float | None:
    """The longest segment, in seconds, that media playlists (EXTINF) or MPDs
    (maxSegmentDuration) declare; None if none says."""
    found = [float(m) for text in manifests
             for m in (*_EXTINF.findall(text), *_MAX_SEGMENT.findall(text))]  # fmt: skip
    return round(max(found), 3) if found else None


def tidy_master(master: str) -> str:
    """A master playlist as published: Shaka marks an audio rendition without a language
    DEFAULT=NO (players need one), and can put a one-segment rendition's average above
    its peak."""
    return with_peak_at_least_average(with_default_audio(master))


def with_default_audio(master: str) -> str:
    """A master playlist in which each audio group has a DEFAULT=YES rendition: the first,
    when none is (a player may otherwise pick none, or warn)."""
    defaulted: set[str] = set()
    for line in master.splitlines():
        tags = attributes(line) if line.startswith("#EXT-X-MEDIA:") else {}
        if tags.get("TYPE") == "AUDIO" and tags.get("DEFAULT") == "YES":
            defaulted.add(tags.get("GROUP-ID", ""))
    lines = []
    for line in master.splitlines():
        tags = attributes(line) if line.startswith("#EXT-X-MEDIA:") else {}
        group = tags.get("GROUP-ID", "")
        if tags.get("TYPE") == "AUDIO" and group not in defaulted:
            line = (
                line.replace("DEFAULT=NO", "DEFAULT=YES")
                if "DEFAULT=" in line
                else (f"{line},DEFAULT=YES")
            )
            defaulted.add(group)
        lines.append(line)
    return "\n".join(lines) + ("\n" if master.endswith("\n") else "")


def with_peak_at_least_average(master: str) -> str:
    """A master playlist whose BANDWIDTH (the peak) is never below its AVERAGE-BANDWIDTH:
    Shaka measures them apart, and for a one-segment rendition the average can come out a
    few hundred bits higher, which validators flag."""
    lines = []
    for line in master.splitlines():
        tags = attributes(line) if line.startswith("#EXT-X-STREAM-INF:") else {}
        peak, average = tags.get("BANDWIDTH", ""), tags.get("AVERAGE-BANDWIDTH", "")
        if peak.isdigit() and average.isdigit() and int(average) > int(peak):
            line = line.replace(f"BANDWIDTH={peak},", f"BANDWIDTH={average},", 1)
        lines.append(line)
    return "\n".join(lines) + ("\n" if master.endswith("\n") else "")
