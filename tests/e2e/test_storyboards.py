"""Storyboards: a worker makes one shortly after each upload (behind queued jobs); its
sprite, WebVTT and JSON agree, cover the whole video, and name tiles inside the sprite."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.media_checks import video
from tests.e2e.service import fetch_when_made, upload
from tests.integration.conftest import wait_until
from videoforge.media.binaries import FFmpegBinaries


@pytest.fixture(scope="module")
def board(client_module: httpx.Client, uploaded: dict[str, dict[str, Any]]) -> dict[str, Any]:
    file_id = uploaded["long"]["file_id"]
    described = fetch_when_made(client_module, f"/videos/{file_id}/storyboard.json")
    assert described.status_code == 200, described.text
    return {"file_id": file_id, "json": described.json()}


@pytest.fixture(scope="module")
def client_module(service: Any) -> Any:
    with service.client() as http:
        yield http


def test_the_json_lists_one_tile_per_step_across_the_video(board: dict[str, Any]) -> None:
    described = board["json"]
    assert described["url"] == "storyboard.jpg"
    assert described["duration"] == 12.0
    assert (described["tile_width"], described["tile_height"]) == (160, 90)
    starts = [tile["start"] for tile in described["tiles"]]
    assert len(starts) == 50 and starts[0] == 0 and starts == sorted(starts)
    assert starts[-1] < described["duration"]


def test_the_vtt_agrees_with_the_json_and_covers_the_video(
    board: dict[str, Any], client_module: httpx.Client, binaries: FFmpegBinaries,
    tmp_path: Path,
) -> None:  # fmt: skip
    file_id, described = board["file_id"], board["json"]
    response = client_module.get(f"/videos/{file_id}/storyboard.vtt")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/vtt")
    sprite = client_module.get(f"/videos/{file_id}/storyboard.jpg")
    assert sprite.headers["content-type"] == "image/jpeg" and sprite.content[:2] == b"\xff\xd8"
    (tmp_path / "sprite.jpg").write_bytes(sprite.content)
    shown = video(binaries, tmp_path / "sprite.jpg")
    cues = [block.splitlines() for block in response.text.strip().split("\n\n")[1:]]
    assert len(cues) == len(described["tiles"])
    seconds = [[_seconds(t) for t in cue[0].split(" --> ")] for cue in cues]
    assert seconds[0][0] == 0 and seconds[-1][1] == pytest.approx(described["duration"])
    assert all(seconds[i][1] == seconds[i + 1][0] for i in range(len(seconds) - 1))
    for (start, _), (_, text), tile in zip(seconds, cues, described["tiles"], strict=True):
        url, _, box = text.partition("#xywh=")
        x, y, w, h = map(int, box.split(","))
        assert url == described["url"] and start == pytest.approx(tile["start"], abs=1e-3)
        assert (x, y) == (tile["x"], tile["y"])
        assert x + w <= shown["width"] and y + h <= shown["height"], (x, y, shown)


def test_unknown_types_and_files_are_404(client_module: httpx.Client,
                                         board: dict[str, Any]) -> None:  # fmt: skip
    assert client_module.get(f"/videos/{board['file_id']}/storyboard.png").status_code == 404
    assert client_module.get(f"/videos/{'0' * 32}/storyboard.json").status_code == 404


def test_a_new_upload_gets_its_storyboard_and_deleting_the_file_removes_it(
    client_module: httpx.Client, clips: dict[str, Path], service: Any
) -> None:
    file_id = upload(client_module, clips["wide"], name="storyboard.mp4")["file_id"]
    folder = service.data_dir / "objects" / "previews" / file_id
    # Nothing asks for it: the upload's own message (sent STORYBOARD_DELAY_S later, behind
    # any queued job) makes it.
    wait_until(lambda: (folder / "storyboard.json").is_file(), "the upload's storyboard", 120)
    assert (folder / "storyboard.jpg").is_file()
    assert fetch_when_made(client_module, f"/videos/{file_id}/storyboard.vtt").status_code == 200
    assert client_module.delete(f"/videos/{file_id}").status_code in (200, 204)
    assert not folder.exists() or not any(folder.iterdir())
    assert client_module.get(f"/videos/{file_id}/storyboard.json").status_code == 404


def _seconds(stamp: str) -> float:
    hours, minutes, seconds = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def test_pictures_of_the_previews(
    board: dict[str, Any], client_module: httpx.Client, tmp_path: Path
) -> None:
    """A thumbnail, an animation and the storyboard sprite of the 12 s clip, each what its
    type says; saved as the README's pictures when VIDEOFORGE_SCREENSHOT_DIR is set."""
    folder = Path(os.environ.get("VIDEOFORGE_SCREENSHOT_DIR") or tmp_path)
    file_id = board["file_id"]
    pictures = {
        "preview-thumbnail.jpg": (f"/videos/{file_id}/thumbnail.jpg?time=5&width=320", b"\xff\xd8"),
        "preview-animated.webp": (f"/videos/{file_id}/animated.webp?start=2&end=5&width=320",
                                  b"RIFF"),
        "preview-storyboard.jpg": (f"/videos/{file_id}/storyboard.jpg", b"\xff\xd8"),
    }  # fmt: skip
    for name, (url, magic) in pictures.items():
        response = client_module.get(url)
        assert response.status_code == 200 and response.content.startswith(magic), url
        (folder / name).write_bytes(response.content)
