"""What a ladder publishes, end to end: an MPEG-TS HLS ladder, a DASH-only ladder whose
MPD is the output, the ladder in file details and task listings, and DELETE removing every
object it stored."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.ladder_checks import dash_tracks, get, name_of, outputs_dir, parse_mpd, read_hls
from tests.e2e.service import Service, submit, upload, wait_success

# --- MPEG-TS and DASH-only ladders ----------------------------------------------------


def test_ts_ladder_has_ts_segments_a_master_and_an_audio_group(
    service: Service, client: httpx.Client, ladders: dict[str, dict[str, Any]]
) -> None:
    job = ladders["ts"]
    result = job["result"]
    assert job["renditions"] == ["640x360", "426x240"]
    assert result["segment_format"] == "ts"
    assert set(result["manifests"]) == {"hls"}
    assert result["stream_url"] == result["manifests"]["hls"]
    ladder = read_hls(client, result["manifests"]["hls"], segment_type="video/mp2t")
    (audio_group,) = [media for media in ladder.master.media if media.type == "AUDIO"]
    assert ladder.audio is not None
    assert [v.stream_info.resolution for v, _ in ladder.variants] == [(640, 360), (426, 240)]
    for variant, track in [*ladder.variants, (None, ladder.audio)]:
        if variant is not None:
            assert variant.stream_info.audio == audio_group.group_id
        assert track.playlist.playlist_type == "event" and track.playlist.is_endlist
        assert not track.playlist.segment_map and track.init == b""  # TS carries its setup
        assert track.segments and all(s.url.endswith(".ts") for s in track.segments)
        assert all(s.data[0] == 0x47 and len(s.data) % 188 == 0 for s in track.segments)
    stem = result["output_name"].removesuffix(".m3u8")
    assert not [p for p in outputs_dir(service).glob(f"{stem}*") if p.suffix in (".mpd", ".m4s")]


def test_dash_alone_publishes_the_mpd_as_the_output(
    service: Service, client: httpx.Client, ladders: dict[str, dict[str, Any]]
) -> None:
    task = submit(client, ladders["tiny"]["file_id"], format="dash", ladder="auto")
    assert task["output_name"].endswith(".mpd")
    final = wait_success(client, task["task_id"])
    result = final["result"]
    assert result["output_name"] == task["output_name"]
    assert result["manifests"] == {"dash": f"/videos/stream/{task['output_name']}"}
    assert result["stream_url"] == result["manifests"]["dash"]
    mpd = parse_mpd(get(client, result["stream_url"], "application/dash+xml").text)
    assert mpd.type == "static"
    audio, video = sorted(dash_tracks(mpd, result["stream_url"]), key=lambda t: t.content_type)
    assert (audio.content_type, video.content_type) == ("audio", "video")
    for track in (video, audio):
        get(client, track.init_url, "video/mp4")
        for url, _ in track.segments:
            get(client, url, "video/iso.segment")
    # The result reads the MPD: the rung's size (on its AdaptationSet when it is alone),
    # video and audio bandwidths and codecs together, as a variant would declare them.
    (rung,) = result["renditions"]
    assert rung == {
        "width": 176, "height": 144,
        "bandwidth": video.representation.bandwidth + audio.representation.bandwidth,
        "codecs": f"{video.common('codecs')},{audio.common('codecs')}",
    }  # fmt: skip
    assert re.fullmatch(r"avc1\.[0-9a-f]{6},mp4a\.40\.2", rung["codecs"])
    stem = task["output_name"].removesuffix(".mpd")
    assert not list(outputs_dir(service).glob(f"{stem}*.m3u8"))  # no HLS was asked for


# --- Listings and deletion ------------------------------------------------------------


def test_details_show_the_ladder_and_delete_removes_every_object(
    service: Service, client: httpx.Client, clips: dict[str, Path]
) -> None:
    file_id = upload(client, clips["wide"])["file_id"]
    task = submit(client, file_id, format="cmaf", renditions=["640:360", "320:180"])
    final = wait_success(client, task["task_id"])
    result = final["result"]
    assert final["renditions"] == ["640x360", "320x180"]
    assert set(result["manifests"]) == {"hls", "dash"}
    details = client.get(f"/videos/{file_id}").json()
    (output,) = details["outputs"]
    assert output["renditions"] == result["renditions"]
    assert output["manifests"] == result["manifests"]
    assert [(r["width"], r["height"]) for r in output["renditions"]] == [(640, 360), (320, 180)]
    (job,) = details["jobs"]
    assert job["renditions"] == ["640x360", "320x180"]
    listed = client.get("/videos/tasks", params={"limit": 100}).json()["items"]
    (mine,) = [item for item in listed if item["task_id"] == task["task_id"]]
    assert mine["result"]["renditions"] == result["renditions"]
    assert mine["result"]["manifests"] == result["manifests"]

    ladder = read_hls(client, result["manifests"]["hls"])
    mpd_url = result["manifests"]["dash"]
    fetched = {name_of(ladder.url), name_of(mpd_url)}
    for _, track in [*ladder.variants, (None, ladder.audio)]:
        assert track is not None
        fetched |= {name_of(track.url), name_of(track.init_url or "")}
        fetched |= {name_of(segment.url) for segment in track.segments}
    stem = task["output_name"].removesuffix(".m3u8")
    stored = {path.name for path in outputs_dir(service).iterdir() if path.name.startswith(stem)}
    # 2 rungs and audio: a playlist, an init section and a segment each; a master, an MPD.
    assert len(stored) == 3 * 3 + 2, sorted(stored)
    # Every stored object is one the manifests name; the public name of the master stands
    # for the attempt's own master, published beside its MPD.
    attempt_master = name_of(mpd_url).removesuffix(".mpd") + ".m3u8"
    assert stored == (fetched - {task["output_name"]}) | {attempt_master}

    assert client.delete(f"/videos/{file_id}").status_code == 204
    left = [path.name for path in outputs_dir(service).iterdir() if path.name.startswith(stem)]
    assert left == []
    assert client.get(f"/videos/{file_id}").status_code == 404
    for name in sorted(fetched):
        assert client.get(f"/videos/stream/{name}").status_code == 404, name
