"""The page's preset picker in real Chromium: it lists the presets from GET /presets, and a
transcode started with one is that preset's (its size, its recorded version and settings)."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.e2e.browser import Watched, assert_plays, browser, playwright, wait_until_done, watched
from tests.e2e.service import Service

__all__ = ["browser", "playwright", "watched"]  # fixtures, used by name


def test_a_preset_picked_on_the_page_makes_its_output(
    watched: Watched, service: Service, clips: dict[str, Path]
) -> None:
    with service.client() as client:
        saved = client.post("/presets", json={
            "name": "page-pick", "format": "mp4", "resolution": "320:180",
            "video": {"crf": 33}, "description": "picked on the page",
        })  # fmt: skip
        assert saved.status_code == 201, saved.text
    page = watched.page
    page.goto("/")
    page.wait_for_selector("#preset option[value='page-pick']", state="attached")
    listed = page.eval_on_selector_all("#preset option", "os => os.map(o => o.value)")
    assert {"web-720p", "abr-auto", "small-mp4", "page-pick"} <= set(listed)
    page.set_input_files("#file", str(clips["wide"]))
    page.select_option("#preset", "page-pick")
    assert page.is_disabled("#resolution") and page.is_disabled("#format")
    assert "picked on the page" in (page.text_content("#choice-hint") or "")
    page.click("#start")
    wait_until_done(page)
    state = assert_plays(page)
    assert (state["width"], state["height"]) == (320, 180)
    with service.client() as client:
        job = client.get("/videos/tasks", params={"limit": 1}).json()["items"][0]
    assert job["preset"].startswith("page-pick@") and job["encoding"] == {"video": {"crf": 33}}
    assert httpx.get(service.url + job["result"]["download_url"]).status_code == 200
    assert watched.problems == []
