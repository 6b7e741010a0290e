"""The page plays an HLS job while it is being encoded, in real headless Chromium: playback
starts from the first published segment (hls.js on the growing EVENT playlist, from its
start), while the job's own progress bar is still short of 100%, and plays on once the
playlist ends."""

from __future__ import annotations

from pathlib import Path

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


def test_an_hls_job_plays_on_the_page_before_it_finishes(
    watched: Watched, service: Service, minute_clip: Path
) -> None:
    page = watched.page
    submit(page, minute_clip, "854:480", "hls")
    page.wait_for_function(
        "() => document.querySelector('#player').currentTime > 0.5"
        " || !document.querySelector('#error').hidden",
        timeout=PLAYING_S * 1000,
    )
    assert page.locator("#error").is_hidden(), page.locator("#error").text_content()
    at_first_frames = page.evaluate(
        "() => ({progress: document.querySelector('#transcode-progress').value,"
        " info: document.querySelector('#output-info').textContent,"
        " src: document.querySelector('#player').currentSrc})"
    )
    assert at_first_frames["progress"] < 100, at_first_frames  # the job is still encoding
    assert at_first_frames["info"] == "Playing while it is being encoded"
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
