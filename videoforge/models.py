"""Domain types shared by the API, the pipeline and the job store. No FastAPI here."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Literal


class JobState(StrEnum):
    PENDING = "PENDING"
    STARTED = "STARTED"
    PROGRESS = "PROGRESS"
    RETRY = "RETRY"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    REVOKED = "REVOKED"

    @property
    def is_terminal(self) -> bool:
        return self in (JobState.SUCCESS, JobState.FAILURE, JobState.REVOKED)


# The human-readable `status` that accompanies each state in API answers.
STATUS_BY_STATE = {
    JobState.PENDING: "queued",
    JobState.STARTED: "starting",
    JobState.PROGRESS: "transcoding",
    JobState.RETRY: "retrying",
    JobState.SUCCESS: "completed",
    JobState.FAILURE: "failed",
    JobState.REVOKED: "cancelled",
}


# How soon a queued job starts, relative to others: every queued high job before any normal
# one, normal before low; first come, first served within one priority.
Priority = Literal["high", "normal", "low"]
PRIORITIES: tuple[str, ...] = ("high", "normal", "low")


class OutputFormat(StrEnum):
    HLS = "hls"
    DASH = "dash"
    # One set of CMAF (fMP4) segments with both an HLS master playlist and a DASH MPD.
    CMAF = "cmaf"
    MP4 = "mp4"
    WEBM = "webm"

    @property
    def extension(self) -> str:
        """The extension of the job's main output: the video, the master playlist or MPD."""
        return {"hls": "m3u8", "dash": "mpd", "cmaf": "m3u8", "mp4": "mp4", "webm": "webm"}[
            self.value
        ]

    @property
    def streams(self) -> bool:
        """Segmented for adaptive streaming (may carry a ladder of renditions)."""
        return self in (OutputFormat.HLS, OutputFormat.DASH, OutputFormat.CMAF)


class SegmentFormat(StrEnum):
    FMP4 = "fmp4"
    TS = "ts"


@dataclass(frozen=True)
class Resolution:
    """A requested box; -2 on one side means "derive it from the aspect ratio"."""

    width: int
    height: int

    def __str__(self) -> str:
        return f"{self.width}:{self.height}"


@dataclass(frozen=True)
class MediaInfo:
    """What ffprobe told us about a file, reduced to what planning needs."""

    duration_s: float
    width: int
    height: int
    video_codec: str
    audio_codec: str | None
    format_name: str
    size_bytes: int
    rotation_deg: int = 0
    fps: float = 0.0
    stream_count: int = 0
    # The streams a transcode reads (absolute indexes): the main video, not cover art or a
    # one-frame still, and the first real audio. None: ffmpeg's first of each kind.
    video_index: int | None = None
    audio_index: int | None = None
    # "progressive", "tt", "bb", ... as ffprobe says; interlaced sources are deinterlaced.
    field_order: str = ""
    # The transfer function: "smpte2084" (PQ) and "arib-std-b67" (HLG) are HDR.
    color_transfer: str = ""
    # What passthrough needs to know (see media.passthrough): the coded form of the video
    # and audio, and whether the file keeps one frame rate.
    pix_fmt: str = ""
    video_profile: str = ""
    video_bitrate_bps: int = 0
    square_pixels: bool = True
    constant_rate: bool = True
    audio_profile: str = ""
    audio_channels: int = 0

    @property
    def interlaced(self) -> bool:
        return self.field_order in ("tt", "bb", "tb", "bt")

    @property
    def hdr(self) -> bool:
        return self.color_transfer in ("smpte2084", "arib-std-b67")

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown, after the rotation players apply."""
        if self.rotation_deg % 180:
            return self.height, self.width
        return self.width, self.height


@dataclass(frozen=True)
class SourceFile:
    """An accepted upload: where it lives and what it is."""

    file_id: str
    filename: str
    original_name: str
    storage_key: str
    media: MediaInfo
    created_at: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SourceFile:
        media = MediaInfo(**data["media"])
        return cls(**{**data, "media": media})


@dataclass(frozen=True)
class Clip:
    """The part of the source a job encodes, in seconds of the source."""

    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class Rendition:
    """One rung of a ladder, planned at submission: its size and its bitrate cap."""

    width: int
    height: int
    maxrate_kbps: int


@dataclass(frozen=True)
class Progress:
    percent: float
    fps: float
    speed: float
    eta_seconds: float | None
    # An import's download: bytes received, and of how many (None: the size is not known).
    received_bytes: int | None = None
    total_bytes: int | None = None


class JobKind(StrEnum):
    TRANSCODE = "transcode"
    # Download `source_url` into a new source, `file_id` (chosen when the job is made).
    IMPORT = "import"


@dataclass
class Job:
    """The durable record of one transcode request."""

    task_id: str
    file_id: str
    output_name: str
    resolution: str
    format: OutputFormat
    # The output size planned at submission (the box fitted to the source): attempts encode
    # exactly this, so a job's name and its pixels never disagree.
    width: int
    height: int
    upscale: bool = False
    # A ladder's rungs, highest first (None: one rendition of width x height, as ever).
    renditions: list[Rendition] | None = None
    segment_format: SegmentFormat | None = None
    # Only this part of the source (None: all of it).
    clip: Clip | None = None
    # The source's video may be copied when it is fit (see media.passthrough).
    passthrough: bool = True
    # Split across workers (segments.parallel): True asked, False forbidden, None: by length.
    parallel: bool | None = None
    priority: str = "normal"  # one of PRIORITIES: which of the queue's lists it waits in
    # The preset it came from, as `name@version`, and the encoder settings resolved at
    # submission (see media.encoding): later edits of the preset never change a queued job.
    preset: str | None = None
    encoding: dict[str, Any] | None = None
    # Where this job's events are POSTed too, besides the registered webhooks.
    callback_url: str | None = None
    # An import's URL and the name asked for the file (see imports/); None for transcodes.
    kind: JobKind = JobKind.TRANSCODE
    source_url: str | None = None
    source_name: str | None = None
    state: JobState = JobState.PENDING
    attempts: int = 0
    progress: Progress | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    worker: str | None = None
    # The attempt-specific name the SUCCESS record points to (see outputs.attempt_name);
    # None before SUCCESS, and for records from before attempts had their own names. An
    # HLS output published as it is made (segments.live) is pointed to from its first
    # segment on, and `playable` is then true; a later attempt resumes after its segments.
    published_name: str | None = None
    playable: bool = False
    # When a RETRY is due (epoch seconds): past it, the reaper knows the retry was lost.
    retry_at: float | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    # When the latest attempt began, and when the job reached SUCCESS, FAILURE or REVOKED
    # (epoch seconds); None until then, and in records from before they were kept.
    started_at: float | None = None
    finished_at: float | None = None
    # Where a succeeded job's time went, in seconds (see jobs.timings): queued, each phase
    # of the attempt that finished it, total.
    timings: dict[str, float] | None = None
