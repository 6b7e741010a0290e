"""Thumbnails and animated previews made on demand, against a real service."""

from __future__ import annotations

import struct
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.media_checks import decoded_frames, video
from tests.e2e.service import Service, fetch_when_made, keys, locked, upload
from videoforge.media.binaries import FFmpegBinaries

__all__ = ["locked"]  # a fixture, used by name


def _saved(tmp_path: Path, response: httpx.Response, name: str) -> Path:
    assert response.status_code == 200, response.text
    path = tmp_path / name
    path.write_bytes(response.content)
    return path


def _gray(binaries: FFmpegBinaries, path: Path) -> bytes:
    """The image's pixels, 8-bit gray."""
    argv = [binaries.ffmpeg, "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt",
            "gray", "-"]  # fmt: skip
    return subprocess.run(argv, check=True, capture_output=True, env=binaries.process_env).stdout


def _webp_frames(data: bytes) -> int:
    """ANMF chunks (animation frames) in a RIFF WebP."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    frames, at = 0, 12
    while at + 8 <= len(data):
        kind, size = data[at : at + 4], struct.unpack("<I", data[at + 4 : at + 8])[0]
        frames += kind == b"ANMF"
        at += 8 + size + (size & 1)
    return frames


def _preview_dir(service: Service, file_id: str) -> Path:
    return service.data_dir / "objects" / "previews" / file_id


def test_thumbnails_at_two_times_differ_and_are_jpeg_at_the_width(
    client: httpx.Client,
    uploaded: dict[str, dict[str, Any]],
    binaries: FFmpegBinaries,
    tmp_path: Path,
) -> None:
    file_id = uploaded["wide"]["file_id"]
    early = client.get(f"/videos/{file_id}/thumbnail.jpg", params={"time": 0.5, "width": 320})
    late = client.get(f"/videos/{file_id}/thumbnail.jpg", params={"time": 3.0, "width": 320})
    shots = [_saved(tmp_path, early, "early.jpg"), _saved(tmp_path, late, "late.jpg")]
    for response in (early, late):
        assert response.headers["content-type"] == "image/jpeg"
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert early.content != late.content
    for shot in shots:
        stream = video(binaries, shot)
        assert (stream["codec_name"], stream["width"], stream["height"]) == ("mjpeg", 320, 180)
    pixels = [_gray(binaries, shot) for shot in shots]
    assert len(pixels[0]) == len(pixels[1]) == 320 * 180
    differing = sum(abs(a - b) > 16 for a, b in zip(*pixels, strict=True))
    assert differing > 320 * 180 // 50  # testsrc2 moves: far more than noise


def test_thumbnail_defaults_and_other_types(
    client: httpx.Client,
    uploaded: dict[str, dict[str, Any]],
    binaries: FFmpegBinaries,
    tmp_path: Path,
) -> None:
    file_id = uploaded["wide"]["file_id"]
    default = client.get(f"/videos/{file_id}/thumbnail.jpg")
    stream = video(binaries, _saved(tmp_path, default, "default.jpg"))
    assert (stream["width"], stream["height"]) == (640, 360)
    png = client.get(f"/videos/{file_id}/thumbnail.png", params={"width": 160})
    assert png.status_code == 200, png.text
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert video(binaries, _saved(tmp_path, png, "small.png"))["width"] == 160
    webp = client.get(f"/videos/{file_id}/thumbnail.webp", params={"time": 1})
    assert webp.status_code == 200, webp.text
    assert webp.headers["content-type"] == "image/webp"
    assert webp.content[:4] == b"RIFF" and webp.content[8:12] == b"WEBP"
    rotated = client.get(f"/videos/{uploaded['rotated']['file_id']}/thumbnail.png")
    stream = video(binaries, _saved(tmp_path, rotated, "upright.png"))
    assert (stream["width"], stream["height"]) == (360, 640)


@pytest.mark.parametrize(
    ("route", "params", "words"),
    [
        ("thumbnail.jpg", {"time": -1}, "time must be"),
        ("thumbnail.jpg", {"time": 4}, "before the end"),
        ("thumbnail.jpg", {"time": 99}, "before the end"),
        ("thumbnail.jpg", {"time": "soon"}, "time"),
        ("thumbnail.jpg", {"width": 0}, "at least 2"),
        ("thumbnail.jpg", {"width": 641}, "at most 640"),
        ("thumbnail.png", {"width": 5000}, "at most 640"),
        ("animated.webp", {"start": 1, "end": 1}, "end must be after start"),
        ("animated.webp", {"start": 3, "end": 1}, "end must be after start"),
        ("animated.webp", {"end": 5}, "before the end"),
        ("animated.gif", {"start": 4}, "before the end"),
        ("animated.gif", {"width": 641}, "at most 640"),
        ("animated.gif", {"fps": 31}, "fps must be from 1 to 30"),
        ("animated.webp", {"fps": 0}, "fps must be from 1 to 30"),
    ],
)
def test_bad_parameters_are_422_with_a_message(
    client: httpx.Client,
    uploaded: dict[str, dict[str, Any]],
    route: str,
    params: dict[str, Any],
    words: str,
) -> None:
    response = client.get(f"/videos/{uploaded['wide']['file_id']}/{route}", params=params)
    assert response.status_code == 422, response.text
    assert words in response.json()["detail"]


def test_long_animations_and_unknown_types_and_files(
    client: httpx.Client, uploaded: dict[str, dict[str, Any]]
) -> None:
    file_id = uploaded["long"]["file_id"]
    too_long = client.get(f"/videos/{file_id}/animated.webp", params={"start": 0, "end": 10.5})
    assert too_long.status_code == 422 and "at most 10 s" in too_long.json()["detail"]
    too_wide = client.get(f"/videos/{file_id}/animated.webp", params={"width": 642})
    assert too_wide.status_code == 422 and "at most 640" in too_wide.json()["detail"]
    for path in (f"/videos/{file_id}/thumbnail.bmp", f"/videos/{file_id}/animated.mp4",
                 f"/videos/{'0' * 32}/thumbnail.jpg", "/videos/nope/animated.gif"):  # fmt: skip
        assert client.get(path).status_code == 404, path


def test_the_same_url_is_made_once_then_served_from_storage(
    service: Service, client: httpx.Client, uploaded: dict[str, dict[str, Any]]
) -> None:
    file_id = uploaded["long"]["file_id"]
    url, params = f"/videos/{file_id}/thumbnail.jpg", {"time": 7.25, "width": 200}
    first = client.get(url, params=params)
    assert first.status_code == 200, first.text
    assert first.headers["x-videoforge-cache"] == "miss"
    stored = _preview_dir(service, file_id) / "thumb-t7250-w200.jpg"
    assert stored.read_bytes() == first.content
    made_at = stored.stat().st_mtime_ns
    second = client.get(url, params=params)
    assert second.headers["x-videoforge-cache"] == "hit"
    assert second.content == first.content
    assert stored.stat().st_mtime_ns == made_at


def test_animated_webp_and_gif_have_many_frames(
    client: httpx.Client,
    uploaded: dict[str, dict[str, Any]],
    binaries: FFmpegBinaries,
    tmp_path: Path,
) -> None:
    file_id = uploaded["wide"]["file_id"]
    webp = client.get(f"/videos/{file_id}/animated.webp", params={"start": 1, "end": 2.5})
    assert webp.status_code == 200, webp.text
    assert webp.headers["content-type"] == "image/webp"
    assert _webp_frames(webp.content) > 1
    gif = client.get(f"/videos/{file_id}/animated.gif", params={"width": 160, "fps": 8})
    assert gif.headers["content-type"] == "image/gif"
    path = _saved(tmp_path, gif, "moving.gif")
    assert gif.content.startswith(b"GIF89a")
    assert decoded_frames(binaries, path) > 1
    stream = video(binaries, path)
    assert (stream["width"], stream["height"]) == (160, 90)
    again = client.get(f"/videos/{file_id}/animated.gif", params={"width": 160, "fps": 8})
    assert again.headers["x-videoforge-cache"] == "hit"


def test_two_first_requests_at_once_both_succeed(
    service: Service, uploaded: dict[str, dict[str, Any]]
) -> None:
    file_id = uploaded["portrait"]["file_id"]
    url = f"{service.url}/videos/{file_id}/animated.webp"

    def fetch(_: int) -> httpx.Response:
        return httpx.get(url, params={"start": 0.5, "end": 1.5, "width": 180}, timeout=120)

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(fetch, range(2)))
    assert [answer.status_code for answer in answers] == [200, 200], answers[0].text
    assert answers[0].content == answers[1].content
    assert sorted(answer.headers["x-videoforge-cache"] for answer in answers) == ["hit", "miss"]


def test_deleting_a_file_removes_its_previews(
    service: Service, client: httpx.Client, clips: dict[str, Path]
) -> None:
    file_id = upload(client, clips["noaudio"])["file_id"]
    assert client.get(f"/videos/{file_id}/thumbnail.jpg").status_code == 200
    assert client.get(f"/videos/{file_id}/animated.gif", params={"end": 1}).status_code == 200
    # The worker's storyboard lands there too; waited for, so nothing is written after.
    assert fetch_when_made(client, f"/videos/{file_id}/storyboard.json").status_code == 200
    folder = _preview_dir(service, file_id)
    names = sorted(path.name for path in folder.iterdir())
    assert len(names) == 4 and {"storyboard.jpg", "storyboard.json"} < set(names), names
    assert client.delete(f"/videos/{file_id}").status_code == 204
    assert not list(folder.glob("*"))
    assert client.get(f"/videos/{file_id}/thumbnail.jpg").status_code == 404


def test_with_keys_required_previews_need_a_key(locked: Service, clips: dict[str, Path]) -> None:
    created = keys(locked, "create", "previews")
    assert created.returncode == 0, created.stderr
    headers = {"Authorization": f"Bearer {created.stdout.strip()}"}
    with httpx.Client(base_url=locked.url, timeout=60, headers=headers) as keyed:
        file_id = upload(keyed, clips["noaudio"])["file_id"]
        with locked.client() as anonymous:
            for route in ("thumbnail.jpg", "animated.webp"):
                refused = anonymous.get(f"/videos/{file_id}/{route}")
                assert refused.status_code == 401, refused.text
                forged = anonymous.get(
                    f"/videos/{file_id}/{route}", params={"exp": 9999999999, "sig": "0" * 32}
                )
                assert forged.status_code == 401, forged.text
        for route in ("thumbnail.jpg", "animated.webp"):
            allowed = keyed.get(f"/videos/{file_id}/{route}")
            assert allowed.status_code == 200, allowed.text
            assert allowed.headers["cache-control"].startswith("private")


def test_with_keys_required_the_details_give_signed_preview_urls(
    locked: Service, clips: dict[str, Path]
) -> None:
    """Images and players send no keys: the file's details give URLs signed for its
    previews, which work without a key, storyboard sprite included; another file's do not."""
    created = keys(locked, "create", "signed-previews")
    headers = {"Authorization": f"Bearer {created.stdout.strip()}"}
    with httpx.Client(base_url=locked.url, timeout=60, headers=headers) as keyed:
        file_id = upload(keyed, clips["noaudio"])["file_id"]
        other_id = upload(keyed, clips["wide"])["file_id"]
        urls = keyed.get(f"/videos/{file_id}").json()["previews"]
        other = keyed.get(f"/videos/{other_id}").json()["previews"]
    assert set(urls) == {"thumbnail", "animated", "storyboard"}
    with locked.client() as anonymous:
        thumb = anonymous.get(urls["thumbnail"] + "&width=160")
        assert thumb.status_code == 200 and thumb.content[:2] == b"\xff\xd8"
        assert anonymous.get(urls["animated"]).status_code == 200
        vtt = fetch_when_made(anonymous, urls["storyboard"])
        assert vtt.status_code == 200, vtt.text
        sprite_url = vtt.text.split("\n\n")[1].splitlines()[1].split("#")[0]
        assert "sig=" in sprite_url
        sprite = anonymous.get(f"/videos/{file_id}/{sprite_url}")
        assert sprite.status_code == 200 and sprite.content[:2] == b"\xff\xd8"
        # A signature is for one file's previews only.
        query = urls["thumbnail"].partition("?")[2]
        assert anonymous.get(f"/videos/{other_id}/thumbnail.jpg?{query}").status_code == 401
        assert other["thumbnail"] != urls["thumbnail"]
