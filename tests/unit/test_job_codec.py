"""videoforge.jobs.records.encode/decode: a Job to Redis hash fields and back (no Redis)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from videoforge.jobs.names import file_jobs_key, job_key
from videoforge.jobs.records import decode, encode
from videoforge.models import Job, JobState, OutputFormat, Progress

BASE = Job(
    task_id="3f2b8c1e-9d4a-4b7e-8f00-123456789abc",
    file_id="f00d",
    output_name="f00d_1280x720_3f2b8c1e9d4a.m3u8",
    resolution="1280:720",
    format=OutputFormat.HLS,
    width=1280,
    height=720,
)

IN_PROGRESS = replace(
    BASE,
    format=OutputFormat.MP4,
    upscale=True,
    state=JobState.PROGRESS,
    attempts=2,
    progress=Progress(percent=42.5, fps=61.2, speed=2.4, eta_seconds=13.1),
    created_at=1_700_000_000.25,
    updated_at=1_700_000_042.5,
)

JOBS = [
    pytest.param(BASE, id="new"),
    pytest.param(IN_PROGRESS, id="in-progress"),
    pytest.param(
        replace(BASE, state=JobState.PROGRESS, progress=Progress(0.0, 0.0, 0.0, None)),
        id="progress-without-eta",
    ),
    pytest.param(
        replace(
            BASE,
            format=OutputFormat.WEBM,
            state=JobState.SUCCESS,
            attempts=1,
            progress=Progress(100.0, 30.0, 1.0, 0.0),
            result={"width": 1280, "files": ["a.webm"], "note": "unicode ✓ ünï", "k": {"v": None}},
        ),
        id="success",
    ),
    pytest.param(
        replace(BASE, state=JobState.FAILURE, attempts=3, error='ffmpeg failed: "bad"\nline2'),
        id="failure",
    ),
]


def as_redis(fields: dict[Any, Any]) -> dict[bytes, bytes]:
    """What hgetall returns from a real client: bytes keys and values."""
    return {str(k).encode(): str(v).encode() for k, v in fields.items()}


@pytest.mark.parametrize("job", JOBS)
def test_round_trip(job: Job) -> None:
    fields = encode(job)
    assert set(fields) == set(Job.__dataclass_fields__)
    assert all(isinstance(value, str) for value in fields.values())
    assert decode(fields) == job
    decoded = decode(as_redis(fields))
    assert decoded == job
    assert type(decoded.state) is JobState and type(decoded.format) is OutputFormat
    assert decoded.progress is None or type(decoded.progress) is Progress


def test_fields_are_json() -> None:
    fields = encode(IN_PROGRESS)
    assert json.loads(fields["state"]) == "PROGRESS"
    assert json.loads(fields["format"]) == "mp4"
    assert json.loads(fields["progress"]) == {
        "percent": 42.5,
        "fps": 61.2,
        "speed": 2.4,
        "eta_seconds": 13.1,
    }
    assert json.loads(fields["upscale"]) is True
    assert json.loads(fields["result"]) is None


def test_decode_ignores_unknown_fields_and_fills_defaults() -> None:
    # A record written by another version: an extra field, and no optional ones. Records from
    # before the planned size was stored get it back from the output's name.
    name = f"{'f1' * 16}_640x360_{'ab' * 6}.mp4"
    raw = {
        b"task_id": b'"t1"',
        b"file_id": b'"f1"',
        b"output_name": f'"{name}"'.encode(),
        b"resolution": b'"640:-2"',
        b"format": b'"mp4"',
        b"state": b'"RETRY"',
        b"field_from_the_future": b"[1, 2]",
    }
    job = decode(raw)
    assert job == Job(
        task_id="t1",
        file_id="f1",
        output_name=name,
        resolution="640:-2",
        format=OutputFormat.MP4,
        width=640,
        height=360,
        state=JobState.RETRY,
    )
    assert job.progress is None and job.attempts == 0


def test_keys() -> None:
    assert job_key("abc") == "videoforge:job:abc"
    assert file_jobs_key("f00d") == "videoforge:file:f00d:jobs"
