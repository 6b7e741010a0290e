"""Accepting a transcode request: check it, plan the output, save the record, queue it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from videoforge import sources
from videoforge.engine import Services
from videoforge.errors import InvalidRequest, VideoforgeError
from videoforge.media import ladder, plan
from videoforge.models import (
    Clip,
    Job,
    JobState,
    MediaInfo,
    OutputFormat,
    Rendition,
    SegmentFormat,
)
from videoforge.outputs import job_output_name
from videoforge.webhooks import guard


@dataclass(frozen=True)
class TranscodeOrder:
    """A transcode request as the API received it (HTTP bodies and the CLI alike)."""

    format: OutputFormat
    resolution: str | None = None
    upscale: bool = False
    ladder: str | None = None
    renditions: list[str] | None = None
    segment_format: SegmentFormat | None = None
    start_s: float | None = None
    end_s: float | None = None
    passthrough: str = "auto"
    parallel: bool | str = "auto"  # split across workers: True, False, or "auto" (by length)
    priority: str = "normal"
    callback_url: str | None = None  # this job's events are POSTed here too (webhooks)
    # A preset's `name@version`, and the encoder settings (`{"video": {...}, "audio": {...}}`,
    # resolved: the preset's merged with the request's); none: the format's defaults.
    preset: str | None = None
    encoding: dict[str, Any] | None = None

    @property
    def wants_ladder(self) -> bool:
        """A ladder, even of one rung: asked for, or implied by DASH, CMAF or fMP4 HLS."""
        return (
            self.ladder is not None
            or self.renditions is not None
            or self.format in (OutputFormat.DASH, OutputFormat.CMAF)
            or (self.format is OutputFormat.HLS and self.segment_format is SegmentFormat.FMP4)
        )


def submit_transcode(services: Services, file_id: str, order: TranscodeOrder) -> Job:
    """Queue a transcode of an accepted file and return its saved record."""
    check_order(order)
    if order.callback_url:  # refused (422, saying why) before anything is read or stored
        guard.check_url(order.callback_url, services.engine.settings.webhook_allow_private)
    source = sources.lookup(services.engine, file_id)
    task_id = str(uuid.uuid4())
    fmt = order.format
    clip = plan_clip(order, source.media.duration_s)
    renditions = plan_renditions(order, source.media) if order.wants_ladder else None
    if renditions:
        width, height = renditions[0].width, renditions[0].height
        resolution = asked_for(order)
    else:
        box = plan.parse_resolution(order.resolution or "")
        width, height = plan.fit(source.media.display_size, box, upscale=order.upscale)
        resolution = str(box)
    job = Job(
        task_id=task_id,
        file_id=file_id,
        output_name=job_output_name(file_id, (width, height), task_id, fmt),
        resolution=resolution,
        format=fmt,
        width=width,
        height=height,
        upscale=order.upscale,
        renditions=renditions,
        segment_format=(order.segment_format or SegmentFormat.FMP4) if renditions else None,
        clip=clip,
        # Encoder settings of its own mean the video is encoded, never copied.
        # Asked to split the encode, or with encoder settings of its own: encoded, not copied.
        passthrough=order.passthrough != "never"
        and not order.encoding
        and order.parallel is not True,
        parallel=order.parallel if isinstance(order.parallel, bool) else None,
        preset=order.preset,
        encoding=order.encoding,
        priority=order.priority,
        callback_url=order.callback_url,
    )
    # Saved before it is queued, so a fast worker always finds the record.
    services.engine.jobs.create(job)
    try:
        services.executor.submit(task_id, job.priority)
    except VideoforgeError as exc:
        # Never queued, so never run: the record says why instead of staying PENDING.
        services.engine.jobs.update(task_id, state=JobState.FAILURE, error=exc.message)
        raise
    services.engine.metrics.count("jobs_submitted", fmt.value)
    return job


def asked_for(order: TranscodeOrder) -> str:
    """What a ladder request asked for, as the record shows it: a name, or the boxes."""
    boxes = order.renditions or ([order.resolution] if order.resolution else [])
    if order.ladder or not boxes:
        return order.ladder or "auto"  # dash, cmaf and fMP4 hls alone take the auto ladder
    return ",".join(str(plan.parse_resolution(box)) for box in boxes)


def check_order(order: TranscodeOrder) -> None:
    """Refuse combinations that make no sense, before anything is read or stored."""
    if order.ladder is not None and order.renditions is not None:
        raise InvalidRequest("give either ladder or renditions, not both")
    if (order.ladder is not None or order.renditions is not None) and not order.format.streams:
        raise InvalidRequest(
            f"a ladder needs format hls, dash or cmaf; {order.format.value} is one rendition"
        )
    if order.ladder is not None:
        ladder.check_ladder_name(order.ladder)
    if order.segment_format is not None and order.format is not OutputFormat.HLS:
        raise InvalidRequest("segment_format applies to hls only (dash and cmaf are fMP4)")
    if order.resolution is None and not order.wants_ladder:
        raise InvalidRequest(f"resolution is required for {order.format.value}")
    if order.resolution is not None and order.renditions is not None:
        raise InvalidRequest("give either resolution or renditions, not both")


def check_settings(order: TranscodeOrder) -> None:
    """check_order, and each size read as a request's would be: what can be checked
    without a source (a preset's settings)."""
    check_order(order)
    if order.resolution is not None:
        plan.parse_resolution(order.resolution)
    if order.renditions is not None:  # counted and read; fitted to the largest source
        largest = (plan.MAX_LONG_SIDE_PX, plan.MAX_SHORT_SIDE_PX)
        ladder.explicit_ladder(order.renditions, largest, 30.0, upscale=True)


def plan_clip(order: TranscodeOrder, duration_s: float) -> Clip | None:
    """The part of the source to encode: [start_s, end_s), each defaulting to the ends."""
    if order.start_s is None and order.end_s is None:
        return None
    start_s = order.start_s or 0.0
    end_s = duration_s if order.end_s is None else order.end_s
    for name, value in (("start_s", start_s), ("end_s", end_s)):
        if value < 0 or value > duration_s:
            raise InvalidRequest(
                f"{name} must be within the video (0 to {duration_s:g} s), got {value:g}"
            )
    if end_s <= start_s:
        raise InvalidRequest(f"end_s must be after start_s, got {start_s:g} to {end_s:g}")
    return Clip(start_s, end_s)


def plan_renditions(order: TranscodeOrder, media: MediaInfo) -> list[Rendition]:
    """The rungs: named ones, the auto ladder (inside `resolution` when given), or one rung."""
    if order.renditions is not None:
        return ladder.explicit_ladder(order.renditions, media.display_size, media.fps,
                                      order.upscale)  # fmt: skip
    if order.ladder is None and order.resolution is not None:
        return ladder.explicit_ladder([order.resolution], media.display_size, media.fps,
                                      order.upscale)  # fmt: skip
    size = media.display_size
    if order.resolution is not None:  # the auto ladder, topped by the requested box
        size = plan.fit(size, plan.parse_resolution(order.resolution))
    return ladder.auto_ladder(size, media.fps)
