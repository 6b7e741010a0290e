"""What Shaka Packager's live output lists (pure): the files each manifest names, whether
every track has begun, and the manifests as published, ended at the end (EXT-X-ENDLIST on
the EVENT playlists; the dynamic MPD made static).

The packager writes a segment before any manifest names it, so a file a manifest names is
complete. A manifest read while it is being replaced may be cut short: a playlist that does
not end its last line, or an MPD that does not parse, is read again at the next pass."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

from videoforge.media.manifests import playlist_uris
from videoforge.segments.playlist import is_ended, listed_segments

_MPD_NS = "{urn:mpeg:dash:schema:mpd:2011}"
_TIMESCALE = re.compile(r'(<SegmentTemplate\b[^>]*?\btimescale=)"(\d+)"')
_TARGET = re.compile(r"^#EXT-X-TARGETDURATION:(\d+)$", re.MULTILINE)
_NUMBER = re.compile(r"\$Number(?:%0(\d+)d)?\$")
# The attributes of a dynamic MPD that a static one has none of.
_LIVE_ONLY = ("publishTime", "availabilityStartTime", "minimumUpdatePeriod",
              "timeShiftBufferDepth", "suggestedPresentationDelay")  # fmt: skip


@dataclass(frozen=True)
class Track:
    """One track of a manifest: its init segment (None for MPEG-TS) and its segments."""

    init: str | None
    segments: list[str]


def playlist_track(text: str) -> Track | None:
    """The files a media playlist names; None when the text is cut short."""
    if not text.endswith("\n"):
        return None
    segments = [segment.uri for segment in listed_segments(text)]
    init = next((uri for uri in playlist_uris(text) if uri not in segments), None)
    return Track(init, segments)


def mpd_tracks(text: str) -> list[Track] | None:
    """The files each Representation of an MPD names (its SegmentTemplate's initialization
    and a media name per segment of its SegmentTimeline); None when the text is cut short."""
    try:
        root = ElementTree.fromstring(text)  # noqa: S314 (our packager's MPD, never user input)
    except ElementTree.ParseError:
        return None
    tracks = []
    for _, template in _templates(root):
        first = int(template.get("startNumber", "1"))
        count = len(_timeline(template))
        media = template.get("media", "")
        names = [_numbered(media, number) for number in range(first, first + count)]
        tracks.append(Track(template.get("initialization"), names))
    return tracks


def _templates(root: ElementTree.Element) -> list[tuple[str, ElementTree.Element]]:
    """Each Representation's SegmentTemplate (its own, or its AdaptationSet's), with the
    AdaptationSet's content type."""
    found = []
    for adaptation in root.iter(f"{_MPD_NS}AdaptationSet"):
        shared = adaptation.find(f"{_MPD_NS}SegmentTemplate")
        for representation in adaptation.iter(f"{_MPD_NS}Representation"):
            template = representation.find(f"{_MPD_NS}SegmentTemplate")
            template = shared if template is None else template
            if template is not None:
                found.append((adaptation.get("contentType", ""), template))
    return found


def _timeline(template: ElementTree.Element) -> list[tuple[int, int]]:
    """A SegmentTimeline as (start, duration) per segment, in the template's timescale: an
    S without `t` starts where the one before it ended."""
    segments: list[tuple[int, int]] = []
    t = 0
    for entry in template.iter(f"{_MPD_NS}S"):
        t = int(entry.get("t", t))
        duration = int(entry.get("d", "0"))
        for _ in range(1 + int(entry.get("r", "0"))):
            segments.append((t, duration))
            t += duration
    return segments


def _numbered(template: str, number: int) -> str:
    def digits(match: re.Match[str]) -> str:
        return str(number).zfill(int(match.group(1) or 0))

    return _NUMBER.sub(digits, template)


def with_target(text: str, target_s: int) -> str:
    """A media playlist whose EXT-X-TARGETDURATION is `target_s` (or the packager's, if
    higher): the packager's grows with the longest segment so far (an audio segment of
    6.016 s makes it 7), and an EVENT playlist may not change it (RFC 8216 6.2.1)."""

    def fixed(match: re.Match[str]) -> str:
        return f"#EXT-X-TARGETDURATION:{max(target_s, int(match.group(1)))}"

    return _TARGET.sub(fixed, text, count=1)


def ended_playlist(text: str) -> str:
    """An EVENT playlist with its end: RFC 8216 6.2.1 lets one change only by appending, so
    it stays EVENT, and EXT-X-ENDLIST tells players it is whole."""
    return text if is_ended(text) else text + "#EXT-X-ENDLIST\n"


def with_time_offset(text: str) -> str:
    """An MPD whose presentation starts at the first video frame: the packager keeps the
    encoder's MPEG-TS times, where x264's B-frame delay puts that frame two frames in (and
    the audio's AAC priming before it). A presentationTimeOffset on every track takes the
    offset off (and the priming with it, as an MP4 edit list does). The first segment
    stays in the MPD to the end (media.packaging keeps the whole stream in its window), so
    every version of it gets the same offset."""
    root = ElementTree.fromstring(text)  # noqa: S314 (our packager's MPD, never user input)
    starts_s = [
        timeline[0][0] / int(template.get("timescale", "1"))
        for kind, template in _templates(root)
        if kind == "video" and (timeline := _timeline(template))
    ]
    if not starts_s or "presentationTimeOffset" in text:
        return text
    offset_s = min(starts_s)

    def offset(match: re.Match[str]) -> str:
        timescale = int(match.group(2))
        return f'{match.group(0)} presentationTimeOffset="{round(offset_s * timescale)}"'

    return _TIMESCALE.sub(offset, text)


def static_mpd(text: str) -> str:
    """The dynamic MPD of a finished encode as a static one: `type="static"`, none of the
    live attributes, and a mediaPresentationDuration that reaches the end of the longest
    track (segments are timed from the Period's start, less any presentationTimeOffset),
    rounded up to the millisecond so that no player stops short of the last frame."""
    root = ElementTree.fromstring(text)  # noqa: S314 (our packager's MPD, never user input)
    end_s = 0.0
    for _, template in _templates(root):
        timeline = _timeline(template)
        if timeline:
            last_start, last_duration = timeline[-1]
            offset = int(template.get("presentationTimeOffset", "0"))
            end = last_start + last_duration - offset
            end_s = max(end_s, end / int(template.get("timescale", "1")))
    head, tag, rest = text.partition("<MPD ")
    attributes, close, body = rest.partition(">")
    for name in _LIVE_ONLY:
        attributes = re.sub(rf'\s{name}="[^"]*"', "", attributes)
    attributes = attributes.replace('type="dynamic"', 'type="static"')
    seconds = f"{math.ceil(round(end_s * 1000, 6)) / 1000:.3f}".rstrip("0").rstrip(".")
    attributes += f' mediaPresentationDuration="PT{seconds}S"'
    return head + tag + attributes + close + body
