"""Presets on the running service: saved in versions, listed with the built-ins, used by a
transcode (alone or under overrides) whose output matches them, fixed in a job at
submission, and refused (404, 409, 422) without storing or queueing anything."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.media_checks import probe
from tests.e2e.service import Service, submit, upload, wait_for, wait_success
from videoforge.media.binaries import FFmpegBinaries


def unique(stem: str) -> str:
    return f"{stem}-{uuid.uuid4().hex[:8]}"


def save(client: httpx.Client, name: str, **settings: Any) -> dict[str, Any]:
    response = client.post("/presets", json={"name": name, **settings})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def streams(binaries: FFmpegBinaries, client: httpx.Client, job: dict[str, Any], to: Path) -> Any:
    """The finished job's output, downloaded: its streams by type, and its size."""
    to.write_bytes(client.get(job["result"]["download_url"]).content)
    found = probe(binaries, to, "-show_streams", "-show_format")
    by_type = {s["codec_type"]: s for s in found["streams"]}
    return by_type, int(found["format"]["size"])


def test_saving_a_name_again_makes_a_version_and_old_ones_stay(client: httpx.Client) -> None:
    name = unique("phone")
    first = save(client, name, format="mp4", resolution="854:480", description="v1",
                 video={"crf": 28, "maxrate": "1M"})  # fmt: skip
    assert (first["version"], first["preset"], first["builtin"]) == (1, f"{name}@1", False)
    assert first["settings"]["video"] == {"crf": 28, "maxrate": "1000k"}
    second = save(client, name, format="webm", resolution="640:360")
    assert second["preset"] == f"{name}@2"
    assert client.get(f"/presets/{name}").json()["preset"] == f"{name}@2"
    old = client.get(f"/presets/{name}@1").json()
    assert (old["description"], old["settings"]["format"]) == ("v1", "mp4")
    missing = client.get(f"/presets/{name}@3")
    assert (missing.status_code, missing.json()["detail"]) == (
        404, f"preset {name} has no version 3 (latest: {name}@2)"
    )  # fmt: skip
    listed = {item["name"]: item for item in client.get("/presets").json()["items"]}
    assert listed[name]["version"] == 2
    assert all(listed[b]["builtin"] for b in ("web-720p", "abr-auto", "small-mp4"))
    assert client.delete(f"/presets/{name}").status_code == 204
    assert client.get(f"/presets/{name}").status_code == 404
    assert client.get(f"/presets/{name}@1").status_code == 404
    # A name saved again after a deletion never reuses a version a job may have recorded.
    assert save(client, name, format="mp4", resolution="640:360")["preset"] == f"{name}@3"


def test_builtins_cannot_be_changed_or_deleted(client: httpx.Client) -> None:
    changed = client.post("/presets", json={"name": "web-720p", "format": "webm",
                                            "resolution": "640:360"})  # fmt: skip
    assert changed.status_code == 409
    assert "web-720p is a built-in preset: it cannot be changed" in changed.json()["detail"]
    deleted = client.delete("/presets/small-mp4")
    assert deleted.status_code == 409 and "cannot be deleted" in deleted.json()["detail"]
    assert client.get("/presets/web-720p").json()["settings"]["resolution"] == "1280:720"


def test_refusals_store_and_queue_nothing(
    client: httpx.Client, uploaded: dict[str, dict[str, Any]]
) -> None:
    file_id = uploaded["wide"]["file_id"]
    tasks_before = client.get("/videos/tasks").json()["total"]
    presets_before = client.get("/presets").json()["items"]
    bad = [
        ({"name": "Bad Name", "format": "mp4", "resolution": "640:360"}, "lowercase letters"),
        ({"name": "x", "format": "mp4"}, "resolution is required for mp4"),
        ({"name": "x", "format": "mp4", "ladder": "auto"}, "a ladder needs format hls"),
        ({"name": "x", "format": "mp4", "resolution": "640:360", "video": {"crf": 60}},
         "video.crf: Input should be less than or equal to 51"),
        ({"name": "x", "format": "mp4", "resolution": "640:360", "preset": "web-720p"},
         "a preset cannot start from another preset"),
    ]  # fmt: skip
    for body, message in bad:
        answer = client.post("/presets", json=body)
        assert answer.status_code == 422 and message in answer.json()["detail"], answer.text
    # The same rules, with the same words, for a transcode request.
    request = client.post(f"/videos/transcode/{file_id}", json={"format": "mp4"})
    assert request.json()["detail"] == "resolution is required for mp4"
    unknown = client.post(f"/videos/transcode/{file_id}", json={"preset": "no-such-preset"})
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "no preset no-such-preset"})
    overridden = client.post(f"/videos/transcode/{file_id}",
                             json={"preset": "web-720p", "video": {"crf": 99}})  # fmt: skip
    assert overridden.status_code == 422
    assert "video.crf: Input should be less than or equal to 51" in overridden.json()["detail"]
    alone = client.post(f"/videos/transcode/{file_id}", json={"preset": "abr-auto",
                                                              "format": "mp4"})  # fmt: skip
    assert alone.json()["detail"] == "resolution is required for mp4"
    assert client.get("/videos/tasks").json()["total"] == tasks_before
    assert client.get("/presets").json()["items"] == presets_before


def test_a_transcode_with_a_preset_matches_it(
    client: httpx.Client, uploaded: dict[str, dict[str, Any]], binaries: FFmpegBinaries,
    tmp_path: Path,
) -> None:  # fmt: skip
    name = unique("tiny")
    save(client, name, format="mp4", resolution="320:180", priority="low",
         video={"crf": 40, "preset": "fast"}, audio={"bitrate": "32k", "channels": 1})  # fmt: skip
    file_id = uploaded["wide"]["file_id"]
    plain = submit(client, file_id, preset=name)
    sharp = submit(client, file_id, preset=name, video={"crf": 18}, resolution="480:270")
    plain_job, sharp_job = (
        wait_success(client, plain["task_id"]),
        wait_success(client, sharp["task_id"]),
    )
    assert plain_job["preset"] == sharp_job["preset"] == f"{name}@1"
    assert plain_job["priority"] == "low"
    assert plain_job["encoding"] == {"video": {"crf": 40, "preset": "fast"},
                                     "audio": {"bitrate": "32k", "channels": 1}}  # fmt: skip
    assert sharp_job["encoding"]["video"] == {"crf": 18, "preset": "fast"}
    small, small_bytes = streams(binaries, client, plain_job, tmp_path / "plain.mp4")
    large, large_bytes = streams(binaries, client, sharp_job, tmp_path / "sharp.mp4")
    assert (small["video"]["width"], small["video"]["height"]) == (320, 180)
    assert (large["video"]["width"], large["video"]["height"]) == (480, 270)
    assert small["audio"]["channels"] == large["audio"]["channels"] == 1
    assert plain_job["result"]["video_passthrough"] is False
    # CRF 40 throws away far more than CRF 18 (at a smaller size too).
    assert small_bytes * 3 < large_bytes


def test_a_queued_job_keeps_the_version_it_was_given(
    tmp_path: Path, clips: dict[str, Path], binaries: FFmpegBinaries
) -> None:
    service = Service(tmp_path / "serve", WORKER_CONCURRENCY="1").start()
    try:
        with service.client() as client:
            blocker_file = upload(client, clips["long"])["file_id"]
            blocker = submit(client, blocker_file, format="webm", resolution="1280:720",
                             passthrough="never")  # fmt: skip
            wait_for(client, blocker["task_id"], states={"PROGRESS"}, timeout_s=120)
            save(client, "edited", format="mp4", resolution="320:180", video={"crf": 35})
            file_id = upload(client, clips["wide"])["file_id"]
            queued = submit(client, file_id, preset="edited")
            # The only worker slot is busy: this job is still waiting when the preset changes.
            assert client.get(f"/videos/task/{queued['task_id']}").json()["state"] == "PENDING"
            save(client, "edited", format="webm", resolution="160:90", video={"crf": 10})
            assert client.delete("/presets/edited").status_code == 204
            client.post(f"/videos/task/{blocker['task_id']}/cancel")
            job = wait_success(client, queued["task_id"], timeout_s=180)
            assert (job["preset"], job["encoding"]) == ("edited@1", {"video": {"crf": 35}})
            assert (job["format"], job["result"]["width"], job["result"]["height"]) == (
                "mp4", 320, 180
            )  # fmt: skip
            found, _ = streams(binaries, client, job, tmp_path / "queued.mp4")
            assert (found["video"]["codec_name"], found["video"]["width"]) == ("h264", 320)
    finally:
        service.stop()
