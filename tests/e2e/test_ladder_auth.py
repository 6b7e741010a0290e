"""Ladders on a service that requires API keys: every URI inside the master, the rendition
playlists and the MPD carries a signature, so players fetch the whole ladder without a key;
made-up or borrowed signatures are refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

from tests.e2e.ladder_checks import dash_tracks, get, name_of, parse_mpd, parse_playlist, read_hls
from tests.e2e.service import Service, keys, locked, submit, upload, wait_success

__all__ = ["locked"]  # a fixture, used by name
_MPD_TEMPLATE = re.compile(r'\b(?:initialization|media)="([^"]*)"')


@pytest.fixture(scope="module")
def bearer(locked: Service) -> Iterator[httpx.Client]:
    created = keys(locked, "create", "ladder")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    with httpx.Client(
        base_url=locked.url, timeout=30, headers={"Authorization": f"Bearer {key}"}
    ) as client:
        yield client


@pytest.fixture
def anonymous(locked: Service) -> Iterator[httpx.Client]:
    with locked.client() as client:
        yield client


@pytest.fixture(scope="module")
def jobs(bearer: httpx.Client, clips: dict[str, Path]) -> dict[str, dict[str, Any]]:
    """A two-rung CMAF ladder and a DASH-only ladder, finished."""
    file_id = upload(bearer, clips["wide"])["file_id"]
    tasks = {
        "cmaf": submit(bearer, file_id, format="cmaf", renditions=["640:360", "320:180"]),
        "dash": submit(bearer, file_id, format="dash", ladder="auto"),
    }
    return {kind: wait_success(bearer, task["task_id"]) for kind, task in tasks.items()}


def assert_signed(uri: str) -> None:
    query = parse_qs(urlsplit(uri).query)
    assert len(query.get("exp", [])) == 1 and len(query.get("sig", [])) == 1, uri


def with_sig(url: str, sig: str) -> str:
    return re.sub(r"sig=[^&]*", f"sig={sig}", url)


def unsigned(url: str) -> str:
    return urlsplit(url).path


def test_every_uri_of_a_cmaf_ladder_is_signed_and_plays_without_a_key(
    anonymous: httpx.Client, jobs: dict[str, dict[str, Any]]
) -> None:
    result = jobs["cmaf"]["result"]
    for url in [*result["manifests"].values(), *(r["playlist"] for r in result["renditions"])]:
        assert_signed(url)
    master_url = result["manifests"]["hls"]
    master = parse_playlist(get(anonymous, master_url).text)
    uris = [variant.uri for variant in master.playlists] + [media.uri for media in master.media]
    assert len(uris) == 3  # two rungs and the audio
    for uri in uris:
        assert_signed(uri)
    ladder = read_hls(anonymous, master_url)  # every GET answers 200 without a key
    assert ladder.audio is not None
    for _, track in [*ladder.variants, (None, ladder.audio)]:
        assert track is not None and track.init_url is not None
        assert_signed(track.init_url)
        assert track.segments
        for segment in track.segments:
            assert_signed(segment.url)
    for rung in result["renditions"]:
        get(anonymous, rung["playlist"], "application/vnd.apple.mpegurl")
    mpd_response = get(anonymous, result["manifests"]["dash"], "application/dash+xml")
    templates = _MPD_TEMPLATE.findall(mpd_response.text)
    assert len(templates) == 2 * 3  # initialization and media, two rungs and the audio
    for template in templates:
        assert_signed(template.replace("&amp;", "&"))
    tracks = dash_tracks(parse_mpd(mpd_response.text), result["manifests"]["dash"])
    for track in tracks:
        get(anonymous, track.init_url, "video/mp4")
        for url, _ in track.segments:
            answer = get(anonymous, url, "video/iso.segment")
            # Bytes that needed a signature stay out of shared caches.
            assert answer.headers["cache-control"].startswith("private")
    # Without a signature, or with a made-up one, nothing of the ladder is served.
    segment = ladder.variants[0][1].segments[0].url
    rendition = ladder.variants[0][1].url
    for url in (master_url, rendition, segment, result["manifests"]["dash"], tracks[0].init_url):
        assert anonymous.get(unsigned(url)).status_code == 401, url
        made_up = with_sig(url, "0" * len(parse_qs(urlsplit(url).query)["sig"][0]))
        assert anonymous.get(made_up).status_code == 401, made_up


def test_a_dash_only_mpd_signs_its_segments(
    anonymous: httpx.Client, jobs: dict[str, dict[str, Any]]
) -> None:
    result = jobs["dash"]["result"]
    assert set(result["manifests"]) == {"dash"}
    mpd_url = result["manifests"]["dash"]
    assert mpd_url == result["stream_url"] and name_of(mpd_url) == jobs["dash"]["output_name"]
    assert_signed(mpd_url)
    text = get(anonymous, mpd_url, "application/dash+xml").text
    for template in _MPD_TEMPLATE.findall(text):
        assert_signed(template.replace("&amp;", "&"))
    tracks = dash_tracks(parse_mpd(text), mpd_url)
    assert sorted(track.content_type for track in tracks) == ["audio", "video", "video"]
    for track in tracks:
        get(anonymous, track.init_url, "video/mp4")
        for url, _ in track.segments:
            get(anonymous, url, "video/iso.segment")
    # A signature covers one output: one that opens the CMAF ladder's segments does not
    # open this one's.
    playlist_url = jobs["cmaf"]["result"]["renditions"][0]["playlist"]
    own = urljoin(playlist_url, parse_playlist(get(anonymous, playlist_url).text).segments[0].uri)
    get(anonymous, own, "video/iso.segment")
    borrowed = f"{unsigned(tracks[0].segments[0][0])}?{urlsplit(own).query}"
    assert anonymous.get(borrowed).status_code == 401
