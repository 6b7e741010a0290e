"""Adaptive ladders end to end, read back with third-party parsers (m3u8, mpegdash) and
ffprobe: the rungs a source gets, what the manifests declare against what the segments
hold, keyframe alignment, request validation, TS and DASH-only ladders, and deletion."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import m3u8
import pytest
from mpegdash.parser import MPEGDASHParser

from tests.conftest import make_clip
from tests.e2e.service import Service, upload, wait_for
from videoforge.media.binaries import FFmpegBinaries
from videoforge.media.ladder import maxrate_kbps
from videoforge.media.ladder_encode import BUFFER_S

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
    out = subprocess.run(
        [binaries.ffprobe, "-v", "error", "-of", "json", *args, str(path)],
        check=True, capture_output=True, env=binaries.process_env,
    ).stdout  # fmt: skip
    return json.loads(out)


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


def wait_success(client: httpx.Client, task_id: str, timeout_s: float = 300) -> dict[str, Any]:
    final, _ = wait_for(client, task_id, timeout_s=timeout_s)
    assert final["state"] == "SUCCESS", final
    return final


def submit(client: httpx.Client, file_id: str, **body: Any) -> dict[str, Any]:
    response = client.post(f"/videos/transcode/{file_id}", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


# --- Shared jobs ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory, binaries: FFmpegBinaries) -> dict[str, Path]:
    """A 1080p source long enough for two segments (6 s and 2 s), and one below every rung."""
    folder = tmp_path_factory.mktemp("ladder-clips")
    return {
        "full": make_clip(binaries, folder / "full.mp4", "1920x1080", 8),
        "tiny": make_clip(binaries, folder / "tiny.mp4", "176x144", 3),
    }


@pytest.fixture(scope="module")
def ladders(
    service: Service, sources: dict[str, Path], clips: dict[str, Path]
) -> dict[str, dict[str, Any]]:
    """The module's ladder jobs, submitted together (they share the worker's two slots):
    the 1080p source and the tiny one as CMAF with the auto ladder, and the 640x360 clip
    as an MPEG-TS HLS ladder."""
    with service.client() as client:
        ids = {name: upload(client, path)["file_id"] for name, path in sources.items()}
        ids["wide"] = upload(client, clips["wide"])["file_id"]
        tasks = {
            "full": submit(client, ids["full"], format="cmaf", ladder="auto"),
            "tiny": submit(client, ids["tiny"], format="cmaf", ladder="auto"),
            "ts": submit(client, ids["wide"], format="hls", ladder="auto", segment_format="ts"),
        }
        return {name: wait_success(client, task["task_id"]) for name, task in tasks.items()}


@pytest.fixture(scope="module")
def full_hls(service: Service, ladders: dict[str, dict[str, Any]]) -> HlsLadder:
    with service.client() as client:
        return read_hls(client, ladders["full"]["result"]["manifests"]["hls"])


@pytest.fixture(scope="module")
def full_dash(service: Service, ladders: dict[str, dict[str, Any]]) -> tuple[Any, list[DashTrack]]:
    url = ladders["full"]["result"]["manifests"]["dash"]
    with service.client() as client:
        mpd = parse_mpd(get(client, url, "application/dash+xml").text)
    return mpd, dash_tracks(mpd, url)


# --- 1. The rungs a source gets ------------------------------------------------------------


def test_a_1080p_source_gets_three_to_five_rungs_never_above_it(
    ladders: dict[str, dict[str, Any]], full_hls: HlsLadder
) -> None:
    job = ladders["full"]
    planned = job["renditions"]
    assert 3 <= len(planned) <= 5, planned
    assert job["resolution"] == "auto" and job["format"] == "cmaf"
    sizes = [tuple(map(int, size.split("x"))) for size in planned]
    assert sizes[0] == (1920, 1080)
    assert sizes == sorted(sizes, reverse=True) and len(set(sizes)) == len(sizes)
    for width, height in sizes:
        assert width <= 1920 and height <= 1080 and abs(width / height - 16 / 9) < 0.01
    assert (job["result"]["width"], job["result"]["height"]) == (1920, 1080)
    # What was planned is what the master declares, highest first.
    assert [v.stream_info.resolution for v, _ in full_hls.variants] == sizes


def test_a_source_below_every_rung_gets_one_rung_of_its_own_size(
    client: httpx.Client, ladders: dict[str, dict[str, Any]], binaries: FFmpegBinaries,
    tmp_path: Path,
) -> None:  # fmt: skip
    job = ladders["tiny"]
    assert job["renditions"] == ["176x144"]
    assert [(r["width"], r["height"]) for r in job["result"]["renditions"]] == [(176, 144)]
    ladder = read_hls(client, job["result"]["manifests"]["hls"])
    ((variant, track),) = ladder.variants
    assert variant.stream_info.resolution == (176, 144)
    (stream,) = ffprobe_json(binaries, track.whole(), tmp_path, "-show_streams")["streams"]
    assert (stream["width"], stream["height"]) == (176, 144)
    mpd = parse_mpd(get(client, job["result"]["manifests"]["dash"]).text)
    videos = [t for t in dash_tracks(mpd, "/") if t.content_type == "video"]
    assert [t.size for t in videos] == [(176, 144)]


# --- 2. What the manifests declare ---------------------------------------------------------


def test_master_playlist_declares_each_rung_exactly(
    ladders: dict[str, dict[str, Any]], full_hls: HlsLadder, binaries: FFmpegBinaries,
    tmp_path: Path,
) -> None:  # fmt: skip
    master = full_hls.master
    assert master.is_independent_segments
    (audio_group,) = [media for media in master.media if media.type == "AUDIO"]
    assert audio_group.group_id and audio_group.uri
    assert full_hls.audio is not None
    (audio,) = ffprobe_json(binaries, full_hls.audio.whole(), tmp_path, "-show_streams")["streams"]
    assert audio["codec_name"] == "aac" and audio["codec_tag_string"] == "mp4a"
    audio_codec = f"mp4a.40.{AAC_OBJECT_TYPES[audio['profile']]}"
    assert audio_codec == "mp4a.40.2"
    for variant, track in full_hls.variants:
        info = variant.stream_info
        assert info.audio == audio_group.group_id, variant.uri  # every variant has the audio
        (video,) = ffprobe_json(binaries, track.whole(), tmp_path, "-show_streams")["streams"]
        assert video["codec_name"] == "h264" and video["codec_tag_string"] == "avc1"
        profile, constraints, level = avc1_from_init(track.init)
        assert profile == H264_PROFILES[video["profile"]] and level == video["level"]
        avc1 = f"avc1.{profile:02x}{constraints:02x}{level:02x}"
        assert info.codecs.lower() == f"{avc1},{audio_codec}"
        assert info.resolution == (video["width"], video["height"])
        numerator, denominator = map(int, video["avg_frame_rate"].split("/"))
        assert info.frame_rate == pytest.approx(numerator / denominator, abs=0.001)
        assert info.frame_rate == 30.0  # the source's rate
    # The task's result reads the same master.
    declared = [
        {"width": v.stream_info.resolution[0], "height": v.stream_info.resolution[1],
         "bandwidth": v.stream_info.bandwidth,
         "average_bandwidth": v.stream_info.average_bandwidth,
         "codecs": v.stream_info.codecs, "frame_rate": v.stream_info.frame_rate,
         "playlist": urljoin(full_hls.url, v.uri)}
        for v, _ in full_hls.variants
    ]  # fmt: skip
    assert ladders["full"]["result"]["renditions"] == declared


def test_media_playlists_are_complete_vod_with_init_sections(full_hls: HlsLadder) -> None:
    assert full_hls.audio is not None
    for track in [*(track for _, track in full_hls.variants), full_hls.audio]:
        playlist = track.playlist
        assert playlist.playlist_type == "vod" and playlist.is_endlist, track.url
        assert track.init_url and len(track.init) > 0 and track.init[4:8] == b"ftyp"
        assert all(s.init_section.uri == playlist.segment_map[0].uri for s in playlist.segments)
        durations = [segment.duration_s for segment in track.segments]
        assert len(durations) == 2, durations  # 8 s: 6 s, then the rest
        assert durations[0] == pytest.approx(SEGMENT_S, abs=0.05)
        assert sum(durations) == pytest.approx(8.0, abs=0.05)
        assert playlist.target_duration >= max(durations)
        assert all(segment.data[4:8] in (b"styp", b"moof") for segment in track.segments)


def test_mpd_is_static_with_one_video_set_of_every_rung_and_one_audio_set(
    ladders: dict[str, dict[str, Any]], full_hls: HlsLadder,
    full_dash: tuple[Any, list[DashTrack]],
) -> None:  # fmt: skip
    mpd, tracks = full_dash
    assert mpd.type == "static"
    assert mpd.media_presentation_duration == "PT8S"
    (period,) = mpd.periods
    kinds = [adaptation.content_type for adaptation in period.adaptation_sets]
    assert sorted(kinds) == ["audio", "video"], kinds
    videos = [track for track in tracks if track.content_type == "video"]
    (audio,) = [track for track in tracks if track.content_type == "audio"]
    assert [f"{w}x{h}" for w, h in (t.size for t in videos)] == ladders["full"]["renditions"]
    assert audio.common("codecs") == "mp4a.40.2"
    # CMAF: the MPD and the playlists name the same init sections and segments.
    for track, (variant, hls_track) in zip(videos, full_hls.variants, strict=True):
        assert track.common("codecs") == variant.stream_info.codecs.split(",")[0]
        assert name_of(track.init_url) == name_of(hls_track.init_url or "")
        assert [name_of(url) for url, _ in track.segments] == [
            name_of(s.url) for s in hls_track.segments
        ]
        for (_, duration), segment in zip(track.segments, hls_track.segments, strict=True):
            assert duration == pytest.approx(segment.duration_s, abs=0.001)
    assert full_hls.audio is not None
    assert [name_of(url) for url, _ in audio.segments] == [
        name_of(s.url) for s in full_hls.audio.segments
    ]
    # The result names both manifests; the master is the job's output.
    result = ladders["full"]["result"]
    assert result["segment_seconds"] == SEGMENT_S and result["segment_format"] == "fmp4"
    assert result["stream_url"] == result["manifests"]["hls"]
    assert result["manifests"]["dash"].endswith(".mpd")


# --- 3. Declared bandwidths against the bytes ----------------------------------------------


def test_segment_bitrates_stay_within_the_declared_bandwidths(
    full_hls: HlsLadder, full_dash: tuple[Any, list[DashTrack]]
) -> None:
    """HLS: a variant's BANDWIDTH covers its video and the audio played with it (RFC 8216
    4.3.4.2), AVERAGE-BANDWIDTH their mean; DASH: each Representation's @bandwidth its own
    segments. Rates are bytes * 8 / the segment's duration (EXTINF, or the timeline's)."""
    audio = full_hls.audio
    assert audio is not None
    _, tracks = full_dash
    audio_peak = audio.peak()
    for variant, track in full_hls.variants:
        info = variant.stream_info
        for segment in track.segments:
            assert (segment.bits_per_s + audio_peak) <= info.bandwidth * EXTINF_ROUNDING, (
                segment.url, segment.bits_per_s, audio_peak, info.bandwidth,
            )  # fmt: skip
        # Measured, not padded: the peak is what the segments reach.
        assert info.bandwidth <= (track.peak() + audio_peak) * 1.1
        mean = track.mean() + audio.mean()
        assert mean == pytest.approx(info.average_bandwidth, rel=0.1)
        # The capped CRF holds: the VBV buffer bounds every segment by maxrate.
        width, height = info.resolution
        cap = maxrate_kbps(width, height, info.frame_rate) * 1000
        for segment in track.segments:
            assert len(segment.data) * 8 <= cap * (segment.duration_s + BUFFER_S) * 1.01
    fetched = {
        name_of(segment.url): segment
        for track in [audio, *(track for _, track in full_hls.variants)]
        for segment in track.segments
    }
    for track in tracks:
        for url, duration in track.segments:
            rate = len(fetched[name_of(url)].data) * 8 / duration
            assert rate <= track.representation.bandwidth, (url, rate)


# --- 4. Keyframes --------------------------------------------------------------------------


def test_keyframes_align_across_rungs_and_open_every_segment(
    full_hls: HlsLadder, binaries: FFmpegBinaries, tmp_path: Path
) -> None:
    keyframe_times = []
    for _, track in full_hls.variants:
        packets = video_packets(binaries, track.whole(), tmp_path)
        keys = [p["pts_time"] for p in packets if p["flags"].startswith("K")]
        keyframe_times.append(keys)
        # On the forced 2 s clock and nowhere else (no scene-cut keyframes).
        assert [float(t) for t in keys] == pytest.approx([0.0, 2.0, 4.0, 6.0], abs=0.001)
        start = 0.0
        for segment in track.segments:
            first = video_packets(binaries, track.init + segment.data, tmp_path)[0]
            assert first["flags"].startswith("K"), segment.url
            assert float(first["pts_time"]) == pytest.approx(start, abs=0.002), segment.url
            assert first["pts_time"] in keys
            start += segment.duration_s
    assert all(times == keyframe_times[0] for times in keyframe_times), keyframe_times


# --- 5. Refused requests --------------------------------------------------------------------


def tasks_total(client: httpx.Client) -> int:
    total: int = client.get("/videos/tasks", params={"limit": 1}).json()["total"]
    return total


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"format": "hls", "renditions": []}, "at least one"),
        ({"format": "cmaf", "renditions": ["640:360"] * 9}, "at most 8 renditions, got 9"),
        ({"format": "dash", "renditions": ["640:360", "640:361"]}, "positive even numbers"),
        ({"format": "hls", "renditions": ["640x360", "huge"]}, "must look like 1920:1080"),
        ({"format": "cmaf", "renditions": ["320:180", "320:180"]}, "each rendition needs its own"),
        # The 640x360 source is never upscaled: both boxes come out as 640x360.
        ({"format": "hls", "renditions": ["640:360", "1280:720"]}, "both come out as 640x360"),
        ({"format": "mp4", "ladder": "auto"}, "a ladder needs format hls, dash or cmaf"),
        ({"format": "webm", "renditions": ["640:360"]}, "webm is one rendition"),
        ({"format": "hls", "ladder": "best"}, "unknown ladder 'best'"),
        ({"format": "dash", "segment_format": "ts"}, "segment_format applies to hls only"),
        ({"format": "cmaf", "ladder": "auto", "segment_format": "ts"}, "applies to hls only"),
        ({"format": "cmaf", "ladder": "auto", "renditions": ["640:360"]}, "ladder or renditions"),
    ],
)  # fmt: skip
def test_bad_ladder_requests_are_422_and_queue_nothing(
    client: httpx.Client, uploaded: dict[str, dict[str, Any]], body: dict[str, Any], words: str
) -> None:
    file_id = uploaded["wide"]["file_id"]
    before = tasks_total(client)
    jobs_before = len(client.get(f"/videos/{file_id}").json()["jobs"])
    response = client.post(f"/videos/transcode/{file_id}", json=body)
    assert response.status_code == 422, response.text
    assert words in response.json()["detail"]
    assert tasks_total(client) == before
    assert len(client.get(f"/videos/{file_id}").json()["jobs"]) == jobs_before


def test_dash_and_cmaf_alone_get_the_auto_ladder(
    client: httpx.Client, ladders: dict[str, dict[str, Any]]
) -> None:
    file_id = ladders["tiny"]["file_id"]
    for fmt in ("dash", "cmaf"):
        response = client.post(f"/videos/transcode/{file_id}", json={"format": fmt})
        assert response.status_code == 200, (fmt, response.text)
        task = response.json()
        assert task["resolution"] == "auto"
        final = wait_success(client, task["task_id"])
        assert final["renditions"] == ["176x144"]


# --- 6. MPEG-TS and DASH-only ladders ----------------------------------------------------


def test_ts_ladder_has_ts_segments_a_master_and_an_audio_group(
    service: Service, client: httpx.Client, ladders: dict[str, dict[str, Any]]
) -> None:
    job = ladders["ts"]
    result = job["result"]
    assert job["renditions"] == ["640x360", "426x240"]
    assert result["segment_format"] == "ts"
    assert set(result["manifests"]) == {"hls"}
    assert result["stream_url"] == result["manifests"]["hls"]
    ladder = read_hls(client, result["manifests"]["hls"], segment_type="video/mp2t")
    (audio_group,) = [media for media in ladder.master.media if media.type == "AUDIO"]
    assert ladder.audio is not None
    assert [v.stream_info.resolution for v, _ in ladder.variants] == [(640, 360), (426, 240)]
    for variant, track in [*ladder.variants, (None, ladder.audio)]:
        if variant is not None:
            assert variant.stream_info.audio == audio_group.group_id
        assert track.playlist.playlist_type == "vod" and track.playlist.is_endlist
        assert not track.playlist.segment_map and track.init == b""  # TS carries its setup
        assert track.segments and all(s.url.endswith(".ts") for s in track.segments)
        assert all(s.data[0] == 0x47 and len(s.data) % 188 == 0 for s in track.segments)
    stem = result["output_name"].removesuffix(".m3u8")
    assert not [p for p in outputs_dir(service).glob(f"{stem}*") if p.suffix in (".mpd", ".m4s")]


def test_dash_alone_publishes_the_mpd_as_the_output(
    service: Service, client: httpx.Client, ladders: dict[str, dict[str, Any]]
) -> None:
    task = submit(client, ladders["tiny"]["file_id"], format="dash", ladder="auto")
    assert task["output_name"].endswith(".mpd")
    final = wait_success(client, task["task_id"])
    result = final["result"]
    assert result["output_name"] == task["output_name"]
    assert result["manifests"] == {"dash": f"/videos/stream/{task['output_name']}"}
    assert result["stream_url"] == result["manifests"]["dash"]
    mpd = parse_mpd(get(client, result["stream_url"], "application/dash+xml").text)
    assert mpd.type == "static"
    audio, video = sorted(dash_tracks(mpd, result["stream_url"]), key=lambda t: t.content_type)
    assert (audio.content_type, video.content_type) == ("audio", "video")
    for track in (video, audio):
        get(client, track.init_url, "video/mp4")
        for url, _ in track.segments:
            get(client, url, "video/iso.segment")
    # The result reads the MPD: the rung's size (on its AdaptationSet when it is alone),
    # video and audio bandwidths and codecs together, as a variant would declare them.
    (rung,) = result["renditions"]
    assert rung == {
        "width": 176, "height": 144,
        "bandwidth": video.representation.bandwidth + audio.representation.bandwidth,
        "codecs": f"{video.common('codecs')},{audio.common('codecs')}",
    }  # fmt: skip
    assert re.fullmatch(r"avc1\.[0-9a-f]{6},mp4a\.40\.2", rung["codecs"])
    stem = task["output_name"].removesuffix(".mpd")
    assert not list(outputs_dir(service).glob(f"{stem}*.m3u8"))  # no HLS was asked for


# --- 8. Listings and deletion ------------------------------------------------------------


def test_details_show_the_ladder_and_delete_removes_every_object(
    service: Service, client: httpx.Client, clips: dict[str, Path]
) -> None:
    file_id = upload(client, clips["wide"])["file_id"]
    task = submit(client, file_id, format="cmaf", renditions=["640:360", "320:180"])
    final = wait_success(client, task["task_id"])
    result = final["result"]
    assert final["renditions"] == ["640x360", "320x180"]
    assert set(result["manifests"]) == {"hls", "dash"}
    details = client.get(f"/videos/{file_id}").json()
    (output,) = details["outputs"]
    assert output["renditions"] == result["renditions"]
    assert output["manifests"] == result["manifests"]
    assert [(r["width"], r["height"]) for r in output["renditions"]] == [(640, 360), (320, 180)]
    (job,) = details["jobs"]
    assert job["renditions"] == ["640x360", "320x180"]
    listed = client.get("/videos/tasks", params={"limit": 100}).json()["items"]
    (mine,) = [item for item in listed if item["task_id"] == task["task_id"]]
    assert mine["result"]["renditions"] == result["renditions"]
    assert mine["result"]["manifests"] == result["manifests"]

    ladder = read_hls(client, result["manifests"]["hls"])
    mpd_url = result["manifests"]["dash"]
    fetched = {name_of(ladder.url), name_of(mpd_url)}
    for _, track in [*ladder.variants, (None, ladder.audio)]:
        assert track is not None
        fetched |= {name_of(track.url), name_of(track.init_url or "")}
        fetched |= {name_of(segment.url) for segment in track.segments}
    stem = task["output_name"].removesuffix(".m3u8")
    stored = {path.name for path in outputs_dir(service).iterdir() if path.name.startswith(stem)}
    # 2 rungs and audio: a playlist, an init section and a segment each; a master, an MPD.
    assert len(stored) == 3 * 3 + 2, sorted(stored)
    # Every stored object is one the manifests name; the public name of the master stands
    # for the attempt's own master, published beside its MPD.
    attempt_master = name_of(mpd_url).removesuffix(".mpd") + ".m3u8"
    assert stored == (fetched - {task["output_name"]}) | {attempt_master}

    assert client.delete(f"/videos/{file_id}").status_code == 204
    left = [path.name for path in outputs_dir(service).iterdir() if path.name.startswith(stem)]
    assert left == []
    assert client.get(f"/videos/{file_id}").status_code == 404
    for name in sorted(fetched):
        assert client.get(f"/videos/stream/{name}").status_code == 404, name
