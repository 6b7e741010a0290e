"""Ladder requests end to end: refused ones are 422 and queue nothing; DASH and CMAF asked
for alone get the auto ladder."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.service import wait_success

# --- Refused requests --------------------------------------------------------------------


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
