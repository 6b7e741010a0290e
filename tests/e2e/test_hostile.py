"""The bad-input matrix (RELIABILITY.md B1-B8) against the real service.

Every case checks the status code and the message, that nothing was stored or queued, and
that the service still answers. Playlists and lists point at a secret file that must never
show up in any answer.
"""

from __future__ import annotations

import os
import socket
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.service import Service, transcode, upload, wait_for
from videoforge.media.binaries import FFmpegBinaries

SECRET = "videoforge-secret-7f1c2e"


def ffmpeg(binaries: FFmpegBinaries, *args: str) -> None:
    subprocess.run([binaries.ffmpeg, "-v", "error", "-y", *args], check=True,
                   env=binaries.process_env)  # fmt: skip


@pytest.fixture(scope="session")
def hostile(
    tmp_path_factory: pytest.TempPathFactory, binaries: FFmpegBinaries, clips: dict[str, Path]
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    secret = folder / "secret.txt"
    secret.write_text(SECRET)
    files = {
        "hls_playlist": f"#EXTM3U\n#EXT-X-TARGETDURATION:5\n#EXTINF:5,\n{secret}\n#EXT-X-ENDLIST\n",
        "hls_with_bom": f"\ufeff\n\n#EXTM3U\n#EXTINF:5,\nfile:{secret}\n",
        "ffconcat": f"ffconcat version 1.0\nfile '{secret}'\n",
        "concat_url": f"concat:{secret}|{secret}",
        "dash_mpd": '<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011"></MPD>',
    }
    paths = {}
    for name, text in files.items():
        paths[name] = folder / f"{name}.mp4"
        paths[name].write_text(text)
    generated = {
        "png_still": ("-f", "lavfi", "-i", "testsrc2=size=64x64", "-frames:v", "1", "-c:v", "png",
                      "-f", "image2"),
        "jpeg_still": ("-f", "lavfi", "-i", "testsrc2=size=64x64", "-frames:v", "1", "-f", "mjpeg"),
        "audio_only": ("-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", "-f", "mp4"),
        "mp3_audio": ("-f", "lavfi", "-i", "sine=duration=1", "-f", "mp3"),
        "bomb_8000x8000": ("-f", "lavfi", "-i", "color=size=8000x8000:rate=1:duration=1",
                           "-frames:v", "1", "-c:v", "libx264", "-preset", "ultrafast",
                           "-pix_fmt", "yuv420p", "-f", "mp4"),
        "absurd_duration": ("-itsscale", "10000", "-i", str(clips["noaudio"]), "-c", "copy",
                            "-f", "mp4"),
        "absurd_fps": ("-f", "lavfi", "-i", "testsrc2=size=160x120:rate=1000:duration=0.2",
                       "-c:v", "libx264", "-preset", "ultrafast", "-f", "mp4"),
        "twenty_streams": ("-f", "lavfi", "-i", "testsrc2=size=160x120:duration=1",
                           "-f", "lavfi", "-i", "sine=duration=1",
                           "-map", "0:v", *(["-map", "1:a"] * 19), "-c:v", "libx264",
                           "-preset", "ultrafast", "-c:a", "aac", "-f", "matroska"),
    }  # fmt: skip
    for name, args in generated.items():
        paths[name] = folder / f"{name}.mp4"
        ffmpeg(binaries, *args, str(paths[name]))
    whole = clips["wide"].read_bytes()
    paths["truncated"] = folder / "truncated.mp4"
    paths["truncated"].write_bytes(whole[: len(whole) // 3])
    return paths


REFUSALS = [
    ("hls_playlist", 422, "HLS playlists are not accepted"),
    ("hls_with_bom", 422, "HLS playlists are not accepted"),
    ("ffconcat", 422, "ffconcat lists are not accepted"),
    ("concat_url", 422, "concat lists are not accepted"),
    ("dash_mpd", 422, "XML files"),
    ("png_still", 422, "png_pipe input is not accepted"),
    ("jpeg_still", 422, "jpeg_pipe input is not accepted"),
    ("audio_only", 415, "the file has no video stream"),
    ("mp3_audio", 422, "mp3 input is not accepted"),
    ("bomb_8000x8000", 422, "MAX_INPUT_PIXELS"),
    ("absurd_duration", 422, "MAX_INPUT_DURATION_S"),
    ("absurd_fps", 422, "MAX_INPUT_FPS"),
    ("twenty_streams", 422, "MAX_INPUT_STREAMS"),
    ("truncated", 415, "not a readable video"),
]


def stored(service: Service) -> set[str]:
    folder = service.data_dir / "objects" / "sources"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def still_fine(client: httpx.Client, service: Service, before: set[str]) -> None:
    assert stored(service) == before
    assert list((service.data_dir / "tmp").glob("upload-*")) == []
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize(("case", "status", "words"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_hostile_uploads_are_refused(
    service: Service, client: httpx.Client, hostile: dict[str, Path],
    case: str, status: int, words: str,
) -> None:  # fmt: skip
    before = stored(service)
    response = client.post(
        "/videos/upload", files={"file": ("video.mp4", hostile[case].read_bytes())}
    )
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    assert SECRET not in response.text and "/tmp" not in response.text
    still_fine(client, service, before)


@pytest.mark.parametrize("header", [
    "bytes=" + ",".join(f"{i}-{i}" for i in range(1000)),
    "bytes=0-0," * 5000,
    "bytes=99999999999999999999-",
    "bytes=--1",
    "items=0-10",
])  # fmt: skip
def test_hostile_range_headers_are_cheap(
    client: httpx.Client, finished: dict[str, Any], header: str
) -> None:
    name = finished["mp4"]["result"]["output_name"]
    response = client.get(f"/videos/stream/{name}", headers={"Range": header})
    assert response.status_code in (200, 416), response.text[:200]
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("declared", ["99999999999999", "10737484800"])
def test_oversize_declared_body_is_413_before_reading(
    service: Service, client: httpx.Client, declared: str
) -> None:
    before = stored(service)
    with socket.create_connection(("127.0.0.1", service.port), timeout=10) as raw:
        raw.sendall(
            b"POST /videos/upload HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\n"
            + f"Content-Length: {declared}\r\n\r\n".encode()
            + b"--b\r\n"
        )
        answer = b""
        while b"exceeds" not in answer and len(answer) < 65536:
            chunk = raw.recv(4096)
            if not chunk:
                break
            answer += chunk
    answer = answer.decode(errors="replace")
    assert answer.startswith("HTTP/1.1 413"), answer
    assert "exceeds the limit" in answer
    still_fine(client, service, before)


@pytest.mark.parametrize(("path", "body", "status"), [
    (f"/videos/transcode/{uuid.uuid4().hex}", {"resolution": "640:360", "format": "mp4"}, 404),
    ("/videos/transcode/-y", {"resolution": "640:360", "format": "mp4"}, 404),
    ("/videos/task/../../etc/passwd", None, 404),
    ("/videos/stream/-y.mp4", None, 404),
    ("/videos/download/..%2F..%2Fdata%2Fvalkey%2Fappendonlydir", None, 404),
])  # fmt: skip
def test_unknown_and_hostile_ids(
    client: httpx.Client, path: str, body: dict[str, str] | None, status: int
) -> None:
    response = client.post(path, json=body) if body else client.get(path)
    assert response.status_code == status, response.text
    assert client.get("/healthz").status_code == 200


def test_corrupt_media_that_probes_fails_fast_with_a_reason(
    service: Service, client: httpx.Client, clips: dict[str, Path]
) -> None:
    data = bytearray(clips["wide"].read_bytes())
    mdat = data.find(b"mdat")
    data[mdat + 64 : mdat + 64 + 200_000] = os.urandom(200_000)  # damage the frames, keep moov
    body = client.post("/videos/upload", files={"file": ("corrupt.mp4", bytes(data))})
    if body.status_code != 200:  # rejected at probe already: also fine, with a reason
        assert body.status_code in (415, 422) and body.json()["detail"]
        return
    task = transcode(client, body.json()["file_id"], "320:180", "mp4")
    final, seen = wait_for(client, task["task_id"])
    assert final["attempts"] == 1 and "RETRY" not in {s["state"] for s in seen}
    if final["state"] == "FAILURE":
        assert final["error"].startswith("FFmpeg error") and "Traceback" not in final["error"]


def test_hostile_original_names_are_sanitised(client: httpx.Client, clips: dict[str, Path]) -> None:
    for name in ("../../etc/passwd.mp4", "a\r\nX-Evil: 1.mp4", "-y.mp4", "é" * 1000 + ".mp4"):
        stored_file = upload(client, clips["noaudio"], name)
        assert "\r" not in stored_file["original_name"] and "/" not in stored_file["original_name"]
        assert len(stored_file["original_name"]) <= 120
        assert stored_file["filename"].startswith(stored_file["file_id"])
    # A 10 KB name overflows the multipart parser's header limit: refused, clearly.
    huge = client.post("/videos/upload", files={"file": ("x" * 10_000 + ".mp4", b"data")})
    assert huge.status_code == 422
    assert huge.json()["detail"] == "the multipart body is malformed: Maximum header size exceeded"
