"""Clips: `start_s` and `end_s` cut a part of the source, for one rendition and for ladders,
with audio and video in step; bad windows are refused before anything is queued."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import m3u8
import pytest

from tests.e2e.ladder_checks import get
from tests.e2e.media_checks import probe, psnr
from tests.e2e.service import Service, submit, wait_success
from videoforge.media.binaries import FFmpegBinaries

FRAME_S = 1 / 30  # the test clips run at 30 fps
IN_STEP_S = 0.1


@pytest.fixture(scope="module")
def clipped(service: Service, uploaded: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The 12 s 720p clip cut to 1-4 s as mp4 and webm, and 2.5-7.5 s as a cmaf ladder,
    submitted together."""
    file_id = uploaded["long"]["file_id"]
    with service.client() as http:
        tasks = {
            "mp4": submit(http, file_id, format="mp4", resolution="640:360", start_s=1, end_s=4),
            "webm": submit(http, file_id, format="webm", resolution="320:180", start_s=1,
                           end_s=4),
            "cmaf": submit(http, file_id, format="cmaf", renditions=["640:360", "320:180"],
                           start_s=2.5, end_s=7.5),
        }  # fmt: skip
        return {name: wait_success(http, task["task_id"]) for name, task in tasks.items()}


def durations(binaries: FFmpegBinaries, path: Path) -> dict[str, float]:
    """The container's duration and each stream's, from ffprobe."""
    data = probe(binaries, path, "-show_format", "-show_streams")
    found = {"format": float(data["format"]["duration"])}
    for stream in data["streams"]:
        found[stream["codec_type"]] = float(stream.get("duration") or data["format"]["duration"])
    return found


@pytest.mark.parametrize("fmt", ["mp4", "webm"])
def test_a_clip_lasts_its_window_with_audio_in_step(
    fmt: str, clipped: dict[str, dict[str, Any]], client: httpx.Client,
    binaries: FFmpegBinaries, tmp_path: Path,
) -> None:  # fmt: skip
    job = clipped[fmt]
    assert (job["start_s"], job["end_s"]) == (1.0, 4.0)
    assert job["result"]["duration_s"] == 3.0
    path = tmp_path / f"clip.{fmt}"
    path.write_bytes(get(client, job["result"]["stream_url"]).content)
    found = durations(binaries, path)
    assert abs(found["video"] - 3.0) <= FRAME_S + 1e-3, found
    assert abs(found["audio"] - found["video"]) <= IN_STEP_S, found
    frames = probe(binaries, path, "-count_frames", "-select_streams", "v:0", "-show_entries",
                   "stream=nb_read_frames")["streams"][0]["nb_read_frames"]  # fmt: skip
    assert abs(int(frames) - 90) <= 1, frames


def test_a_clip_starts_at_its_start(
    clipped: dict[str, dict[str, Any]], client: httpx.Client, binaries: FFmpegBinaries,
    tmp_path: Path,
) -> None:  # fmt: skip
    """The clip's pictures are the source's from 1 s on (testsrc2 moves and counts frames),
    not from its start: compared frame by frame with the pattern the source was made of."""
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(get(client, clipped["mp4"]["result"]["stream_url"]).content)
    pattern = "testsrc2=size=1280x720:rate=30:duration=12,scale=640:360"
    from_start_s = psnr(binaries, clip, f"{pattern},trim=start=1")
    from_zero = psnr(binaries, clip, pattern)
    assert from_start_s > 30, from_start_s
    assert from_zero < from_start_s - 10, (from_zero, from_start_s)


def test_a_ladder_clip_lasts_its_window_in_every_rendition(
    clipped: dict[str, dict[str, Any]], client: httpx.Client
) -> None:
    job = clipped["cmaf"]
    assert job["result"]["duration_s"] == 5.0
    master = m3u8.loads(get(client, job["result"]["manifests"]["hls"]).text)
    playlists = [p.uri for p in master.playlists] + [m.uri for m in master.media]
    assert len(playlists) == 3  # two rungs and the audio
    base = job["result"]["manifests"]["hls"].rsplit("/", 1)[0]
    for uri in playlists:
        media = m3u8.loads(get(client, f"{base}/{uri}").text)
        total = sum(segment.duration for segment in media.segments)
        assert abs(total - 5.0) <= IN_STEP_S, (uri, total)
        # The keyframe clock starts at the clip's start: 5 s is one 5 s segment.
        assert [round(s.duration) for s in media.segments] == [5], uri


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ({"start_s": 3, "end_s": 3}, "end_s must be after start_s"),
        ({"start_s": 4, "end_s": 2}, "end_s must be after start_s"),
        ({"start_s": 1, "end_s": 99}, "end_s must be within the video (0 to 12 s)"),
        ({"start_s": 20}, "start_s must be within the video"),
        ({"start_s": -1, "end_s": 2}, "start_s"),
        ({"end_s": 0}, "end_s"),
    ],
)
def test_bad_windows_are_refused_and_nothing_is_queued(
    window: dict[str, float], message: str, client: httpx.Client,
    uploaded: dict[str, dict[str, Any]],
) -> None:  # fmt: skip
    before = client.get("/videos/tasks", params={"limit": 1}).json()["total"]
    body = {"format": "mp4", "resolution": "640:360", **window}
    response = client.post(f"/videos/transcode/{uploaded['long']['file_id']}", json=body)
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]
    assert client.get("/videos/tasks", params={"limit": 1}).json()["total"] == before
