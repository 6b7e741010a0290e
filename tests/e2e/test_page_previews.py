"""Previews on the web page, in real headless Chromium: each file's poster in the files list
(a 160-wide thumbnail, its animated preview while the pointer is over it), and the storyboard
tile of the time under the pointer over the seek strip under the player."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page

from tests.e2e.browser import (
    DONE_S,
    Watched,
    assert_plays,
    browser,
    open_page,
    play_from_list,
    playwright,
    save_key,
    screenshot_folder,
    watched,
)
from tests.e2e.service import (
    Service,
    fetch_when_made,
    keys,
    locked,
    transcode,
    upload,
    wait_for,
)
from tests.e2e.test_page import only_local

__all__ = ["browser", "locked", "playwright", "watched"]  # fixtures, used by name
STORYBOARD_S = 180  # the worker makes storyboards beside transcodes: a generous deadline
SHOWN = (
    "([kind, [poster, url]]) => { const img = document.querySelector(poster);"
    " return img !== null && img.dataset.showing === kind && img.complete"
    " && img.naturalWidth === 160 && img.currentSrc.includes(url); }"
)


def wait_shown(page: Page, poster: str, kind: str, path: str) -> None:
    """Wait until the poster <img> shows `kind` ("poster", "animated"), loaded, 160 wide."""
    # Generous: under load a preview waits for a turn (503, then the page retries).
    page.wait_for_function(SHOWN, arg=[kind, [poster, path]], timeout=120_000)


def storyboard(client: httpx.Client, file_id: str) -> dict[str, Any]:
    """The file's storyboard JSON once the worker has made it (202 until then)."""
    response = fetch_when_made(client, f"/videos/{file_id}/storyboard.json", STORYBOARD_S)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def position(tile: dict[str, Any]) -> str:
    """The CSS background-position that shows `tile` of the sprite."""
    return f"{-tile['x'] or 0:g}px {-tile['y'] or 0:g}px"


def test_the_files_list_shows_posters_that_animate_on_hover(
    watched: Watched, service: Service, clips: dict[str, Path], tmp_path: Path
) -> None:
    with service.client() as http:
        file_id = upload(http, clips["wide"], "poster.mp4")["file_id"]
    page = watched.page
    page.goto("/")
    poster = f'#files tbody tr[data-file-id="{file_id}"] img.poster'
    # Posters load as they near the screen: with many jobs listed above, the files table
    # starts below the fold.
    page.locator(poster).scroll_into_view_if_needed()
    wait_shown(page, poster, "poster", "/thumbnail.jpg?width=160")
    assert page.locator(poster).get_attribute("alt") == ""
    page.locator("#files").scroll_into_view_if_needed()
    folder = screenshot_folder(tmp_path)
    page.locator("#files").locator("xpath=ancestor::section").screenshot(
        path=str(folder / "page-posters.png")
    )
    assert (folder / "page-posters.png").stat().st_size > 5_000
    # The pointer over the poster: the animated preview, loaded, in its place.
    page.hover(poster)
    wait_shown(page, poster, "animated", "/animated.webp?width=160")
    assert any(f"/{file_id}/animated.webp?width=160" in url for url in watched.requests)
    # The list refreshes every few seconds: the same <img> stays, still animated.
    page.wait_for_timeout(6_000)
    wait_shown(page, poster, "animated", "/animated.webp?width=160")
    # The pointer gone: the poster again.
    page.mouse.move(1, 1)
    wait_shown(page, poster, "poster", "/thumbnail.jpg?width=160")
    only_local(watched, service)


def test_the_seek_strip_shows_storyboard_tiles_and_seeks(
    watched: Watched, service: Service, uploaded: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    file_id = uploaded["long"]["file_id"]  # 12 s: several tiles
    with service.client() as http:
        board = storyboard(http, file_id)
        task = transcode(http, file_id, "640:360", "mp4")
        final, _ = wait_for(http, task["task_id"], timeout_s=DONE_S)
    assert final["state"] == "SUCCESS", final
    tiles = sorted(board["tiles"], key=lambda tile: tile["start"])
    assert len(tiles) >= 2, board
    page = watched.page
    page.goto("/")
    play_from_list(page, task["task_id"])
    assert_plays(page)
    page.evaluate("() => document.querySelector('#player').pause()")
    page.wait_for_function("() => board !== null && board.tiles.length > 0", timeout=30_000)
    duration = page.evaluate("() => document.querySelector('#player').duration")
    # All of the card on screen: the pointer stays on the strip through its screenshot.
    page.locator("#player-card").scroll_into_view_if_needed()
    strip = page.locator("#seek").bounding_box()
    assert strip is not None and strip["width"] > 500  # spans the video
    # Two tiles far apart, each pointed at in its middle.
    ends = [tile["start"] for tile in tiles[1:]] + [board["duration"]]
    shown = []
    for index in (0, len(tiles) * 2 // 3):
        middle = (tiles[index]["start"] + ends[index]) / 2
        x = strip["x"] + strip["width"] * middle / duration
        page.mouse.move(x, strip["y"] + strip["height"] / 2)
        page.wait_for_selector("#seek-tip:not([hidden]) #seek-frame:not([hidden])")
        page.wait_for_function(
            "s => Math.abs(Number(document.querySelector('#seek-tip').dataset.start) - s) < 1e-6",
            arg=tiles[index]["start"],
            timeout=5_000,
        )
        seen = page.evaluate(
            "() => { const f = document.querySelector('#seek-frame');"
            " const s = getComputedStyle(f);"
            " return {position: s.backgroundPosition, image: s.backgroundImage,"
            " width: f.offsetWidth, height: f.offsetHeight}; }"
        )
        assert seen["position"] == position(tiles[index]), (seen, tiles[index])
        assert "storyboard.jpg" in seen["image"] or seen["image"].startswith('url("data:')
        assert (seen["width"], seen["height"]) == (board["tile_width"], board["tile_height"])
        shown.append(seen["position"])
        if index:
            folder = screenshot_folder(tmp_path)
            page.locator("#player-card").screenshot(path=str(folder / "page-storyboard.png"))
            assert (folder / "page-storyboard.png").stat().st_size > 10_000
            assert page.locator("#seek-tip").is_visible()
            # A click seeks there.
            page.mouse.click(x, strip["y"] + strip["height"] / 2)
            page.wait_for_function(
                "t => Math.abs(document.querySelector('#player').currentTime - t) < 0.5",
                arg=middle,
                timeout=10_000,
            )
    assert shown[0] != shown[1]
    assert any("/storyboard.jpg" in url for url in watched.requests)
    page.mouse.move(1, 1)
    page.wait_for_selector("#seek-tip", state="hidden")
    only_local(watched, service)


def test_with_keys_required_posters_come_through_fetch(
    locked: Service, browser: Browser, clips: dict[str, Path]
) -> None:
    key = keys(locked, "create", "posters").stdout.strip()
    with httpx.Client(base_url=locked.url, timeout=30, headers={"X-API-Key": key}) as http:
        file_id = upload(http, clips["wide"])["file_id"]
    with open_page(browser, locked.url) as watched:
        page = watched.page
        page.goto("/")
        save_key(page, key)
        assert all("401" in problem for problem in watched.problems)
        watched.problems.clear()
        # <img> sends no key: the page fetches each image with it and shows it as data.
        poster = f'#files tbody tr[data-file-id="{file_id}"] img.poster'
        wait_shown(page, poster, "poster", "data:image/jpeg")
        page.hover(poster)
        wait_shown(page, poster, "animated", "data:image/webp")
        assert any(f"/{file_id}/animated.webp?width=160" in url for url in watched.requests)
        only_local(watched, locked)
