"""The `videoforge` client commands, run as real processes against the running service."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.service import Service
from tests.e2e.test_transcode import ffprobe
from videoforge.media.binaries import FFmpegBinaries
from videoforge.runtime.processes import free_port

Result = subprocess.CompletedProcess[str]


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "videoforge.cli", *args]


def cli_env(service: Service) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDEOFORGE_")}
    return {**env, "VIDEOFORGE_URL": service.url}


def videoforge(service: Service, *args: str) -> Result:
    """Run `videoforge ARGS` with VIDEOFORGE_URL pointing at the service."""
    return subprocess.run(
        command(*args), env=cli_env(service), capture_output=True, text=True, timeout=120
    )


def succeeded(result: Result) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def failed(result: Result) -> str:
    """The one line a failed command printed on stderr (and nothing on stdout)."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("videoforge: ")
    return lines[0]


def json_of(result: Result) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(succeeded(result))
    return body


@pytest.fixture(scope="module")
def mp4_run(service: Service, clips: dict[str, Path]) -> Result:
    """`submit --wait` of the 4 s clip to a 320x180 mp4, as a person would run it."""
    return videoforge(service, "submit", str(clips["wide"]), "-r", "320:180", "-f", "mp4", "--wait")


@pytest.fixture(scope="module")
def hls_run(service: Service, clips: dict[str, Path]) -> Result:
    """`submit --wait --json` of the 4 s clip to 320x180 HLS, as a script would run it."""
    args = ("submit", str(clips["wide"]), "--resolution", "320:180", "--format", "hls")
    return videoforge(service, *args, "--wait", "--json")


def test_submit_wait_prints_a_url_that_serves_the_output(
    mp4_run: Result, service: Service, binaries: FFmpegBinaries
) -> None:
    url = succeeded(mp4_run).strip()
    assert url.startswith(f"{service.url}/videos/stream/") and url.endswith(".mp4")
    assert "wide.mp4: 640x360, 4.0 s, h264/aac" in mp4_run.stderr
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"] == "video/mp4"
    assert len(response.content) > 1000
    video = next(s for s in ffprobe(binaries, url)["streams"] if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == (320, 180)


def test_submit_wait_json_is_the_final_status_alone(hls_run: Result, service: Service) -> None:
    final = json_of(hls_run)
    assert hls_run.stderr == ""  # no bars, no notes: stdout and stderr are for scripts
    assert (final["state"], final["format"]) == ("SUCCESS", "hls")
    playlist = httpx.get(f"{service.url}{final['result']['stream_url']}", timeout=30)
    assert playlist.status_code == 200
    assert playlist.text.startswith("#EXTM3U") and ".ts" in playlist.text


def test_files_and_jobs_list_what_was_submitted(hls_run: Result, service: Service) -> None:
    final = json_of(hls_run)
    files = json_of(videoforge(service, "files", "--limit", "100", "--json"))
    jobs = json_of(videoforge(service, "jobs", "--limit", "100", "--json"))
    assert final["file_id"] in {item["file_id"] for item in files["items"]}
    assert final["task_id"] in {item["task_id"] for item in jobs["items"]}
    assert files["total"] >= 1 and jobs["total"] >= 1


def test_status_table_shows_state_and_absolute_urls(hls_run: Result, service: Service) -> None:
    final = json_of(hls_run)
    table = succeeded(videoforge(service, "status", final["task_id"]))
    assert "SUCCESS (completed)" in table
    assert f"{service.url}{final['result']['stream_url']}" in table
    assert f"{service.url}{final['result']['download_url']}" in table


def test_download_writes_the_bytes_the_server_serves(
    mp4_run: Result, service: Service, tmp_path: Path
) -> None:
    name = succeeded(mp4_run).strip().rsplit("/", 1)[1]
    dest = tmp_path / "saved.mp4"
    printed = succeeded(videoforge(service, "download", name, "-o", str(dest)))
    assert printed.strip() == str(dest)
    served = httpx.get(f"{service.url}/videos/download/{name}", timeout=30)
    assert dest.read_bytes() == served.content and len(served.content) > 1000
    assert [p.name for p in tmp_path.iterdir()] == ["saved.mp4"]  # no partial file left


def test_a_non_video_exits_1_with_the_servers_message(service: Service, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("this is just some text\n" * 20)
    line = failed(videoforge(service, "submit", str(notes), "-r", "320:180", "-f", "mp4", "--wait"))
    assert line == (
        "videoforge: the file is not a readable video (Invalid data found when processing input)"
    )


def test_unknown_ids_and_names_exit_1_with_the_servers_message(
    service: Service, tmp_path: Path
) -> None:
    unknown = "00000000-0000-0000-0000-000000000000"
    assert failed(videoforge(service, "status", unknown)) == f"videoforge: no task {unknown}"
    missing = failed(videoforge(service, "download", "nope.mp4", "-o", str(tmp_path / "x.mp4")))
    assert missing == "videoforge: no output named 'nope.mp4'"
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_server_exits_1_with_one_line(service: Service) -> None:
    server = f"http://127.0.0.1:{free_port()}"
    line = failed(videoforge(service, "files", "--server", server))
    assert line == f"videoforge: cannot reach videoforge at {server}: connection refused"


def test_upload_then_transcode_then_delete(service: Service, clips: dict[str, Path]) -> None:
    file_id = succeeded(videoforge(service, "upload", str(clips["wide"]))).strip()
    assert len(file_id) == 32
    args = ("transcode", file_id, "-r", "160:90", "-f", "mp4", "--wait", "--json")
    final = json_of(videoforge(service, *args))
    assert (final["state"], final["file_id"]) == ("SUCCESS", file_id)
    assert final["output_name"].startswith(f"{file_id}_160x90_")
    assert succeeded(videoforge(service, "delete", file_id)).strip() == f"deleted {file_id}"
    gone = failed(videoforge(service, "status", final["task_id"]))
    assert gone == f"videoforge: no task {final['task_id']}"
    assert failed(videoforge(service, "delete", file_id)) == f"videoforge: no file {file_id}"


def test_cancel_ends_a_waiting_transcode_with_exit_1(
    service: Service, clips: dict[str, Path]
) -> None:
    file_id = succeeded(videoforge(service, "upload", str(clips["long"]))).strip()
    # VP9 at 720p takes many seconds for the 12 s clip: the cancel lands while it runs.
    argv = command("transcode", file_id, "-r", "1280:720", "-f", "webm", "--wait")
    waiting = subprocess.Popen(argv, env=cli_env(service), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        task_id = job_of(service, file_id)
        assert succeeded(videoforge(service, "cancel", task_id)).strip() == f"{task_id} cancelled"
        out, err = waiting.communicate(timeout=60)
    finally:
        waiting.kill()
    assert waiting.returncode == 1 and out == ""
    assert err.splitlines()[-1] == f"videoforge: task {task_id} cancelled"
    assert "Traceback" not in err


def job_of(service: Service, file_id: str, timeout_s: float = 30) -> str:
    """The task id of the first job of a file, once the client has started one."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with service.client() as http:
            jobs = http.get(f"/videos/{file_id}").json()["jobs"]
        if jobs:
            task_id: str = jobs[0]["task_id"]
            return task_id
        time.sleep(0.1)
    raise AssertionError(f"no job for {file_id} in {timeout_s} s")


def test_a_refused_transcode_leaves_no_upload_behind(
    service: Service, clips: dict[str, Path], tmp_path: Path
) -> None:
    clip = tmp_path / "refused-clip.mp4"
    clip.write_bytes(clips["noaudio"].read_bytes())
    args = ("submit", str(clip), "-r", "640:abc", "-f", "mp4", "--json")
    result = videoforge(service, *args)
    line = failed(result)
    assert "resolution" in line and line.endswith("(the upload was removed)")
    with service.client() as http:
        names = [f["original_name"] for f in http.get("/videos?limit=100").json()["items"]]
    assert "refused-clip.mp4" not in names


@pytest.fixture(scope="module")
def cmaf_run(service: Service, clips: dict[str, Path]) -> Result:
    """`submit --ladder auto -f cmaf --wait` of the 4 s 640x360 clip, as a person would run it."""
    return videoforge(
        service, "submit", str(clips["wide"]), "--ladder", "auto", "-f", "cmaf", "--wait"
    )


def test_a_cmaf_ladder_prints_its_renditions_and_manifest_urls(
    cmaf_run: Result, service: Service
) -> None:
    lines = succeeded(cmaf_run).splitlines()
    task_id = cmaf_run.stderr.splitlines()[-1].removeprefix("task ")
    final = json_of(videoforge(service, "status", task_id, "--json"))
    result = final["result"]
    assert (final["state"], final["format"], final["resolution"]) == ("SUCCESS", "cmaf", "auto")
    # The last lines are the manifests, whole and absolute; the table of renditions is above.
    assert lines[-2:] == [
        f"hls   {service.url}{result['manifests']['hls']}",
        f"dash  {service.url}{result['manifests']['dash']}",
    ]
    table = "\n".join(lines[:-2])
    sizes = [f"{rung['width']}x{rung['height']}" for rung in result["renditions"]]
    assert sizes == final["renditions"] and sizes[0] == "640x360"  # the source tops the ladder
    assert len(sizes) >= 2 and f"cmaf: {len(sizes)} renditions, fmp4 segments of" in table
    for size, rung in zip(sizes, result["renditions"], strict=True):
        row = next(line for line in lines if f" {size} " in line)
        assert rung["codecs"] in row and rung["codecs"].startswith("avc1.")
        assert "30 fps" in row and " kb/s" in row


def test_the_printed_manifest_urls_serve_a_master_playlist_and_an_mpd(
    cmaf_run: Result, service: Service
) -> None:
    urls = dict(line.split() for line in succeeded(cmaf_run).splitlines()[-2:])
    rows = [line for line in succeeded(cmaf_run).splitlines() if " fps " in line]
    master = httpx.get(urls["hls"], timeout=30)
    assert master.status_code == 200 and master.text.startswith("#EXTM3U")
    assert master.text.count("#EXT-X-STREAM-INF:") == len(rows) >= 2
    assert "RESOLUTION=640x360" in master.text
    mpd = httpx.get(urls["dash"], timeout=30)
    assert mpd.status_code == 200 and "<MPD" in mpd.text


def test_explicit_renditions_with_json_carry_the_raw_result(
    service: Service, clips: dict[str, Path]
) -> None:
    file_id = succeeded(videoforge(service, "upload", str(clips["wide"]))).strip()
    boxes = ("--rendition", "320:180", "--rendition", "160:90", "--segment-format", "ts")
    final = json_of(
        videoforge(service, "transcode", file_id, "-f", "hls", *boxes, "--wait", "--json")
    )
    assert (final["state"], final["resolution"]) == ("SUCCESS", "320:180,160:90")
    result = final["result"]
    assert [(r["width"], r["height"]) for r in result["renditions"]] == [(320, 180), (160, 90)]
    assert list(result["manifests"]) == ["hls"] and result["segment_format"] == "ts"
    assert all(r["bandwidth"] > 0 and r["playlist"] for r in result["renditions"])


def test_a_refused_ladder_exits_1_with_the_servers_detail(
    service: Service, clips: dict[str, Path]
) -> None:
    file_id = succeeded(videoforge(service, "upload", str(clips["noaudio"]))).strip()
    line = failed(videoforge(service, "transcode", file_id, "-f", "mp4", "--ladder", "auto"))
    assert line == "videoforge: a ladder needs format hls, dash or cmaf; mp4 is one rendition"
    both = ("-f", "hls", "--ladder", "auto", "--rendition", "320:180")
    line = failed(videoforge(service, "transcode", file_id, *both))
    assert line == "videoforge: give either ladder or renditions, not both"
