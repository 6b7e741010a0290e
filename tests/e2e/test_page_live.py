"""The page plays an HLS job while it is being encoded, in real headless Chromium: playback
starts from the first published segment (hls.js on the growing EVENT playlist, from its
start), while the job's own progress bar is still short of 100%, and plays on once the
playlist ends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from tests.e2e.browser import (
    Watched,
    browser,
    playwright,
    submit,
    wait_until_done,
    watched,
)
from tests.e2e.service import Service

__all__ = ["browser", "playwright", "watched"]  # fixtures, used by name
PLAYING_S = 120


def playing_while_encoded(page: Page, clip: Path, resolution: str, fmt: str) -> dict[str, Any]:
    """Submit on the page and wait for its player to be half a second in: then the job is
    still encoding, and the page says so. What the page shows at that moment."""
    submit(page, clip, resolution, fmt)
    page.wait_for_function(
        "() => document.querySelector('#player').currentTime > 0.5"
        " || !document.querySelector('#error').hidden",
        timeout=PLAYING_S * 1000,
    )
    assert page.locator("#error").is_hidden(), page.locator("#error").text_content()
    shown: dict[str, Any] = page.evaluate(
        "() => ({progress: document.querySelector('#transcode-progress').value,"
        " info: document.querySelector('#output-info').textContent,"
        " src: document.querySelector('#player').currentSrc,"
        " qualities: [...document.querySelectorAll('#quality button')].map(b => b.textContent)})"
    )
    assert shown["progress"] < 100, shown  # the job is still encoding
    assert shown["info"] == "Playing while it is being encoded"
    return shown


def test_an_hls_job_plays_on_the_page_before_it_finishes(
    watched: Watched, service: Service, minute_clip: Path
) -> None:
    page = watched.page
    at_first_frames = playing_while_encoded(page, minute_clip, "854:480", "hls")
    assert at_first_frames["src"].startswith("blob:")  # hls.js, through Media Source
    wait_until_done(page)
    # The same stream plays on past the end of what was published when it started.
    page.wait_for_function(
        "() => document.querySelector('#player').currentTime > 2.5", timeout=PLAYING_S * 1000
    )
    finished = page.evaluate(
        "() => ({error: document.querySelector('#player').error,"
        " info: document.querySelector('#output-info').textContent,"
        " download: document.querySelector('#download-link').hidden})"
    )
    assert finished == {"error": None, "info": finished["info"], "download": False}
    assert finished["info"].startswith("854\u00d7480 HLS")  # as describeResult writes it
    playlists = [url for url in watched.requests if url.endswith(".m3u8")]
    assert len(playlists) >= 2  # hls.js reloaded the growing playlist
    assert watched.problems == []


def test_a_cmaf_ladder_plays_on_the_page_before_it_finishes_with_its_quality_menu(
    watched: Watched, service: Service, minute_clip: Path
) -> None:
    page = watched.page
    at_first_frames = playing_while_encoded(page, minute_clip, "auto", "cmaf")
    # Every rung of the auto ladder of a 720p source is there from the first segment.
    labels = at_first_frames["qualities"]
    assert labels[0] == "Auto" and [label.split(" ")[0] for label in labels[1:]] == [
        "720p", "540p", "360p", "240p"], labels  # fmt: skip
    wait_until_done(page)
    page.wait_for_function(
        "() => document.querySelector('#player').currentTime > 2.5", timeout=PLAYING_S * 1000
    )
    info = page.locator("#output-info").text_content() or ""
    assert info.startswith("CMAF ladder: 720p, 540p, 360p, 240p"), info
    assert page.evaluate("() => document.querySelector('#player').error") is None
    masters = [url for url in watched.requests if url.endswith(".m3u8")]
    assert len(masters) >= 4  # the master and each rung's growing playlist, reloaded
    assert watched.problems == []
