"""`videoforge thumbnail` and `submit --start/--end`, run as real processes against the running
service: the still is a JPEG of the width asked for, the part of a video lasts what was asked.

Each needs its server side: the thumbnail route (videoforge/http/previews.py) and start_s/end_s
in the transcode request; a test whose server side is not there yet is skipped."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.service import Service
from tests.e2e.test_cli import cli_env, command, failed, succeeded
from tests.e2e.test_transcode import ffprobe
from videoforge.media.binaries import FFmpegBinaries

Result = subprocess.CompletedProcess[str]


def videoforge(service: Service, *args: str, cwd: Path | None = None) -> Result:
    """Run `videoforge ARGS` against the service, in `cwd`."""
    return subprocess.run(
        command(*args), env=cli_env(service), cwd=cwd, capture_output=True, text=True, timeout=120
    )


def video_stream(binaries: FFmpegBinaries, target: str) -> dict[str, Any]:
    return next(s for s in ffprobe(binaries, target)["streams"] if s["codec_type"] == "video")


@pytest.fixture(scope="module")
def wide_id(uploaded: dict[str, dict[str, Any]]) -> str:
    """The 4 s 640x360 clip, uploaded."""
    file_id: str = uploaded["wide"]["file_id"]
    return file_id


def test_thumbnail_saves_a_jpeg_of_the_width_asked_for(
    service: Service, wide_id: str, binaries: FFmpegBinaries, tmp_path: Path
) -> None:
    dest = tmp_path / "shot.jpg"
    printed = succeeded(videoforge(service, "thumbnail", wide_id, "--time", "1.5",
                                   "--width", "320", "-o", str(dest)))  # fmt: skip
    assert printed.strip() == str(dest)
    assert dest.read_bytes()[:2] == b"\xff\xd8"
    assert video_stream(binaries, str(dest))["width"] == 320
    assert [p.name for p in tmp_path.iterdir()] == ["shot.jpg"]  # no partial file left


def test_thumbnail_by_default_is_file_id_jpg_here_and_json_describes_it(
    service: Service, wide_id: str, tmp_path: Path
) -> None:
    saved = json.loads(succeeded(videoforge(service, "thumbnail", wide_id, "--json", cwd=tmp_path)))
    dest = tmp_path / f"{wide_id}.jpg"
    assert saved == {"path": str(dest), "bytes": dest.stat().st_size, "content_type": "image/jpeg"}
    assert dest.read_bytes()[:2] == b"\xff\xd8"


def test_thumbnail_of_an_unknown_file_is_one_line_and_no_file(
    service: Service, tmp_path: Path
) -> None:
    line = failed(videoforge(service, "thumbnail", "0" * 32, cwd=tmp_path))
    assert line.startswith("videoforge: ") and "Traceback" not in line
    assert list(tmp_path.iterdir()) == []


def test_submit_start_end_encodes_that_part(
    service: Service, clips: dict[str, Path], binaries: FFmpegBinaries
) -> None:
    args = ("submit", str(clips["wide"]), "--start", "1", "--end", "3", "-f", "mp4")
    url = succeeded(videoforge(service, *args, "-r", "640:360", "--wait")).strip()
    assert url.startswith(f"{service.url}/videos/stream/") and url.endswith(".mp4")
    duration_s = float(ffprobe(binaries, url)["format"]["duration"])
    assert duration_s == pytest.approx(2.0, abs=0.25)
    stream = video_stream(binaries, url)
    assert (stream["width"], stream["height"]) == (640, 360)


def test_transcode_with_the_end_before_the_start_is_the_servers_one_line(
    service: Service, wide_id: str
) -> None:
    args = ("transcode", wide_id, "-f", "mp4", "-r", "640:360", "--start", "3", "--end", "1")
    line = failed(videoforge(service, *args))
    assert "end_s" in line
