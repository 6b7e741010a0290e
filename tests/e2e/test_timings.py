"""When a job started and finished, and where its time went: in its status and in /metrics,
from a real `videoforge serve`."""

from __future__ import annotations

from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.service import transcode, wait_success
from tests.integration.conftest import wait_until

PHASES = ["queued", "fetch", "probe", "encode", "publish", "total"]
ROUNDING_S = 0.004  # each phase is rounded to the millisecond on its own


def phase_counts(client: httpx.Client, fmt: str) -> dict[str, float]:
    """How many observations each phase of `fmt` has in /metrics."""
    families = text_string_to_metric_families(client.get("/metrics").text)
    family = next((f for f in families if f.name == "videoforge_job_phase_seconds"), None)
    if family is None:  # nothing observed yet
        return {}
    return {
        sample.labels["phase"]: sample.value
        for sample in family.samples
        if sample.name.endswith("_count") and sample.labels["format"] == fmt
    }


def test_a_succeeded_job_says_when_it_ran_and_where_its_time_went(
    client: httpx.Client, uploaded: dict[str, dict[str, Any]]
) -> None:
    task_id = transcode(client, uploaded["wide"]["file_id"], "320:-2", "mp4")["task_id"]
    body = wait_success(client, task_id)
    assert body["created_at"] <= body["started_at"] <= body["finished_at"]
    timings = body["timings"]
    assert list(timings) == PHASES
    assert all(seconds >= 0 for seconds in timings.values()), timings
    work = sum(timings[phase] for phase in ("fetch", "probe", "encode", "publish"))
    assert work <= timings["total"] + ROUNDING_S, timings
    # The worker observes the phases just after it records SUCCESS: wait for them to land.
    wait_until(lambda: set(phase_counts(client, "mp4")) == set(PHASES), "the phase histograms")
    counts = phase_counts(client, "mp4")
    assert all(n >= 1 for n in counts.values()), counts


def test_a_queued_job_shows_null_times(
    client: httpx.Client, uploaded: dict[str, dict[str, Any]]
) -> None:
    task_id = transcode(client, uploaded["long"]["file_id"], "1280:720", "webm")["task_id"]
    body = client.get(f"/videos/task/{task_id}").json()
    assert "timings" not in body
    assert body["finished_at"] is None
    assert body["started_at"] is None or body["created_at"] <= body["started_at"]
    cancelled = client.post(f"/videos/task/{task_id}/cancel").json()
    assert cancelled["state"] == "REVOKED"
    assert cancelled["created_at"] <= cancelled["finished_at"]
    assert "timings" not in cancelled
    again = client.post(f"/videos/task/{task_id}/cancel").json()
    assert again["finished_at"] == cancelled["finished_at"]  # a second cancel changes nothing
