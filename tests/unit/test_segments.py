"""videoforge.segments: HLS playlists as segment lists, where a resumed attempt starts, the
argv of a resumed encode, and publishing segments while FFmpeg runs (on local storage)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import m3u8
import pytest

from videoforge.errors import MediaError, TransientError
from videoforge.media.command import (
    HLS_TIMELINE_START_S,
    RESUME_EARLY_S,
    EncodePlan,
    transcode_argv,
)
from videoforge.models import Clip, OutputFormat
from videoforge.segments.live import POLL_S, LivePublisher
from videoforge.segments.playlist import (
    MAX_AUDIO_OFFSET_S,
    ResumeAt,
    Segment,
    audio_end_s,
    is_ended,
    listed_segments,
    media_playlist,
    resume_at,
    segment_index,
    segment_packets_argv,
    with_audio_start,
)
from videoforge.storage.local import LocalStorage

FFMPEG = "/opt/ffmpeg/bin/ffmpeg"

# A playlist as FFmpeg's hls muxer writes it with `-hls_playlist_type event` and
# `-hls_flags independent_segments`, two segments in.
FFMPEG_PLAYLIST = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:6
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:EVENT
#EXT-X-INDEPENDENT-SEGMENTS
#EXTINF:6.000000,
abc_00000.ts
#EXTINF:6.006000,
abc_00001.ts
"""


def values(argv: list[str], flag: str) -> list[str]:
    """Every value that follows `flag` in `argv`, in order."""
    return [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == flag]


def indices(argv: list[str], flag: str) -> list[int]:
    return [i for i, arg in enumerate(argv) if arg == flag]


def ffmpeg_playlist(segments: list[tuple[str, float]], ended: bool = False) -> str:
    """A playlist in FFmpeg's own layout (not ours) listing `segments`."""
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        "#EXT-X-TARGETDURATION:6",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:EVENT",
    ]
    for uri, duration_s in segments:
        lines += [f"#EXTINF:{duration_s:.6f},", uri]
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def wait_until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the publisher thread"
        time.sleep(0.02)


# --- playlist.listed_segments, media_playlist, is_ended -------------------------------


def test_listed_segments_reads_ffmpegs_event_playlist() -> None:
    assert listed_segments(FFMPEG_PLAYLIST) == [
        Segment("abc_00000.ts", 6.0),
        Segment("abc_00001.ts", 6.006),
    ]


def test_listed_segments_strips_query_strings_from_uris() -> None:
    text = (
        "#EXTM3U\n#EXT-X-TARGETDURATION:6\n"
        "#EXTINF:6.000000,\nabc_00000.ts?exp=1700000000&sig=deadbeef\n"
        "#EXTINF:4.5,title\nabc_00001.ts?exp=1700000000&sig=cafe\n"
    )
    assert listed_segments(text) == [Segment("abc_00000.ts", 6.0), Segment("abc_00001.ts", 4.5)]


def test_listed_segments_of_a_playlist_without_segments_is_empty() -> None:
    assert listed_segments("#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-PLAYLIST-TYPE:EVENT\n") == []
    assert listed_segments("") == []


def test_listed_segments_tolerates_crlf_and_blank_lines() -> None:
    text = "#EXTM3U\r\n\r\n#EXTINF:6.000000,\r\nabc_00000.ts\r\n\r\n"
    assert listed_segments(text) == [Segment("abc_00000.ts", 6.0)]


def test_media_playlist_while_running_is_an_event_playlist_without_endlist() -> None:
    segments = [Segment("abc_00000.ts", 6.0), Segment("abc_00001.ts", 6.0)]
    text = media_playlist(segments, ended=False, target_s=6)
    assert text.startswith("#EXTM3U\n")
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in text
    assert "#EXT-X-ENDLIST" not in text
    assert not is_ended(text)
    parsed = m3u8.loads(text)
    assert parsed.playlist_type == "event"
    assert parsed.is_endlist is False
    assert parsed.media_sequence == 0
    assert [(s.uri, s.duration) for s in parsed.segments] == [
        ("abc_00000.ts", 6.0),
        ("abc_00001.ts", 6.0),
    ]


def test_media_playlist_when_ended_stays_an_event_playlist_with_endlist() -> None:
    # RFC 8216 6.2.1: an EVENT playlist only grows, so its type stays EVENT at the end.
    segments = [Segment("abc_00000.ts", 6.0), Segment("abc_00001.ts", 2.5)]
    text = media_playlist(segments, ended=True, target_s=6)
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in text
    assert "#EXT-X-PLAYLIST-TYPE:VOD" not in text
    assert text.endswith("#EXT-X-ENDLIST\n")
    assert is_ended(text)
    parsed = m3u8.loads(text)
    assert parsed.playlist_type == "event"
    assert parsed.is_endlist is True
    assert [(s.uri, s.duration) for s in parsed.segments] == [
        ("abc_00000.ts", 6.0),
        ("abc_00001.ts", 2.5),
    ]


@pytest.mark.parametrize(
    ("durations", "target"),
    [
        pytest.param([6.0, 6.0, 3.2], 6, id="whole-seconds"),
        pytest.param([6.0, 6.006, 1.0], 7, id="a-longer-segment-rounds-up"),
        pytest.param([2.5], 3, id="short"),
        pytest.param([6.0000001], 6, id="float-noise-below-a-millisecond-is-ignored"),
        pytest.param([], 1, id="no-segments"),
    ],
)
def test_media_playlist_target_duration_is_the_ceiling_of_the_longest_segment(
    durations: list[float], target: int
) -> None:
    # target_s=1 sits below every ceiling here: the segments decide.
    segments = [Segment(f"abc_{i:05d}.ts", d) for i, d in enumerate(durations)]
    text = media_playlist(segments, ended=True, target_s=1)
    assert f"#EXT-X-TARGETDURATION:{target}\n" in text
    assert m3u8.loads(text).target_duration == target


@pytest.mark.parametrize("ended", [False, True])
@pytest.mark.parametrize(
    ("durations", "target"),
    [
        pytest.param([], 6, id="no-segments"),
        pytest.param([2.5], 6, id="short"),
        pytest.param([6.0, 6.0, 3.2], 6, id="whole-seconds"),
        pytest.param([5.9999999], 6, id="just-below"),
        pytest.param([6.0000001], 6, id="float-noise-above-is-ignored"),
        pytest.param([6.0, 6.006, 1.0], 7, id="a-longer-segment-raises-it"),
        pytest.param([6.0, 9.5], 10, id="a-much-longer-segment"),
    ],
)
def test_media_playlist_target_duration_stays_target_s_unless_a_segment_is_longer(
    durations: list[float], target: int, ended: bool
) -> None:
    segments = [Segment(f"abc_{i:05d}.ts", d) for i, d in enumerate(durations)]
    text = media_playlist(segments, ended=ended, target_s=6)
    assert f"#EXT-X-TARGETDURATION:{target}\n" in text
    assert text.count("#EXT-X-TARGETDURATION:") == 1
    assert m3u8.loads(text).target_duration == target


def test_media_playlist_target_duration_is_fixed_while_the_playlist_grows() -> None:
    # Short segments first, then the end: the tag never moves (EVENT: append only).
    segments = [Segment(f"abc_{i:05d}.ts", 2.0) for i in range(3)]
    running = media_playlist(segments[:1], ended=False, target_s=6)
    ended = media_playlist(segments, ended=True, target_s=6)
    assert m3u8.loads(running).target_duration == m3u8.loads(ended).target_duration == 6
    # What a player read before is a prefix of what it reads now.
    assert ended.startswith(running)


@pytest.mark.parametrize("ended", [False, True])
def test_media_playlist_round_trips_through_listed_segments(ended: bool) -> None:
    segments = [
        Segment("abc_00000.ts", 6.0),
        Segment("abc_00001.ts", 6.006),
        Segment("abc_00002.ts", 1.234567),
    ]
    assert listed_segments(media_playlist(segments, ended=ended, target_s=6)) == segments


def test_is_ended_only_for_playlists_with_endlist() -> None:
    assert not is_ended(FFMPEG_PLAYLIST)
    assert is_ended(FFMPEG_PLAYLIST + "#EXT-X-ENDLIST\n")


# --- playlist.segment_index, resume_at, with_audio_start ------------------------------


@pytest.mark.parametrize(
    ("uri", "index"),
    [
        ("abc_00000.ts", 0),
        ("abc_00012.ts", 12),
        ("f00d_1280x720_abcdef012345_99999.ts", 99999),
        ("abc_0012.ts", None),  # four digits
        ("abc_000012.ts", None),  # six digits
        ("abc_00012", None),  # no extension
        ("abc_0001x.ts", None),
        ("abc.ts", None),
        ("", None),
        ("abc_0000\u00b2.ts", None),  # a digit to str.isdigit, not to int()
    ],
)
def test_segment_index_reads_the_five_digit_number_before_the_extension(
    uri: str, index: int | None
) -> None:
    assert segment_index(uri) == index


def test_resume_at_is_none_without_published_segments() -> None:
    assert resume_at([]) is None


def test_resume_at_follows_an_unbroken_run_from_zero() -> None:
    published = [
        Segment("abc_00000.ts", 6.0),
        Segment("abc_00001.ts", 6.006),
        Segment("abc_00002.ts", 5.994),
    ]
    assert resume_at(published) == ResumeAt(index=3, start_s=18.0, audio_start_s=None)


def test_resume_at_rounds_the_summed_durations_to_microseconds() -> None:
    published = [Segment(f"abc_{i:05d}.ts", 0.1) for i in range(3)]
    at = resume_at(published)
    assert at is not None
    assert at.start_s == 0.3  # not 0.30000000000000004


@pytest.mark.parametrize(
    "names",
    [
        pytest.param(["abc_00000.ts", "abc_00001.ts", "abc_00003.ts"], id="gap"),
        pytest.param(["abc_00001.ts", "abc_00002.ts"], id="not-from-zero"),
        pytest.param(["abc_00001.ts", "abc_00000.ts"], id="out-of-order"),
        pytest.param(["abc_0000.ts", "abc_0001.ts"], id="four-digit-names"),
        pytest.param(["abc_00000.ts", "other.ts"], id="a-name-without-digits"),
    ],
)
def test_resume_at_is_none_for_a_broken_run(names: list[str]) -> None:
    assert resume_at([Segment(name, 6.0) for name in names]) is None


def test_with_audio_start_keeps_an_audio_start_close_to_the_video() -> None:
    at = ResumeAt(index=5, start_s=30.0)
    assert with_audio_start(at, 29.952) == ResumeAt(5, 30.0, 29.952)
    assert with_audio_start(at, 30.021) == ResumeAt(5, 30.0, 30.021)
    # The limit itself is still trusted.
    assert with_audio_start(at, 30.0 - MAX_AUDIO_OFFSET_S).audio_start_s == 29.5


@pytest.mark.parametrize("audio_start_s", [None, 29.0, 31.0, 0.0])
def test_with_audio_start_ignores_an_unknown_or_far_off_audio_start(
    audio_start_s: float | None,
) -> None:
    at = ResumeAt(index=5, start_s=30.0)
    assert with_audio_start(at, audio_start_s) is at


# --- playlist.audio_end_s, segment_packets_argv ---------------------------------------

STREAMS = [{"index": 0, "codec_type": "video"}, {"index": 1, "codec_type": "audio"}]


def probe(packets: list[dict[str, Any]], streams: list[dict[str, Any]] = STREAMS) -> dict[str, Any]:
    return {"streams": streams, "packets": packets}


def test_audio_end_s_places_the_last_audio_packet_end_on_the_output_timeline() -> None:
    packets: list[dict[str, Any]] = [
        # Decoding order, as in the file: video and audio interleaved, video out of order.
        {"stream_index": 0, "pts_time": "35.466667", "duration_time": "0.033333"},
        {"stream_index": 1, "pts_time": "35.378667", "duration_time": "0.021333"},
        {"stream_index": 0, "pts_time": "35.400000", "duration_time": "0.033333"},
        {"stream_index": 1, "pts_time": "41.338667", "duration_time": "0.021333"},
        {"stream_index": 1, "pts_time": "41.360000", "duration_time": "0.021333"},
        {"stream_index": 0, "pts_time": "41.366667", "duration_time": "0.033333"},
    ]
    # The segment's first video frame (35.4) is at 24.0 on the output's timeline; its
    # audio ends at 41.381333, 5.981333 s after that frame.
    assert audio_end_s(probe(packets), 24.0) == 29.981333


def test_audio_end_s_without_duration_uses_the_last_audio_pts() -> None:
    packets: list[dict[str, Any]] = [
        {"stream_index": 0, "pts_time": "10.000000"},
        {"stream_index": 1, "pts_time": "15.950000"},
    ]
    assert audio_end_s(probe(packets), 0.0) == 5.95


def test_audio_end_s_skips_packets_without_a_time_and_of_other_streams() -> None:
    streams = [*STREAMS, {"index": 2, "codec_type": "data"}]
    packets: list[dict[str, Any]] = [
        {"stream_index": 0},  # no pts: ffprobe's JSON leaves N/A out
        {"stream_index": 0, "pts_time": "10.000000"},
        {"stream_index": 2, "pts_time": "1.000000"},
        {"stream_index": 7, "pts_time": "2.000000"},
        {"stream_index": 1, "pts_time": "15.000000", "duration_time": "0.5"},
        {"stream_index": 1, "duration_time": "0.5"},
    ]
    assert audio_end_s(probe(packets, streams), 6.0) == 11.5


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(probe([{"stream_index": 0, "pts_time": "10.0"}]), id="no-audio-packets"),
        pytest.param(
            probe([{"stream_index": 1, "pts_time": "10.0", "duration_time": "0.02"}]),
            id="no-video-packets",
        ),
        pytest.param(probe([]), id="no-packets"),
        pytest.param({}, id="empty-json"),
        pytest.param(
            probe(
                [{"stream_index": 0, "pts_time": "1"}, {"stream_index": 1, "pts_time": "2"}],
                streams=[],
            ),
            id="no-streams",
        ),
    ],
)
def test_audio_end_s_is_none_without_video_or_audio_packets(data: dict[str, Any]) -> None:
    assert audio_end_s(data, 24.0) is None


def test_segment_packets_argv_reads_only_the_local_file() -> None:
    argv = segment_packets_argv("/usr/bin/ffprobe", "/tmp/job/abc_00004.ts")
    assert argv[0] == "/usr/bin/ffprobe"
    assert argv[argv.index("-protocol_whitelist") + 1] == "file"
    assert argv[argv.index("-of") + 1] == "json"
    entries = argv[argv.index("-show_entries") + 1]
    assert "packet=stream_index,pts_time,duration_time" in entries
    assert "stream=index,codec_type" in entries
    assert argv[-1] == "file:/tmp/job/abc_00004.ts"


# --- media.command.transcode_argv for a resumed HLS encode ----------------------------


def resumed_plan(**overrides: Any) -> EncodePlan:
    fields: dict[str, Any] = {
        "input_path": Path("in.mp4"),
        "stem": "s",
        "format": OutputFormat.HLS,
        "width": 640,
        "height": 360,
        "has_audio": True,
        "start_number": 5,
        "resume_s": 30.0,
        "resume_audio_s": 29.952,
    }
    fields.update(overrides)
    return EncodePlan(**fields)


def test_a_resumed_hls_encode_seeks_the_video_input_just_before_the_resume_point() -> None:
    argv = transcode_argv(FFMPEG, resumed_plan())
    first_input = argv.index("-i")
    assert argv[first_input + 1] == "file:in.mp4"
    first_seek = argv.index("-ss")
    assert first_seek < first_input  # an input option: an accurate seek
    assert argv[first_seek + 1] == f"{30.0 - RESUME_EARLY_S:.6f}" == "29.999000"
    assert "-t" not in argv  # no clip: to the end of the source


def test_a_resumed_hls_encode_reads_its_audio_from_a_second_seeked_input() -> None:
    argv = transcode_argv(FFMPEG, resumed_plan())
    inputs = indices(argv, "-i")
    assert values(argv, "-i") == ["file:in.mp4", "file:in.mp4"]
    seeks = indices(argv, "-ss")
    assert values(argv, "-ss") == ["29.999000", "29.952000"]
    # The second seek belongs to the second input: after the first, before the second.
    assert inputs[0] < seeks[1] < inputs[1]
    # The second input is guarded like the first.
    assert values(argv, "-protocol_whitelist") == ["file", "file"]
    assert all(i < inputs[1] for i in indices(argv, "-format_whitelist"))
    assert values(argv, "-map") == ["0:v:0", "1:a:0"]
    assert inputs[1] < argv.index("-map")


def test_a_resumed_hls_encode_shifts_its_audio_by_the_audio_offset() -> None:
    argv = transcode_argv(FFMPEG, resumed_plan())
    # The audio starts 0.048 s before the video's first frame.
    assert values(argv, "-af") == ["asetpts=PTS-0.048000/TB"]
    assert argv.index("-af") < argv.index("-c:a")
    later = transcode_argv(FFMPEG, resumed_plan(resume_audio_s=30.02))
    assert values(later, "-af") == ["asetpts=PTS+0.020000/TB"]


def test_a_resumed_hls_encode_continues_the_timeline_and_segment_numbers() -> None:
    argv = transcode_argv(FFMPEG, resumed_plan())
    assert values(argv, "-output_ts_offset") == [f"{HLS_TIMELINE_START_S + 30.0:.6f}"]
    assert values(argv, "-output_ts_offset") == ["40.000000"]
    assert values(argv, "-start_number") == ["5"]
    assert values(argv, "-hls_segment_filename") == ["s_%05d.ts"]
    assert argv[-1] == "s.m3u8"


def test_a_first_hls_run_starts_at_the_timeline_start_without_seeking() -> None:
    argv = transcode_argv(FFMPEG, resumed_plan(start_number=0, resume_s=0.0, resume_audio_s=None))
    assert "-ss" not in argv
    assert values(argv, "-i") == ["file:in.mp4"]
    assert values(argv, "-output_ts_offset") == ["10.000000"]
    assert values(argv, "-start_number") == ["0"]
    assert "-af" not in argv


def test_a_resume_without_an_audio_start_reads_audio_and_video_from_one_input() -> None:
    argv = transcode_argv(FFMPEG, resumed_plan(resume_audio_s=None))
    assert values(argv, "-i") == ["file:in.mp4"]
    assert values(argv, "-ss") == ["29.999000"]
    assert values(argv, "-map") == ["0:v:0", "0:a:0"]
    assert "-af" not in argv
    assert values(argv, "-output_ts_offset") == ["40.000000"]
    assert values(argv, "-start_number") == ["5"]


def test_a_resume_without_audio_has_no_second_input() -> None:
    argv = transcode_argv(FFMPEG, resumed_plan(has_audio=False))
    assert values(argv, "-i") == ["file:in.mp4"]
    assert values(argv, "-ss") == ["29.999000"]
    assert values(argv, "-map") == ["0:v:0"]
    assert "-af" not in argv
    assert "-an" in argv


def test_a_resume_that_copies_the_audio_reads_it_from_the_one_input() -> None:
    argv = transcode_argv(FFMPEG, resumed_plan(copy_audio=True))
    assert values(argv, "-i") == ["file:in.mp4"]
    assert values(argv, "-map") == ["0:v:0", "0:a:0"]
    assert "-af" not in argv
    assert values(argv, "-c:a") == ["copy"]


def test_a_resumed_clip_seeks_from_the_clip_start_and_stops_at_the_clip_end() -> None:
    argv = transcode_argv(FFMPEG, resumed_plan(clip=Clip(100.0, 200.0)))
    assert values(argv, "-ss") == ["129.999000", "129.952000"]
    assert values(argv, "-t") == ["70.001000", "70.048000"]
    # Both inputs stop at the clip's end.
    for start, length in zip(values(argv, "-ss"), values(argv, "-t"), strict=True):
        assert float(start) + float(length) == pytest.approx(200.0, abs=1e-6)
    # Each -t belongs to its input.
    inputs, lengths = indices(argv, "-i"), indices(argv, "-t")
    assert lengths[0] < inputs[0] < lengths[1] < inputs[1]
    # The output timeline is the clip's: the offset does not include the clip start.
    assert values(argv, "-output_ts_offset") == ["40.000000"]
    assert values(argv, "-af") == ["asetpts=PTS-0.048000/TB"]


def test_a_resumed_clip_without_an_audio_start_has_one_shortened_input() -> None:
    argv = transcode_argv(FFMPEG, resumed_plan(clip=Clip(100.0, 200.0), resume_audio_s=None))
    assert values(argv, "-ss") == ["129.999000"]
    assert values(argv, "-t") == ["70.001000"]
    assert values(argv, "-map") == ["0:v:0", "0:a:0"]


def test_a_clip_that_is_not_resumed_is_cut_at_the_clip_start() -> None:
    argv = transcode_argv(
        FFMPEG,
        resumed_plan(clip=Clip(100.0, 200.0), start_number=0, resume_s=0.0, resume_audio_s=None),
    )
    assert values(argv, "-ss") == ["100.000000"]
    assert values(argv, "-t") == ["100.000000"]


# --- live.LivePublisher on local storage ----------------------------------------------

FENCE = "<fence>"


class RecordingStorage(LocalStorage):
    """LocalStorage that remembers the order of its writes (and of fence calls, below)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.writes: list[str] = []
        # How many of the next put_file calls fail the way a storage blip does.
        self.transient_failures = 0

    def put_file(self, key: str, path: Path) -> None:
        if self.transient_failures > 0:
            self.transient_failures -= 1
            raise TransientError("storage write failed: a blip")
        super().put_file(key, path)
        self.writes.append(key)

    def put_bytes(self, key: str, data: bytes) -> None:
        super().put_bytes(key, data)
        self.writes.append(key)


class Published:
    """An on_published callback recording the counts it hears."""

    def __init__(self) -> None:
        self.counts: list[int] = []

    def __call__(self, count: int) -> None:
        self.counts.append(count)


class LeaseLost(Exception):
    """What a fence raises in these tests: not a TransientError."""


class RecordingFence:
    """A fence that notes each call among the storage's writes, and raises `error` if set."""

    def __init__(self, storage: RecordingStorage, error: BaseException | None = None) -> None:
        self.storage = storage
        self.error = error
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1
        self.storage.writes.append(FENCE)
        if self.error is not None:
            raise self.error


def no_fence() -> None:
    """The lease is held: publishing goes on."""


def write_segments(outdir: Path, segments: list[tuple[str, float]]) -> None:
    """What FFmpeg leaves in its output dir: the segments, then its playlist listing them
    (written to a temporary file and renamed, as FFmpeg does for an EVENT playlist)."""
    outdir.mkdir(exist_ok=True)
    for number, (uri, _) in enumerate(segments):
        if not (outdir / uri).exists():
            (outdir / uri).write_bytes(b"\x47" * 188 * (1 + number))
    temporary = outdir / "abc.m3u8.tmp"
    temporary.write_text(ffmpeg_playlist(segments))
    temporary.replace(outdir / "abc.m3u8")


def stored_text(storage: LocalStorage, key: str) -> str:
    return b"".join(storage.read(key)).decode()


def stored_keys(storage: LocalStorage) -> list[str]:
    return [key for key, _ in storage.list_keys("outputs/")]


def has_failed(publisher: LivePublisher) -> bool:
    try:
        publisher.raise_if_failed()
    except BaseException:
        return True
    return False


@pytest.fixture
def storage(tmp_path: Path) -> RecordingStorage:
    return RecordingStorage(tmp_path / "objects")


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    path = tmp_path / "out"
    path.mkdir()
    return path


TWO = [("abc_00000.ts", 6.0), ("abc_00001.ts", 6.0)]
# Long enough for a few passes of the background thread, short enough to fail fast.
THREAD_TIMEOUT_S = 10 * POLL_S + 5


def test_publish_new_stores_the_new_segments_and_an_event_playlist(
    storage: RecordingStorage, outdir: Path
) -> None:
    write_segments(outdir, TWO)
    published = Published()
    publisher = LivePublisher(outdir, "abc.m3u8", storage, no_fence, published, target_s=6)
    publisher.publish_new(ended=False)
    assert sorted(stored_keys(storage)) == [
        "outputs/abc.m3u8",
        "outputs/abc_00000.ts",
        "outputs/abc_00001.ts",
    ]
    for uri, _ in TWO:
        assert b"".join(storage.read(f"outputs/{uri}")) == (outdir / uri).read_bytes()
    playlist = m3u8.loads(stored_text(storage, "outputs/abc.m3u8"))
    assert playlist.playlist_type == "event"
    assert not playlist.is_endlist
    assert playlist.target_duration == 6
    assert [(s.uri, s.duration) for s in playlist.segments] == TWO
    assert published.counts == [2]
    assert publisher.keys == ["outputs/abc_00000.ts", "outputs/abc_00001.ts", "outputs/abc.m3u8"]
    assert publisher.size_bytes == sum((outdir / uri).stat().st_size for uri, _ in TWO)


def test_publish_new_passes_target_s_to_the_playlist(
    storage: RecordingStorage, outdir: Path
) -> None:
    write_segments(outdir, TWO)
    publisher = LivePublisher(outdir, "abc.m3u8", storage, no_fence, Published(), target_s=10)
    publisher.publish_new(ended=False)
    assert m3u8.loads(stored_text(storage, "outputs/abc.m3u8")).target_duration == 10
    publisher.finish()
    assert m3u8.loads(stored_text(storage, "outputs/abc.m3u8")).target_duration == 10


def test_publish_new_stores_each_segment_before_the_playlist_that_lists_it(
    storage: RecordingStorage, outdir: Path
) -> None:
    publisher = LivePublisher(outdir, "abc.m3u8", storage, no_fence, Published(), target_s=6)
    write_segments(outdir, TWO[:1])
    publisher.publish_new(ended=False)
    write_segments(outdir, TWO)
    publisher.publish_new(ended=False)
    assert storage.writes == [
        "outputs/abc_00000.ts",
        "outputs/abc.m3u8",
        "outputs/abc_00001.ts",
        "outputs/abc.m3u8",
    ]


def test_the_fence_is_called_once_before_each_pass_writes(
    storage: RecordingStorage, outdir: Path
) -> None:
    fence = RecordingFence(storage)
    publisher = LivePublisher(outdir, "abc.m3u8", storage, fence, Published(), target_s=6)
    write_segments(outdir, TWO[:1])
    publisher.publish_new(ended=False)
    write_segments(outdir, TWO)
    publisher.publish_new(ended=False)
    publisher.finish()
    assert storage.writes == [
        FENCE,
        "outputs/abc_00000.ts",
        "outputs/abc.m3u8",
        FENCE,
        "outputs/abc_00001.ts",
        "outputs/abc.m3u8",
        # finish with nothing new still writes (the playlist's end): fenced too.
        FENCE,
        "outputs/abc.m3u8",
    ]
    assert fence.calls == 3


def test_the_fence_is_not_called_when_there_is_nothing_new(
    storage: RecordingStorage, outdir: Path
) -> None:
    fence = RecordingFence(storage)
    publisher = LivePublisher(outdir, "abc.m3u8", storage, fence, Published(), target_s=6)
    # Before FFmpeg wrote a playlist.
    publisher.publish_new(ended=False)
    assert fence.calls == 0
    # A playlist without segments yet.
    write_segments(outdir, [])
    publisher.publish_new(ended=False)
    assert fence.calls == 0
    write_segments(outdir, TWO)
    publisher.publish_new(ended=False)
    assert fence.calls == 1
    # Everything listed is published already.
    publisher.publish_new(ended=False)
    assert fence.calls == 1
    assert storage.writes.count(FENCE) == 1


def test_a_fence_that_raises_means_nothing_is_written(
    storage: RecordingStorage, outdir: Path
) -> None:
    fence = RecordingFence(storage, LeaseLost("held by another attempt"))
    published = Published()
    publisher = LivePublisher(outdir, "abc.m3u8", storage, fence, published, target_s=6)
    write_segments(outdir, TWO)
    with pytest.raises(LeaseLost, match="another attempt"):
        publisher.publish_new(ended=False)
    with pytest.raises(LeaseLost, match="another attempt"):
        publisher.finish()
    assert storage.writes == [FENCE, FENCE]
    assert stored_keys(storage) == []
    assert published.counts == []
    assert publisher.keys == []
    assert publisher.size_bytes == 0
    # Once the fence lets it through, the segments it held back are published after all.
    fence.error = None
    publisher.publish_new(ended=False)
    assert storage.writes[2:] == [
        FENCE,
        "outputs/abc_00000.ts",
        "outputs/abc_00001.ts",
        "outputs/abc.m3u8",
    ]
    assert published.counts == [2]


def test_publish_new_with_nothing_new_writes_nothing(
    storage: RecordingStorage, outdir: Path
) -> None:
    write_segments(outdir, TWO)
    published = Published()
    publisher = LivePublisher(outdir, "abc.m3u8", storage, no_fence, published, target_s=6)
    publisher.publish_new(ended=False)
    writes = list(storage.writes)
    publisher.publish_new(ended=False)
    assert storage.writes == writes
    assert published.counts == [2]
    assert publisher.keys == ["outputs/abc_00000.ts", "outputs/abc_00001.ts", "outputs/abc.m3u8"]


def test_publish_new_before_ffmpeg_wrote_a_playlist_writes_nothing(
    storage: RecordingStorage, outdir: Path
) -> None:
    published = Published()
    publisher = LivePublisher(outdir, "abc.m3u8", storage, no_fence, published, target_s=6)
    publisher.publish_new(ended=False)
    assert storage.writes == []
    assert stored_keys(storage) == []
    assert published.counts == []
    assert publisher.keys == []


def test_publish_new_adds_only_segments_ffmpeg_listed_since(
    storage: RecordingStorage, outdir: Path
) -> None:
    published = Published()
    publisher = LivePublisher(outdir, "abc.m3u8", storage, no_fence, published, target_s=6)
    write_segments(outdir, TWO)
    publisher.publish_new(ended=False)
    # A segment file FFmpeg is still writing is not listed yet, so not published.
    (outdir / "abc_00002.ts").write_bytes(b"partial")
    publisher.publish_new(ended=False)
    assert "outputs/abc_00002.ts" not in stored_keys(storage)
    write_segments(outdir, [*TWO, ("abc_00002.ts", 3.5)])
    publisher.publish_new(ended=False)
    assert storage.writes[-2:] == ["outputs/abc_00002.ts", "outputs/abc.m3u8"]
    assert published.counts == [2, 3]
    listed = listed_segments(stored_text(storage, "outputs/abc.m3u8"))
    assert listed == [Segment(uri, d) for uri, d in [*TWO, ("abc_00002.ts", 3.5)]]
    assert publisher.keys.count("outputs/abc.m3u8") == 1


def test_finish_publishes_the_rest_and_ends_the_event_playlist(
    storage: RecordingStorage, outdir: Path
) -> None:
    published = Published()
    publisher = LivePublisher(outdir, "abc.m3u8", storage, no_fence, published, target_s=6)
    write_segments(outdir, TWO)
    publisher.publish_new(ended=False)
    write_segments(outdir, [*TWO, ("abc_00002.ts", 2.5)])
    keys, size = publisher.finish()
    text = stored_text(storage, "outputs/abc.m3u8")
    playlist = m3u8.loads(text)
    assert playlist.playlist_type == "event"
    assert playlist.is_endlist
    assert playlist.target_duration == 6
    assert [s.uri for s in playlist.segments] == ["abc_00000.ts", "abc_00001.ts", "abc_00002.ts"]
    assert playlist.segments[-1].duration == 2.5
    assert published.counts == [2, 3]
    assert keys == [
        "outputs/abc_00000.ts",
        "outputs/abc_00001.ts",
        "outputs/abc.m3u8",
        "outputs/abc_00002.ts",
    ]
    assert sorted(keys) == sorted(stored_keys(storage))
    assert size == sum(p.stat().st_size for p in outdir.glob("*.ts"))


def test_finish_with_nothing_new_still_ends_the_playlist(
    storage: RecordingStorage, outdir: Path
) -> None:
    published = Published()
    publisher = LivePublisher(outdir, "abc.m3u8", storage, no_fence, published, target_s=6)
    write_segments(outdir, TWO)
    publisher.publish_new(ended=False)
    assert not is_ended(stored_text(storage, "outputs/abc.m3u8"))
    publisher.finish()
    assert is_ended(stored_text(storage, "outputs/abc.m3u8"))
    assert storage.writes[-1] == "outputs/abc.m3u8"
    assert published.counts == [2, 2]


@pytest.mark.parametrize("ffmpeg_wrote_a_playlist", [False, True])
def test_finish_without_any_segment_is_a_media_error(
    storage: RecordingStorage, outdir: Path, ffmpeg_wrote_a_playlist: bool
) -> None:
    if ffmpeg_wrote_a_playlist:
        write_segments(outdir, [])
    published = Published()
    publisher = LivePublisher(outdir, "abc.m3u8", storage, no_fence, published, target_s=6)
    with pytest.raises(MediaError, match="no segment"):
        publisher.finish()
    assert stored_keys(storage) == []
    assert published.counts == []
    assert publisher.keys == []


def test_the_background_thread_publishes_while_ffmpeg_runs(
    storage: RecordingStorage, outdir: Path
) -> None:
    published = Published()
    with LivePublisher(outdir, "abc.m3u8", storage, no_fence, published, target_s=6) as publisher:
        write_segments(outdir, TWO)
        wait_until(lambda: published.counts == [2], timeout_s=THREAD_TIMEOUT_S)
        text = stored_text(storage, "outputs/abc.m3u8")
        assert not is_ended(text)
        assert [s.uri for s in listed_segments(text)] == ["abc_00000.ts", "abc_00001.ts"]
    keys, _ = publisher.finish()
    assert is_ended(stored_text(storage, "outputs/abc.m3u8"))
    assert published.counts == [2, 2]
    assert keys == ["outputs/abc_00000.ts", "outputs/abc_00001.ts", "outputs/abc.m3u8"]


def test_the_background_thread_tries_again_after_a_transient_storage_error(
    storage: RecordingStorage, outdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    storage.transient_failures = 1
    published = Published()
    with (
        caplog.at_level("WARNING", logger="videoforge.segments.live"),
        LivePublisher(outdir, "abc.m3u8", storage, no_fence, published, target_s=6) as publisher,
    ):
        write_segments(outdir, TWO)
        wait_until(lambda: published.counts == [2], timeout_s=THREAD_TIMEOUT_S)
        publisher.raise_if_failed()
    assert storage.transient_failures == 0  # it did fail once
    assert "a blip" in caplog.text
    keys, _ = publisher.finish()
    assert keys == ["outputs/abc_00000.ts", "outputs/abc_00001.ts", "outputs/abc.m3u8"]
    assert is_ended(stored_text(storage, "outputs/abc.m3u8"))


def test_the_background_thread_keeps_going_after_a_transient_error_in_on_published(
    storage: RecordingStorage, outdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    counts: list[int] = []

    def redis_blip_once(count: int) -> None:
        counts.append(count)
        if len(counts) == 1:
            raise TransientError("redis away for a moment")

    with (
        caplog.at_level("WARNING", logger="videoforge.segments.live"),
        LivePublisher(
            outdir, "abc.m3u8", storage, no_fence, redis_blip_once, target_s=6
        ) as publisher,
    ):
        write_segments(outdir, TWO)
        wait_until(lambda: counts == [2], timeout_s=THREAD_TIMEOUT_S)
        # A later segment is still published by the thread: it did not stop.
        write_segments(outdir, [*TWO, ("abc_00002.ts", 6.0)])
        wait_until(lambda: counts == [2, 3], timeout_s=THREAD_TIMEOUT_S)
        publisher.raise_if_failed()
    assert "redis away" in caplog.text
    assert "outputs/abc_00002.ts" in stored_keys(storage)
    keys, _ = publisher.finish()
    assert counts == [2, 3, 3]
    assert "outputs/abc_00002.ts" in keys


def test_a_failing_fence_stops_the_background_thread_and_is_raised_again(
    storage: RecordingStorage, outdir: Path
) -> None:
    fence = RecordingFence(storage, LeaseLost("job cancelled"))
    published = Published()
    publisher = LivePublisher(outdir, "abc.m3u8", storage, fence, published, target_s=6)
    with publisher:
        publisher.raise_if_failed()  # nothing has failed yet
        write_segments(outdir, TWO)
        wait_until(lambda: has_failed(publisher), timeout_s=THREAD_TIMEOUT_S)
        with pytest.raises(LeaseLost, match="job cancelled"):
            publisher.raise_if_failed()
        # The thread stopped at the failure: it makes no further pass.
        fence.error = None
        write_segments(outdir, [*TWO, ("abc_00002.ts", 6.0)])
    assert fence.calls == 1
    assert storage.writes == [FENCE]
    with pytest.raises(LeaseLost, match="job cancelled"):
        publisher.finish()
    assert fence.calls == 1  # finish raised before its own pass
    assert stored_keys(storage) == []
    assert published.counts == []


def test_a_resumed_publisher_lists_earlier_segments_first_without_uploading_them(
    storage: RecordingStorage, outdir: Path
) -> None:
    earlier = [Segment(f"abc_{i:05d}.ts", 6.0) for i in range(5)]
    published = Published()
    publisher = LivePublisher(
        outdir,
        "abc.m3u8",
        storage,
        no_fence,
        published,
        target_s=6,
        earlier=earlier,
        earlier_size_bytes=1000,
    )
    # A resumed FFmpeg numbers its segments from start_number and lists only its own.
    new = [("abc_00005.ts", 6.0), ("abc_00006.ts", 4.0)]
    write_segments(outdir, new)
    publisher.publish_new(ended=False)
    assert sorted(stored_keys(storage)) == [
        "outputs/abc.m3u8",
        "outputs/abc_00005.ts",
        "outputs/abc_00006.ts",
    ]
    listed = listed_segments(stored_text(storage, "outputs/abc.m3u8"))
    assert listed == [*earlier, Segment("abc_00005.ts", 6.0), Segment("abc_00006.ts", 4.0)]
    assert published.counts == [7]
    keys, size = publisher.finish()
    assert keys == ["outputs/abc_00005.ts", "outputs/abc_00006.ts", "outputs/abc.m3u8"]
    assert size == 1000 + sum((outdir / uri).stat().st_size for uri, _ in new)
    playlist = m3u8.loads(stored_text(storage, "outputs/abc.m3u8"))
    assert playlist.is_endlist
    assert playlist.playlist_type == "event"
    assert [s.uri for s in playlist.segments][:5] == [s.uri for s in earlier]
    assert published.counts == [7, 7]


def test_a_resumed_publisher_whose_ffmpeg_wrote_nothing_new_still_ends_the_playlist(
    storage: RecordingStorage, outdir: Path
) -> None:
    earlier = [Segment("abc_00000.ts", 6.0), Segment("abc_00001.ts", 2.0)]
    published = Published()
    publisher = LivePublisher(
        outdir, "abc.m3u8", storage, no_fence, published, target_s=6, earlier=earlier
    )
    keys, size = publisher.finish()
    assert keys == ["outputs/abc.m3u8"]
    assert size == 0
    text = stored_text(storage, "outputs/abc.m3u8")
    assert is_ended(text)
    assert listed_segments(text) == earlier
    assert published.counts == [2]


def test_a_resumed_publisher_does_not_republish_an_earlier_segment_ffmpeg_lists(
    storage: RecordingStorage, outdir: Path
) -> None:
    earlier = [Segment("abc_00000.ts", 6.0)]
    publisher = LivePublisher(
        outdir, "abc.m3u8", storage, no_fence, Published(), target_s=6, earlier=earlier
    )
    write_segments(outdir, TWO)
    publisher.publish_new(ended=False)
    assert storage.writes == ["outputs/abc_00001.ts", "outputs/abc.m3u8"]
    assert listed_segments(stored_text(storage, "outputs/abc.m3u8")) == [
        Segment("abc_00000.ts", 6.0),
        Segment("abc_00001.ts", 6.0),
    ]


def test_finish_raises_what_on_published_raised_in_the_background_thread(
    storage: RecordingStorage, outdir: Path
) -> None:
    called = threading.Event()
    counts: list[int] = []

    def lost_the_lease(count: int) -> None:
        counts.append(count)
        called.set()
        raise RuntimeError("lease lost")

    publisher = LivePublisher(outdir, "abc.m3u8", storage, no_fence, lost_the_lease, target_s=6)
    with publisher:
        write_segments(outdir, TWO)
        wait_until(called.is_set, timeout_s=THREAD_TIMEOUT_S)
        wait_until(lambda: has_failed(publisher), timeout_s=THREAD_TIMEOUT_S)
        with pytest.raises(RuntimeError, match="lease lost"):
            publisher.raise_if_failed()
        # The thread stopped at the failure: later segments are not published.
        write_segments(outdir, [*TWO, ("abc_00002.ts", 6.0)])
    with pytest.raises(RuntimeError, match="lease lost"):
        publisher.finish()
    assert counts == [2]
    assert "outputs/abc_00002.ts" not in stored_keys(storage)
    # The playlist it raised after has no end: finish did not end it.
    assert not is_ended(stored_text(storage, "outputs/abc.m3u8"))


def test_finish_raises_what_on_published_raises_for_the_last_pass(
    storage: RecordingStorage, outdir: Path
) -> None:
    def cancelled(count: int) -> None:
        raise LookupError("job cancelled")

    publisher = LivePublisher(outdir, "abc.m3u8", storage, no_fence, cancelled, target_s=6)
    write_segments(outdir, TWO)
    with pytest.raises(LookupError, match="job cancelled"):
        publisher.finish()


def test_a_pass_cut_short_by_a_blip_is_done_again_without_a_new_segment(
    storage: RecordingStorage, outdir: Path
) -> None:
    calls: list[int] = []

    def blip_once(count: int) -> None:
        calls.append(count)
        if len(calls) == 1:
            raise TransientError("job store unavailable, try again shortly")

    publisher = LivePublisher(outdir, "abc.m3u8", storage, no_fence, blip_once, target_s=6)
    write_segments(outdir, TWO)
    with pytest.raises(TransientError):
        publisher.publish_new(ended=False)
    publisher.publish_new(ended=False)  # nothing new from FFmpeg, but the record is owed
    assert calls == [2, 2]
    publisher.publish_new(ended=False)  # now nothing is owed
    assert calls == [2, 2]
