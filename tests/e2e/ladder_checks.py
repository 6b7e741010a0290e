"""Reading an adaptive ladder back over HTTP with third-party parsers (m3u8, mpegdash), and
checking its bytes with ffprobe: playlists, MPDs, init sections, segments and their rates,
codec strings from the init sections, and where a local service keeps published objects."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import m3u8
from mpegdash.parser import MPEGDASHParser

from tests.e2e.media_checks import probe
from tests.e2e.service import Service
from videoforge.media.binaries import FFmpegBinaries

SEGMENT_S = 6
KEYFRAME_S = 2
# EXTINF is written to the millisecond, so a rate computed from it may be that much off.
EXTINF_ROUNDING = 1.001
H264_PROFILES = {"Constrained Baseline": 66, "Baseline": 66, "Main": 77, "High": 100}
AAC_OBJECT_TYPES = {"LC": 2, "HE-AAC": 5, "HE-AACv2": 29}


# --- Reading a ladder back over HTTP -----------------------------------------------------


def parse_playlist(text: str) -> m3u8.M3U8:
    """A playlist parsed strictly, without `##` comments (Shaka Packager writes one)."""
    kept = "\n".join(line for line in text.splitlines() if not line.startswith("##"))
    return m3u8.M3U8(kept, strict=True)


def get(client: httpx.Client, url: str, content_type: str | None = None) -> httpx.Response:
    """GET an output URL (on the API or elsewhere); 200 or fail, with the type checked."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    if content_type is not None:
        assert response.headers["content-type"] == content_type, url
    return response


@dataclass
class Segment:
    url: str
    duration_s: float
    data: bytes

    @property
    def bits_per_s(self) -> float:
        return len(self.data) * 8 / self.duration_s


@dataclass
class Track:
    """One media playlist with everything it names, fetched."""

    url: str
    playlist: m3u8.M3U8
    init_url: str | None
    init: bytes
    segments: list[Segment]

    def peak(self) -> float:
        return max(segment.bits_per_s for segment in self.segments)

    def mean(self) -> float:
        bits = sum(len(segment.data) * 8 for segment in self.segments)
        return bits / sum(segment.duration_s for segment in self.segments)

    def whole(self) -> bytes:
        """Init section and every segment, concatenated: a playable fragmented MP4."""
        return self.init + b"".join(segment.data for segment in self.segments)


@dataclass
class HlsLadder:
    url: str
    master: m3u8.M3U8
    variants: list[tuple[m3u8.Playlist, Track]]
    audio: Track | None


def read_track(client: httpx.Client, url: str, segment_type: str | None) -> Track:
    """A media playlist and what it names; media types checked unless `segment_type` is
    None (objects fetched from S3 itself)."""
    playlist = parse_playlist(get(client, url, "application/vnd.apple.mpegurl").text)
    init_url, init = None, b""
    if playlist.segment_map:
        init_url = urljoin(url, playlist.segment_map[0].uri)
        init = get(client, init_url, segment_type and "video/mp4").content
    segments = []
    for segment in playlist.segments:
        segment_url = urljoin(url, segment.uri)
        data = get(client, segment_url, segment_type).content
        segments.append(Segment(segment_url, segment.duration, data))
    return Track(url, playlist, init_url, init, segments)


def read_hls(
    client: httpx.Client, url: str, segment_type: str | None = "video/iso.segment"
) -> HlsLadder:
    """A master playlist, its rendition and audio playlists, init sections and segments."""
    master = parse_playlist(get(client, url, "application/vnd.apple.mpegurl").text)
    assert master.is_variant, url
    variants = [
        (variant, read_track(client, urljoin(url, variant.uri), segment_type))
        for variant in master.playlists
    ]
    audio_uris = {media.uri for media in master.media if media.type == "AUDIO"}
    assert len(audio_uris) <= 1, audio_uris
    audio = read_track(client, urljoin(url, audio_uris.pop()), segment_type) if audio_uris else None
    return HlsLadder(url, master, variants, audio)


def expand(template: str, number: int) -> str:
    """A SegmentTemplate URL for one segment number (`$Number$`, `$Number%05d$`)."""
    return re.sub(
        r"\$Number(?:%0(\d+)d)?\$", lambda m: str(number).zfill(int(m[1] or 0)), template
    ).replace("$$", "$")


@dataclass
class DashTrack:
    adaptation: Any  # mpegdash.nodes.AdaptationSet
    representation: Any  # mpegdash.nodes.Representation
    init_url: str
    segments: list[tuple[str, float]]  # URL, duration in seconds

    @property
    def content_type(self) -> str:
        kind: str = self.adaptation.content_type
        return kind

    def common(self, attribute: str) -> Any:
        """An attribute the Representation has or inherits from its AdaptationSet (width,
        height, codecs, frame rate may sit on either: ISO/IEC 23009-1 5.3.7)."""
        own = getattr(self.representation, attribute)
        return own if own is not None else getattr(self.adaptation, attribute)

    @property
    def size(self) -> tuple[int, int]:
        return self.common("width"), self.common("height")


def parse_mpd(text: str) -> Any:
    assert "<MPD" in text  # MPEGDASHParser would otherwise take the text for a URL or path
    return MPEGDASHParser.parse(text)


def dash_tracks(mpd: Any, url: str) -> list[DashTrack]:
    """Every Representation of the MPD with its init and segment URLs from its
    SegmentTemplate and SegmentTimeline (on the Representation or its AdaptationSet)."""
    tracks = []
    (period,) = mpd.periods
    for adaptation in period.adaptation_sets:
        for representation in adaptation.representations:
            (template,) = representation.segment_templates or adaptation.segment_templates
            (timeline,) = template.segment_timelines
            number, segments = template.start_number or 1, []
            for entry in timeline.Ss:
                for _ in range((entry.r or 0) + 1):
                    media = urljoin(url, expand(template.media, number))
                    segments.append((media, entry.d / template.timescale))
                    number += 1
            init = urljoin(url, template.initialization)
            tracks.append(DashTrack(adaptation, representation, init, segments))
    return tracks


def name_of(url: str) -> str:
    """The object name in an output URL (API path or presigned S3 URL)."""
    return urlsplit(url).path.rsplit("/", 1)[-1]


def ffprobe_json(binaries: FFmpegBinaries, data: bytes, folder: Path, *args: str) -> Any:
    """ffprobe over bytes (written to a file in `folder`), answering JSON."""
    path = folder / f"probe-{len(list(folder.iterdir()))}.mp4"
    path.write_bytes(data)
    return probe(binaries, path, *args)


def video_packets(binaries: FFmpegBinaries, data: bytes, folder: Path) -> list[dict[str, str]]:
    found = ffprobe_json(binaries, data, folder, "-select_streams", "v:0", "-show_entries",
                         "packet=pts_time,flags")  # fmt: skip
    packets: list[dict[str, str]] = found["packets"]
    return packets


def avc1_from_init(init: bytes) -> tuple[int, int, int]:
    """Profile, constraint flags and level from the avcC box of an init section."""
    at = init.index(b"avcC") + 4
    version, profile, constraints, level = init[at : at + 4]
    assert version == 1
    return profile, constraints, level


def outputs_dir(service: Service) -> Path:
    """Where a service on local storage keeps published objects."""
    return service.data_dir / "objects" / "outputs"
