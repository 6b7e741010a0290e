"""Every error answer: a 4xx with a message, and nothing stored or queued."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.service import Service


def stored_sources(service: Service) -> set[str]:
    folder = service.data_dir / "objects" / "sources"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def temp_uploads(service: Service) -> list[Path]:
    return list((service.data_dir / "tmp").glob("upload-*"))


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\0" * 64


@pytest.mark.parametrize(
    ("name", "content", "status", "words"),
    [
        ("empty.mp4", b"", 415, "empty"),
        ("notes.mp4", b"this is just some text\n" * 50, 415, "not a readable video"),
        ("page.mp4", b"<!doctype html><html><body>hi</body></html>", 415, "not"),
        ("random.mp4", bytes(range(256)) * 64, 415, "not"),
        ("pixel.png", PNG, 422, "png_pipe input is not accepted"),
    ],
)
def test_bad_uploads_are_refused_and_not_kept(
    service: Service, client: httpx.Client, name: str, content: bytes, status: int, words: str
) -> None:
    before = stored_sources(service)
    response = client.post("/videos/upload", files={"file": (name, content)})
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    assert stored_sources(service) == before
    assert temp_uploads(service) == []


def test_upload_needs_the_file_field(service: Service, client: httpx.Client) -> None:
    missing = client.post("/videos/upload", files={"other": ("a.mp4", b"x")})
    assert missing.status_code == 422
    assert "'file'" in missing.json()["detail"]
    not_multipart = client.post(
        "/videos/upload", content=b"raw", headers={"content-type": "video/mp4"}
    )
    assert not_multipart.status_code == 422
    assert "multipart/form-data" in not_multipart.json()["detail"]
    assert temp_uploads(service) == []


def test_transcode_unknown_file_is_404(client: httpx.Client) -> None:
    for file_id in (uuid.uuid4().hex, "not-an-id", "..%2F..%2Fetc"):
        response = client.post(
            f"/videos/transcode/{file_id}", json={"resolution": "1280:720", "format": "mp4"}
        )
        assert response.status_code == 404, response.text
        assert response.json()["detail"]
    unknown = client.post(
        f"/videos/transcode/{'0' * 32}", json={"resolution": "1280:720", "format": "mp4"}
    )
    assert unknown.json()["detail"] == f"no file {'0' * 32}"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"resolution": "1281:720", "format": "mp4"}, "even"),
        ({"resolution": "0:720", "format": "mp4"}, "even"),
        ({"resolution": "-2:-2", "format": "mp4"}, "one side"),
        ({"resolution": "7682:4320", "format": "mp4"}, "7680x4320"),
        ({"resolution": "8000:8000", "format": "mp4"}, "7680x4320"),
        ({"resolution": "big", "format": "mp4"}, "1920:1080"),
        ({"resolution": "1280:720", "format": "avi"}, "format"),
        ({"resolution": "1280:720"}, "format"),
        ({"format": "mp4"}, "resolution"),
    ],
)
def test_invalid_transcode_requests_are_422(
    client: httpx.Client, uploaded: dict[str, dict[str, Any]], body: dict[str, str], words: str
) -> None:
    file_id = uploaded["wide"]["file_id"]
    before = client.get(f"/videos/status/{file_id}").json().get("task_id")
    response = client.post(f"/videos/transcode/{file_id}", json=body)
    assert response.status_code == 422, response.text
    assert words in response.json()["detail"]
    # Nothing was queued: the newest job of the file is unchanged.
    assert client.get(f"/videos/status/{file_id}").json().get("task_id") == before


def test_unknown_task_is_404_not_pending(client: httpx.Client) -> None:
    response = client.get(f"/videos/task/{uuid.uuid4()}")
    assert response.status_code == 404
    assert "no task" in response.json()["detail"]


def test_legacy_status_errors(client: httpx.Client, uploaded: dict[str, dict[str, Any]]) -> None:
    assert client.get(f"/videos/status/{uuid.uuid4().hex}").status_code == 404
    portrait = uploaded["portrait"]["file_id"]
    never = client.get(f"/videos/status/{portrait}", params={"format": "webm"})
    assert never.status_code == 404 and "not been transcoded" in never.json()["detail"]
    bad = client.get(f"/videos/status/{portrait}", params={"format": "gif"})
    assert bad.status_code == 422


def test_health_readiness_and_docs(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready"
    assert ready["checks"] == {"redis": "ok", "storage": "ok", "ffmpeg": "ok", "worker": "ok"}
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert {"/videos/upload", "/videos/transcode/{file_id}", "/videos/task/{task_id}"} <= set(
        spec["paths"]
    )


def multipart(*parts: tuple[str, str, bytes], close: bool = True) -> tuple[bytes, dict[str, str]]:
    """A hand-made multipart body: (field name, file name, content) per part."""
    body = b""
    for name, filename, content in parts:
        body += b"--vfb\r\nContent-Disposition: form-data; "
        body += f'name="{name}"; filename="{filename}"\r\n\r\n'.encode() + content + b"\r\n"
    if close:
        body += b"--vfb--\r\n"
    return body, {"content-type": "multipart/form-data; boundary=vfb"}


def test_truncated_upload_is_refused(
    service: Service, client: httpx.Client, clips: dict[str, Path]
) -> None:
    before = stored_sources(service)
    data = clips["wide"].read_bytes()
    body, headers = multipart(("file", "cut.mp4", data), close=False)
    response = client.post("/videos/upload", content=body[: len(body) // 2], headers=headers)
    assert response.status_code == 422, response.text
    assert "ended before the file did" in response.json()["detail"]
    assert stored_sources(service) == before and temp_uploads(service) == []


def test_first_file_part_wins_and_other_fields_are_ignored(
    client: httpx.Client, clips: dict[str, Path]
) -> None:
    body, headers = multipart(
        ("note", "n.txt", b"ignored"),
        ("file", "first.mp4", clips["noaudio"].read_bytes()),
        ("file", "second.mp4", b"not a video"),
    )
    response = client.post("/videos/upload", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["original_name"] == "first.mp4"
    assert (response.json()["width"], response.json()["height"]) == (320, 240)


@pytest.mark.parametrize(
    "hostile", ["../../etc/passwd.mp4", "-y.mp4", "a\r\nX-Evil: 1.mp4", "x" * 600 + ".mp4"]
)
def test_hostile_file_names_are_stored_under_an_id(
    service: Service, client: httpx.Client, clips: dict[str, Path], hostile: str
) -> None:
    body, headers = multipart(("file", hostile, clips["noaudio"].read_bytes()))
    response = client.post("/videos/upload", content=body, headers=headers)
    assert response.status_code == 200, response.text
    stored = response.json()
    assert stored["filename"] == stored["file_id"] + ".mp4"
    assert (service.data_dir / "objects" / "sources" / stored["file_id"] / "source").is_file()
    assert not (service.data_dir / "etc").exists()
    assert len(stored["original_name"]) <= 255
