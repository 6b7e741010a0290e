"""API keys and signed stream URLs on a service that requires keys."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import m3u8
from playwright.sync_api import Browser

from tests.e2e.browser import (
    assert_plays,
    browser,
    open_page,
    playwright,
    submit,
    wait_until_done,
)
from tests.e2e.service import Service, keys, locked, transcode, upload, wait_for
from tests.e2e.test_cli import cli_env, command

__all__ = ["browser", "locked", "playwright"]  # fixtures, used by name
KEY_REQUIRED = "an API key is required: send Authorization: Bearer <key> or X-API-Key"


def test_requests_without_a_valid_key_are_401(locked: Service) -> None:
    with locked.client() as client:
        for headers in ({}, {"Authorization": "Bearer vf_nope_nope"}, {"X-API-Key": "garbage"}):
            response = client.get("/videos/task/x", headers=headers)
            assert response.status_code == 401, response.text
            assert response.headers["www-authenticate"] == 'Bearer realm="videoforge"'
            assert "API key is required" in response.json()["detail"]
        assert client.get("/metrics").status_code == 401
        for path in ("/videos", "/videos/tasks", "/videos/" + "0" * 32, "/videos/task/x/events"):
            assert client.get(path).status_code == 401, path
        assert client.delete("/videos/" + "0" * 32).status_code == 401
        # Health stays open for load balancers and orchestrators.
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200


def test_keys_work_and_signed_urls_play_without_one(
    locked: Service, clips: dict[str, Path]
) -> None:
    created = keys(locked, "create", "ci")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("vf_")
    listed = keys(locked, "list")
    key_id = key.split("_")[1]
    assert key_id in listed.stdout and "ci" in listed.stdout and key not in listed.stdout
    bearer = httpx.Client(
        base_url=locked.url, timeout=30, headers={"Authorization": f"Bearer {key}"}
    )
    with bearer:
        file_id = upload(bearer, clips["noaudio"])["file_id"]
        task = transcode(bearer, file_id, "320:240", "hls")
        final, _ = wait_for(bearer, task["task_id"])
        assert final["state"] == "SUCCESS"
        stream_url = final["result"]["stream_url"]
        assert "exp=" in stream_url and "sig=" in stream_url
    anonymous = httpx.Client(base_url=locked.url, timeout=30)
    with anonymous:
        assert anonymous.get(f"/videos/stream/{task['output_name']}").status_code == 401
        playlist = anonymous.get(stream_url)
        assert playlist.status_code == 200, playlist.text
        segments = m3u8.loads(playlist.text).segments
        assert segments and all("sig=" in s.uri for s in segments)
        for segment in segments:
            answer = anonymous.get(f"/videos/stream/{segment.uri}")
            assert answer.status_code == 200
            # Bytes that needed a signature stay out of shared caches.
            assert answer.headers["cache-control"].startswith("private,")
        tampered = stream_url.replace("sig=", "sig=0")
        assert anonymous.get(tampered).status_code == 401
        expired = stream_url.split("exp=")[0] + "exp=1&sig=" + stream_url.split("sig=")[1]
        assert anonymous.get(expired).status_code == 401
        download = anonymous.get(final["result"]["download_url"])
        assert download.status_code == 200
        assert "filename*=UTF-8''noaudio_320x240.m3u8" in download.headers["content-disposition"]
    revoked = keys(locked, "revoke", key_id)
    assert revoked.returncode == 0
    with httpx.Client(base_url=locked.url, headers={"X-API-Key": key}) as client:
        assert client.get(f"/videos/task/{task['task_id']}").status_code == 401
    assert keys(locked, "revoke", key_id).returncode == 1


def test_security_headers_are_on_every_answer(locked: Service) -> None:
    with locked.client() as client:
        for path in ("/healthz", "/videos/task/x", "/nope"):
            headers = client.get(path).headers
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["x-frame-options"] == "DENY"
            assert headers["referrer-policy"] == "no-referrer"
            assert "default-src 'none'" in headers["content-security-policy"]
        # The page itself is public (it asks for a key); it may load only its own files.
        page = client.get("/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert client.get("/videos").status_code == 401
        # CORS is off unless CORS_ALLOW_ORIGINS is set.
        preflight = client.options(
            "/videos/upload",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in preflight.headers


def test_the_page_asks_for_a_key_then_uploads_and_plays(
    locked: Service, browser: Browser, clips: dict[str, Path]
) -> None:
    key = keys(locked, "create", "browser").stdout.strip()
    with open_page(browser, locked.url) as watched:
        page = watched.page
        page.goto("/")
        page.wait_for_selector("#key-panel:not([hidden])")
        assert page.text_content("#error") == KEY_REQUIRED
        page.fill("#api-key", key)
        page.click("#key-form button")
        page.wait_for_selector("#key-panel", state="hidden")
        submit(page, clips["wide"], "640:360", "hls")
        wait_until_done(page)
        assert assert_plays(page)["src"].startswith("blob:")
        # The player cannot send the key: it fetched signed segment URLs instead.
        segments = [url for url in watched.requests if ".ts" in url]
        assert segments and all("exp=" in url and "sig=" in url for url in segments)


def test_the_cli_sends_its_key_and_prints_a_signed_url(
    locked: Service, clips: dict[str, Path]
) -> None:
    key = keys(locked, "create", "cli").stdout.strip()
    env = cli_env(locked)
    submitted = subprocess.run(
        command("submit", str(clips["noaudio"]), "-r", "320:240", "-f", "mp4", "--wait"),
        env={**env, "VIDEOFORGE_API_KEY": key}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    url = submitted.stdout.strip()
    assert url.startswith(locked.url) and "sig=" in url
    assert httpx.get(url, timeout=30).headers["content-type"] == "video/mp4"  # no key needed
    refused = subprocess.run(command("files"), env=env, capture_output=True, text=True, timeout=60)
    assert (refused.returncode, refused.stderr.strip()) == (1, f"videoforge: {KEY_REQUIRED}")
