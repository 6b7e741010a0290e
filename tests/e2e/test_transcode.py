"""Upload, transcode to every format, live status: the whole path through the real service."""

from __future__ import annotations

import itertools
import json
import subprocess
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.service import Service, transcode, upload, wait_for
from videoforge.media.binaries import FFmpegBinaries


def ffprobe(binaries: FFmpegBinaries, target: str) -> dict[str, Any]:
    out = subprocess.run(
        [binaries.ffprobe, "-v", "error", "-of", "json", "-show_format", "-show_streams", target],
        check=True,
        capture_output=True,
        env=binaries.process_env,
    ).stdout
    data: dict[str, Any] = json.loads(out)
    return data


def streams(data: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [s for s in data["streams"] if s["codec_type"] == kind]


def test_upload_answers_with_the_seed_shape(uploaded: dict[str, dict[str, Any]]) -> None:
    body = uploaded["wide"]
    assert body["message"] == "Video uploaded successfully"
    assert len(body["file_id"]) == 32
    assert body["filename"] == body["file_id"] + ".mp4"
    assert (body["width"], body["height"]) == (640, 360)
    assert body["audio_codec"] == "aac"
    assert 3.9 < body["duration_s"] < 4.2


def test_transcode_answers_at_once_with_the_seed_shape(
    client: httpx.Client, uploaded: dict[str, dict[str, Any]]
) -> None:
    file_id = uploaded["wide"]["file_id"]
    body = transcode(client, file_id, "1920:1080", "mp4")
    assert body["message"] == "Transcoding started"
    assert body["status"] == "processing"
    assert body["file_id"] == file_id
    assert body["resolution"] == "1920:1080" and body["format"] == "mp4"
    # The name carries the planned size: the 640x360 source is never upscaled by default.
    assert body["output_name"].startswith(f"{file_id}_640x360_")
    assert body["output_name"].endswith(".mp4")
    final, _ = wait_for(client, body["task_id"])
    assert final["state"] == "SUCCESS"


def test_every_format_succeeds_with_browser_codecs(
    service: Service, finished: dict[str, dict[str, Any]], binaries: FFmpegBinaries
) -> None:
    expected = {"hls": ("h264", "aac"), "mp4": ("h264", "aac"), "webm": ("vp9", "opus")}
    names = set()
    for fmt, (video_codec, audio_codec) in expected.items():
        status = finished[fmt]
        assert status["state"] == "SUCCESS", status
        assert status["status"] == "completed" and status["attempts"] == 1
        result = status["result"]
        assert result["status"] == "completed" and result["format"] == fmt
        names.add(result["output_name"])
        data = ffprobe(binaries, f"{service.url}/videos/stream/{result['output_name']}")
        (video,) = streams(data, "video")
        (audio,) = streams(data, "audio")
        assert video["codec_name"] == video_codec and video["pix_fmt"] == "yuv420p"
        assert (video["width"], video["height"]) == (640, 360)
        assert audio["codec_name"] == audio_codec
        assert abs(float(data["format"]["duration"]) - 4.0) < 0.3
    assert len(names) == 3  # formats never overwrite each other


def test_mp4_has_faststart(service: Service, finished: dict[str, dict[str, Any]]) -> None:
    name = finished["mp4"]["result"]["output_name"]
    head = httpx.get(f"{service.url}/videos/stream/{name}").content
    assert 0 < head.find(b"moov") < head.find(b"mdat")


def test_progress_is_reported_while_transcoding(
    client: httpx.Client, uploaded: dict[str, dict[str, Any]]
) -> None:
    task = transcode(client, uploaded["long"]["file_id"], "1280:720", "webm")
    final, seen = wait_for(client, task["task_id"], timeout_s=180)
    assert final["state"] == "SUCCESS", final
    progress = [s["progress"] for s in seen if s["state"] == "PROGRESS"]
    assert progress, [s["state"] for s in seen]
    for snapshot in progress:
        assert set(snapshot) == {"percent", "fps", "speed", "eta_seconds"}
        assert 0 <= snapshot["percent"] < 100
    percents = [p["percent"] for p in progress]
    assert percents == sorted(percents)
    assert any(p["speed"] > 0 for p in progress)
    # Refreshed at least every 2 s: consecutive PROGRESS updates are never further apart.
    stamps = sorted({s["updated_at"] for s in seen if s["state"] == "PROGRESS"})
    assert all(b - a <= 2.0 for a, b in itertools.pairwise(stamps))


def test_clip_without_audio(
    service: Service,
    client: httpx.Client,
    uploaded: dict[str, dict[str, Any]],
    binaries: FFmpegBinaries,
) -> None:
    assert uploaded["noaudio"]["audio_codec"] is None
    for fmt in ("mp4", "webm", "hls"):
        task = transcode(client, uploaded["noaudio"]["file_id"], "1280:720", fmt)
        final, _ = wait_for(client, task["task_id"])
        assert final["state"] == "SUCCESS", final
        data = ffprobe(binaries, f"{service.url}/videos/stream/{task['output_name']}")
        assert streams(data, "audio") == []
        assert [(s["width"], s["height"]) for s in streams(data, "video")] == [(320, 240)]


def test_non_16_9_clip_upscaled_on_request(
    service: Service,
    client: httpx.Client,
    uploaded: dict[str, dict[str, Any]],
    binaries: FFmpegBinaries,
) -> None:
    task = transcode(client, uploaded["noaudio"]["file_id"], "1280:-2", "mp4", upscale=True)
    final, _ = wait_for(client, task["task_id"])
    assert final["state"] == "SUCCESS", final
    assert (final["result"]["width"], final["result"]["height"]) == (1280, 960)
    data = ffprobe(binaries, f"{service.url}/videos/stream/{task['output_name']}")
    assert [(s["width"], s["height"]) for s in streams(data, "video")] == [(1280, 960)]


def test_portrait_clip_keeps_its_aspect(
    service: Service,
    client: httpx.Client,
    uploaded: dict[str, dict[str, Any]],
    binaries: FFmpegBinaries,
) -> None:
    task = transcode(client, uploaded["portrait"]["file_id"], "640:360", "mp4")
    final, _ = wait_for(client, task["task_id"])
    assert final["state"] == "SUCCESS", final
    data = ffprobe(binaries, f"{service.url}/videos/stream/{task['output_name']}")
    # 360x640 into a 640x360 box: height limits, 360/640 * 360 = 202.5 -> even 202.
    assert [(s["width"], s["height"]) for s in streams(data, "video")] == [(202, 360)]


def test_legacy_status_follows_the_newest_job(
    client: httpx.Client, uploaded: dict[str, dict[str, Any]], finished: dict[str, Any]
) -> None:
    file_id = uploaded["wide"]["file_id"]
    body = client.get(f"/videos/status/{file_id}", params={"format": "hls"}).json()
    assert body["status"] == "ready" and body["format"] == "hls"
    assert body["output_name"] == finished["hls"]["result"]["output_name"]
    task = transcode(client, file_id, "320:180", "hls")
    during = client.get(f"/videos/status/{file_id}", params={"format": "hls"}).json()
    assert during["task_id"] == task["task_id"]
    assert during["status"] in {"processing", "ready"}
    wait_for(client, task["task_id"])
    after = client.get(f"/videos/status/{file_id}", params={"format": "hls"}).json()
    assert after["status"] == "ready" and after["task_id"] == task["task_id"]


def test_corrupt_source_fails_with_a_reason_and_no_retry(
    service: Service, client: httpx.Client, clips: dict[str, Path]
) -> None:
    body = upload(client, clips["wide"], "broken.mp4")
    # Damage the stored bytes after acceptance (storage never does; a disk might): the worker
    # trusts the upload's probe, so the encode itself fails, in FFmpeg's words, at once.
    source = service.data_dir / "objects" / "sources" / body["file_id"] / "source"
    source.write_bytes(b"\0" * 4096)
    task = transcode(client, body["file_id"], "1280:720", "mp4")
    final, seen = wait_for(client, task["task_id"])
    assert final["state"] == "FAILURE"
    assert final["status"] == "failed"
    assert final["attempts"] == 1
    assert "Invalid data found when processing input" in final["error"]
    assert "Traceback" not in final["error"]
    assert "RETRY" not in {s["state"] for s in seen}
    assert client.get(f"/videos/stream/{task['output_name']}").status_code == 404


def test_rotated_source_is_shown_upright(
    service: Service,
    client: httpx.Client,
    uploaded: dict[str, dict[str, Any]],
    binaries: FFmpegBinaries,
) -> None:
    assert (uploaded["rotated"]["width"], uploaded["rotated"]["height"]) == (360, 640)
    task = transcode(client, uploaded["rotated"]["file_id"], "1280:720", "mp4")
    assert task["output_name"].startswith(f"{uploaded['rotated']['file_id']}_360x640_")
    final, _ = wait_for(client, task["task_id"])
    assert final["state"] == "SUCCESS", final
    data = ffprobe(binaries, f"{service.url}/videos/stream/{task['output_name']}")
    # ffmpeg applies the rotation while decoding, so the output is upright pixels.
    assert [(s["width"], s["height"]) for s in streams(data, "video")] == [(360, 640)]
