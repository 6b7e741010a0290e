"""A ladder published as it is encoded, end to end on a real service with the real
packager: while the job runs, the master playlist is playable, every media playlist is an
EVENT playlist whose listed init sections and segments all answer, and the MPD beside it
is dynamic with every segment it lists there too; at the end the playlists have
EXT-X-ENDLIST and the MPD is static. A cancel takes all of it down."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urljoin

import httpx

from tests.e2e.ladder_checks import dash_tracks, outputs_dir, parse_mpd, parse_playlist, read_hls
from tests.e2e.service import Service, submit, upload, wait_for
from videoforge.segments.ladder_live import LIVE_TARGET_S

LADDER = {"format": "cmaf", "renditions": ["640:360", "320:180"]}


def answers(client: httpx.Client, url: str) -> None:
    response = client.head(url)
    assert response.status_code == 200, (url, response.status_code)


def live_view(client: httpx.Client, master_url: str) -> tuple[list[int], str | None]:
    """The segments each media playlist lists now (all checked to answer), and the MPD's
    type; every playlist must still be an EVENT playlist without its end."""
    master = parse_playlist(client.get(master_url).text)
    uris = [variant.uri for variant in master.playlists]
    uris += [media.uri for media in master.media if media.type == "AUDIO"]
    counts = []
    for uri in uris:
        url = urljoin(master_url, uri)
        playlist = parse_playlist(client.get(url).text)
        assert playlist.playlist_type == "event", url
        assert playlist.target_duration == LIVE_TARGET_S, url  # as it will be at the end
        for section in playlist.segment_map:
            answers(client, urljoin(url, section.uri))
        for segment in playlist.segments:
            answers(client, urljoin(url, segment.uri))
        counts.append(len(playlist.segments))
    stem = uris[0].removesuffix("_v0.m3u8")
    mpd_url = urljoin(master_url, f"{stem}.mpd")
    text = client.get(mpd_url).text
    mpd = parse_mpd(text)
    for track in dash_tracks(mpd, mpd_url):
        answers(client, track.init_url)
        for url, _ in track.segments:
            answers(client, url)
    return counts, mpd.type


def test_a_ladder_is_playable_while_it_encodes_and_ends_static(
    service: Service, minute_clip: Path
) -> None:
    with service.client() as client:
        task = submit(client, upload(client, minute_clip, "live-ladder.mp4")["file_id"], **LADDER)
        views: list[tuple[list[int], str | None]] = []
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            status = client.get(f"/videos/task/{task['task_id']}").json()
            if status["state"] in ("SUCCESS", "FAILURE", "REVOKED"):
                break
            if status["playable"]:
                assert status["stream_url"] == f"/videos/stream/{task['output_name']}"
                counts, mpd_type = live_view(client, status["stream_url"])
                if client.get(f"/videos/task/{task['task_id']}").json()["state"] != "SUCCESS":
                    views.append((counts, mpd_type))
            time.sleep(0.3)
        assert status["state"] == "SUCCESS", status
        result = status["result"]
        ladder = read_hls(client, result["manifests"]["hls"])
        mpd = parse_mpd(client.get(result["manifests"]["dash"]).text)
    assert views, "never saw the ladder while the job ran"
    # Playable only once every track had a segment; then each grows, never shrinks.
    assert all(min(counts) >= 1 for counts, _ in views), views
    totals = [sum(counts) for counts, _ in views]
    assert totals == sorted(totals), totals
    assert any(mpd_type == "dynamic" for _, mpd_type in views), views
    tracks = [track for _, track in ladder.variants] + [ladder.audio]
    for track in tracks:
        assert track is not None
        assert track.playlist.playlist_type == "event" and track.playlist.is_endlist
        assert track.playlist.target_duration == LIVE_TARGET_S
        assert abs(sum(s.duration_s for s in track.segments) - 60) < 0.1
        assert len(track.segments) >= max(max(counts) for counts, _ in views)
    assert mpd.type == "static" and mpd.media_presentation_duration
    assert abs(float(mpd.media_presentation_duration[2:-1]) - 60) < 0.1


def test_a_cancelled_live_ladder_leaves_nothing_published(
    service: Service, minute_clip: Path
) -> None:
    with service.client() as client:
        task = submit(client, upload(client, minute_clip, "cancelled.mp4")["file_id"], **LADDER)
        url = f"/videos/stream/{task['output_name']}"
        deadline = time.monotonic() + 300
        while True:
            assert time.monotonic() < deadline, "the ladder never became playable"
            status = client.get(f"/videos/task/{task['task_id']}").json()
            assert status["state"] in ("PENDING", "STARTED", "PROGRESS"), status
            if status["playable"]:
                break
            time.sleep(0.2)
        master = parse_playlist(client.get(url).text)
        stem = master.playlists[0].uri.removesuffix("_v0.m3u8")
        assert list(outputs_dir(service).glob(f"{stem}*"))  # published so far
        cancelled = client.post(f"/videos/task/{task['task_id']}/cancel")
        assert cancelled.status_code in (200, 202), cancelled.text
        ended = {"SUCCESS", "FAILURE", "REVOKED"}
        final, _ = wait_for(client, task["task_id"], timeout_s=120, states=ended)
        assert final["state"] == "REVOKED", final
        assert not final.get("playable")
        assert client.get(url).status_code == 404
        # The attempt's objects go (the cancel's clean-up, then its FFmpeg stops).
        deadline = time.monotonic() + 60
        while list(outputs_dir(service).glob(f"{stem}*")) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert list(outputs_dir(service).glob(f"{stem}*")) == []
