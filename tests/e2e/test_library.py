"""Listing files and jobs, a file's details, deleting a file, and live status over SSE."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.service import Service, transcode, upload, wait_for

TERMINAL = {"SUCCESS", "FAILURE", "REVOKED"}
BURST = 150  # more than the API's Redis connections for reads (jobs.reads.MAX_CONNECTIONS)


def read_events(client: httpx.Client, task_id: str) -> tuple[httpx.Headers, list[dict[str, Any]]]:
    """Follow a job's event stream until the server ends it; the status of each event."""
    statuses = []
    with client.stream("GET", f"/videos/task/{task_id}/events", timeout=120) as response:
        assert response.status_code == 200
        event = None
        for line in response.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                assert event == "status"
                statuses.append(json.loads(line.split(":", 1)[1]))
        return response.headers, statuses


def stored_outputs(service: Service, file_id: str) -> list[Path]:
    return sorted((service.data_dir / "objects" / "outputs").glob(f"{file_id}_*"))


def test_events_stream_progress_until_the_job_ends(
    client: httpx.Client, clips: dict[str, Path]
) -> None:
    file_id = upload(client, clips["long"])["file_id"]
    task = transcode(client, file_id, "640:360", "webm")
    headers, statuses = read_events(client, task["task_id"])
    assert headers["content-type"].startswith("text/event-stream")
    assert headers["cache-control"] == "no-cache"
    states = [s["state"] for s in statuses]
    assert states[-1] == "SUCCESS" and all(s not in TERMINAL for s in states[:-1])
    percents = [s["progress"]["percent"] for s in statuses if s["state"] == "PROGRESS"]
    assert len(percents) >= 2 and percents == sorted(percents)
    # Each event is what polling shows at that moment; the last one carries the result.
    assert statuses[-1] == {**client.get(f"/videos/task/{task['task_id']}").json()}
    assert statuses[-1]["result"]["stream_url"].endswith(".webm")


def test_events_of_a_finished_job_are_one_event(
    client: httpx.Client, finished: dict[str, Any]
) -> None:
    _, statuses = read_events(client, finished["mp4"]["task_id"])
    assert [s["state"] for s in statuses] == ["SUCCESS"]


def test_many_streams_opened_at_once_are_all_answered(
    service: Service, finished: dict[str, Any]
) -> None:
    """A burst of event streams (a page of watchers reconnecting) waits for the API's Redis
    connections instead of failing: every one answers 200 with its status."""
    task_id = finished["mp4"]["task_id"]

    async def one(client: httpx.AsyncClient) -> tuple[int, str]:
        async with client.stream("GET", f"/videos/task/{task_id}/events") as response:
            return response.status_code, (await response.aread()).decode()

    async def burst() -> list[tuple[int, str]]:
        limits = httpx.Limits(max_connections=BURST, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=service.url, limits=limits, timeout=120) as client:
            return await asyncio.gather(*(one(client) for _ in range(BURST)))

    answers = asyncio.run(burst())
    assert sorted({status for status, _ in answers}) == [200]
    assert all("event: status" in body and '"SUCCESS"' in body for _, body in answers)


def test_events_of_an_unknown_task_are_a_404(client: httpx.Client) -> None:
    response = client.get("/videos/task/no-such-task/events")
    assert response.status_code == 404
    assert response.json() == {"detail": "no task no-such-task"}


def test_files_are_listed_newest_first_in_pages(
    client: httpx.Client, clips: dict[str, Path]
) -> None:
    ids = [upload(client, clips["noaudio"], name=f"page-{n}.mp4")["file_id"] for n in range(3)]
    first = client.get("/videos", params={"limit": 2}).json()
    assert [f["file_id"] for f in first["items"]] == ids[:0:-1]
    assert first["total"] >= 3 and (first["offset"], first["limit"]) == (0, 2)
    second = client.get("/videos", params={"limit": 2, "offset": 2}).json()
    assert second["items"][0]["file_id"] == ids[0]
    item = first["items"][0]
    assert item["original_name"] == "page-2.mp4"
    assert (item["width"], item["height"], item["video_codec"], item["audio_codec"]) == (
        320,
        240,
        "h264",
        None,
    )
    assert item["duration_s"] == pytest.approx(3, abs=0.1)
    assert item["size_bytes"] == clips["noaudio"].stat().st_size


def test_tasks_are_listed_newest_first(
    client: httpx.Client, finished: dict[str, Any], uploaded: dict[str, Any]
) -> None:
    newest = transcode(client, uploaded["portrait"]["file_id"], "320:320", "mp4")
    listed = client.get("/videos/tasks", params={"limit": 100}).json()
    ids = [item["task_id"] for item in listed["items"]]
    assert ids[0] == newest["task_id"]
    assert {task["task_id"] for task in finished.values()} <= set(ids)
    done = next(item for item in listed["items"] if item["task_id"] == finished["hls"]["task_id"])
    assert done["state"] == "SUCCESS" and done["result"]["download_url"].startswith(
        "/videos/download/"
    )
    wait_for(client, newest["task_id"])


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "ten"}])
def test_bad_paging_is_a_422(client: httpx.Client, query: dict[str, Any]) -> None:
    for path in ("/videos", "/videos/tasks"):
        response = client.get(path, params=query)
        assert response.status_code == 422
        assert "limit" in response.json()["detail"] or "offset" in response.json()["detail"]


def test_details_show_media_jobs_and_outputs(
    client: httpx.Client, uploaded: dict[str, Any], finished: dict[str, Any]
) -> None:
    file_id = uploaded["wide"]["file_id"]
    details = client.get(f"/videos/{file_id}").json()
    assert details["original_name"] == "wide.mp4"
    assert (details["width"], details["height"], details["fps"]) == (640, 360, 30.0)
    assert (details["video_codec"], details["audio_codec"]) == ("h264", "aac")
    job_ids = [job["task_id"] for job in details["jobs"]]
    assert {task["task_id"] for task in finished.values()} <= set(job_ids)
    outputs = {output["format"]: output for output in details["outputs"]}
    assert set(outputs) >= {"hls", "mp4", "webm"}
    mp4 = outputs["mp4"]
    assert (mp4["width"], mp4["height"]) == (640, 360)
    served = client.get(mp4["stream_url"])
    assert served.status_code == 200 and len(served.content) == mp4["size_bytes"]


@pytest.mark.parametrize("file_id", ["0" * 32, "tasks-but-not", "../../etc"])
def test_unknown_files_are_a_404(client: httpx.Client, file_id: str) -> None:
    assert client.get(f"/videos/{file_id}").status_code == 404
    assert client.delete(f"/videos/{file_id}").status_code == 404


def test_delete_removes_the_source_every_output_and_the_jobs(
    client: httpx.Client, service: Service, clips: dict[str, Path]
) -> None:
    file_id = upload(client, clips["long"])["file_id"]
    hls = wait_for(client, transcode(client, file_id, "640:360", "hls")["task_id"])[0]
    mp4 = wait_for(client, transcode(client, file_id, "320:180", "mp4")["task_id"])[0]
    assert len(stored_outputs(service, file_id)) >= 4  # playlist, 2 segments, the MP4
    assert client.delete(f"/videos/{file_id}").status_code == 204
    assert stored_outputs(service, file_id) == []
    assert not (service.data_dir / "objects" / "sources" / file_id).exists()
    assert client.get(f"/videos/{file_id}").status_code == 404
    for job in (hls, mp4):
        assert client.get(f"/videos/task/{job['task_id']}").status_code == 404
        assert client.get(job["result"]["stream_url"]).status_code == 404
    assert file_id not in {f["file_id"] for f in client.get("/videos?limit=100").json()["items"]}
    listed = client.get("/videos/tasks?limit=100").json()["items"]
    assert hls["task_id"] not in {t["task_id"] for t in listed}
    assert (
        client.post(
            f"/videos/transcode/{file_id}", json={"resolution": "640:360", "format": "mp4"}
        ).status_code
        == 404
    )


def test_delete_waits_for_unfinished_jobs(
    client: httpx.Client, service: Service, clips: dict[str, Path]
) -> None:
    file_id = upload(client, clips["long"])["file_id"]
    task_id = transcode(client, file_id, "1280:720", "webm")["task_id"]
    refused = client.delete(f"/videos/{file_id}")
    assert refused.status_code == 409
    assert task_id in refused.json()["detail"] and "cancel" in refused.json()["detail"]
    assert client.get(f"/videos/{file_id}").status_code == 200
    assert client.post(f"/videos/task/{task_id}/cancel").json()["state"] == "REVOKED"
    assert client.delete(f"/videos/{file_id}").status_code == 204
    # The cancelled attempt may still be stopping: it must publish nothing afterwards.
    time.sleep(3)
    assert stored_outputs(service, file_id) == []
    assert client.get(f"/videos/{file_id}").status_code == 404
