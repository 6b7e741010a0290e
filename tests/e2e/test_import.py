"""Importing a video from a URL against a real `videoforge serve` (Valkey, a Celery worker,
FFmpeg) and a real HTTP origin on loopback: refusals known at once are 422 with nothing
queued; refusals found later (a redirect to the metadata address, a body too large, not a
video) are FAILUREs that say why; an import becomes a file that transcodes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import FAST_RETRIES
from tests.e2e.receiver import receiver
from tests.e2e.service import Service, transcode, wait_for, wait_success
from tests.e2e.test_cli import succeeded, videoforge
from tests.e2e.test_webhooks import of_kind, register
from tests.origin import Origin, Route, origin

MAX_UPLOAD_BYTES = 4_000_000


@pytest.fixture(scope="module")
def closed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A service with the default rules: no private addresses."""
    running = Service(tmp_path_factory.mktemp("import-closed")).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def opened(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A service that may import from loopback (the test origin), with a small size limit."""
    running = Service(
        tmp_path_factory.mktemp("import-open"),
        **FAST_RETRIES,  # webhooks to the loopback receiver
        IMPORT_ALLOW_PRIVATE="true",
        MAX_UPLOAD_BYTES=str(MAX_UPLOAD_BYTES),
    ).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def server() -> Iterator[Origin]:
    with origin() as served:
        yield served


def _tasks_total(http: httpx.Client) -> int:
    total: int = http.get("/videos/tasks").json()["total"]
    return total


def _import(http: httpx.Client, url: str, **extra: Any) -> dict[str, Any]:
    response = http.post("/videos/import", json={"url": url, **extra})
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:9/clip.mp4", "resolves to a loopback address (set IMPORT_ALLOW_PRIVATE"),
        ("http://10.1.2.3/clip.mp4", "resolves to a private address (set IMPORT_ALLOW_PRIVATE"),
        ("http://[::1]/clip.mp4", "resolves to a loopback address"),
        ("http://169.254.169.254/latest/meta-data/", "resolves to a link-local address"),
        ("file:///etc/passwd", "only http and https URLs can be imported"),
        ("ftp://example.com/clip.mp4", "only http and https URLs can be imported"),
        ("http://user:pw@example.com/clip.mp4", "may not carry credentials"),
        ("http://nowhere.invalid/clip.mp4", "does not resolve"),
    ],
)
def test_refused_urls_are_422_and_nothing_is_queued(closed: Service, url: str, reason: str) -> None:
    with closed.client() as http:
        before = _tasks_total(http)
        response = http.post("/videos/import", json={"url": url})
        assert response.status_code == 422, response.text
        assert reason in response.json()["detail"]
        assert _tasks_total(http) == before


def test_metadata_stays_refused_with_private_hosts_allowed(opened: Service) -> None:
    with opened.client() as http:
        before = _tasks_total(http)
        response = http.post("/videos/import", json={"url": "http://169.254.169.254/"})
        assert response.status_code == 422
        assert "link-local" in response.json()["detail"]
        assert _tasks_total(http) == before


def test_a_clip_is_imported_then_transcoded(
    opened: Service, server: Origin, clips: dict[str, Path]
) -> None:
    data = clips["wide"].read_bytes()
    assert len(data) < MAX_UPLOAD_BYTES
    url = server.serve("/media/wide.mp4", Route(body=data))
    with opened.client() as http:
        started = _import(http, url, filename="holiday.mp4")
        assert started["url"] == url
        final, seen = wait_for(http, started["task_id"])
        assert final["state"] == "SUCCESS", final
        assert {answer["kind"] for answer in seen} == {"import"}
        assert all("format" not in answer for answer in seen)
        result = final["result"]
        assert result["file_id"] == started["file_id"]
        assert result["size_bytes"] == len(data)
        assert "stream_url" not in result
        file = http.get(f"/videos/{result['file_id']}")
        assert file.status_code == 200, file.text
        assert file.json()["original_name"] == "holiday.mp4"
        assert file.json()["jobs"] == []  # the import is a task, not one of its transcodes
        listed = http.get("/videos/tasks").json()["items"]
        assert started["task_id"] in {item["task_id"] for item in listed}
        job = transcode(http, result["file_id"], "320:-2", "mp4")
        done = wait_success(http, job["task_id"])
        assert done["result"]["width"] == 320
    assert server.requests[-1][1]["Accept-Encoding"] == "identity"


def test_the_name_comes_from_the_url_by_default(
    opened: Service, server: Origin, clips: dict[str, Path]
) -> None:
    url = server.serve("/media/My%20Clip.mp4", Route(body=clips["noaudio"].read_bytes()))
    with opened.client() as http:
        final, _ = wait_for(http, _import(http, url)["task_id"])
        assert final["state"] == "SUCCESS", final
        file = http.get(f"/videos/{final['result']['file_id']}").json()
        assert file["original_name"] == "My Clip.mp4"


def _failed(http: httpx.Client, url: str) -> dict[str, Any]:
    started = _import(http, url)
    final, _ = wait_for(http, started["task_id"])
    assert final["state"] == "FAILURE", final
    assert http.get(f"/videos/{started['file_id']}").status_code == 404  # no file was made
    return final


def test_a_redirect_to_the_metadata_address_fails(opened: Service, server: Origin) -> None:
    url = server.redirect("/to-metadata", "http://169.254.169.254/latest/meta-data/")
    with opened.client() as http:
        final = _failed(http, url)
    assert "a redirect leads to a refused URL" in final["error"]
    assert "link-local" in final["error"]


def test_a_redirect_chain_within_limits_is_followed(
    opened: Service, server: Origin, clips: dict[str, Path]
) -> None:
    server.serve("/final.mp4", Route(body=clips["noaudio"].read_bytes()))
    server.redirect("/hop2", "/final.mp4", 307)
    url = server.redirect("/hop1", server.url + "/hop2", 301)
    with opened.client() as http:
        final, _ = wait_for(http, _import(http, url)["task_id"])
    assert final["state"] == "SUCCESS", final


def test_a_body_larger_than_the_limit_fails(opened: Service, server: Origin) -> None:
    big = b"\0" * (MAX_UPLOAD_BYTES + 1)
    declared = server.serve("/big-declared", Route(body=big))
    streamed = server.serve("/big-streamed", Route(body=big, length=False))
    with opened.client() as http:
        assert "declares 4000001 bytes" in _failed(http, declared)["error"]
        assert "sent more than 4000000 bytes" in _failed(http, streamed)["error"]


def test_a_non_video_fails_with_the_probes_reason(opened: Service, server: Origin) -> None:
    url = server.serve("/notes.txt", Route(body=b"not a video at all\n" * 500))
    with opened.client() as http:
        final = _failed(http, url)
    assert final["error"]
    assert "internal error" not in final["error"]


def test_a_missing_page_fails_readably(opened: Service, server: Origin) -> None:
    with opened.client() as http:
        final = _failed(http, server.url + "/missing.mp4")
    assert "answered 404" in final["error"]


def test_the_command_imports_and_waits(
    opened: Service, server: Origin, clips: dict[str, Path]
) -> None:
    url = server.serve("/cli.mp4", Route(body=clips["noaudio"].read_bytes()))
    file_id = succeeded(videoforge(opened, "import", url, "--wait")).strip()
    with opened.client() as http:
        assert http.get(f"/videos/{file_id}").status_code == 200
    task_id = succeeded(videoforge(opened, "import", url, "--filename", "x.mp4")).strip()
    with opened.client() as http:
        final, _ = wait_for(http, task_id)
    assert final["state"] == "SUCCESS", final


def test_an_imports_events_are_webhooks_as_for_any_job(
    opened: Service, server: Origin, clips: dict[str, Path]
) -> None:
    url = server.serve("/hooked.mp4", Route(body=clips["noaudio"].read_bytes()))
    with receiver() as hook, opened.client() as http:
        endpoint = register(http, hook.url)
        try:
            started = _import(http, url)
            task_id, file_id = started["task_id"], started["file_id"]

            def arrived() -> bool:
                bodies = hook.bodies(endpoint["secret"])
                return bool(of_kind(bodies, "job.succeeded", task_id)) and bool(
                    of_kind(bodies, "file.uploaded", file_id)
                )

            hook.wait(arrived, "job.succeeded and file.uploaded of the import")
            bodies = hook.bodies(endpoint["secret"])
            assert of_kind(bodies, "job.queued", task_id)
            succeeded_ = of_kind(bodies, "job.succeeded", task_id)[0]["data"]
            assert succeeded_["kind"] == "import" and succeeded_["result"]["file_id"] == file_id
        finally:
            http.delete(f"/webhooks/{endpoint['id']}")


def test_an_imports_callback_url_hears_it(
    opened: Service, server: Origin, clips: dict[str, Path]
) -> None:
    url = server.serve("/called-back.mp4", Route(body=clips["noaudio"].read_bytes()))
    with receiver() as hook, opened.client() as http:
        secret = http.get("/webhooks/callback-secret").json()["secret"]
        task_id = _import(http, url, callback_url=hook.url)["task_id"]
        hook.wait(lambda: bool(of_kind(hook.bodies(secret), "job.succeeded", task_id)),
                  "the import's job.succeeded at its callback URL")  # fmt: skip
        kinds = {b["type"] for b in hook.bodies(secret)}
        assert {"job.queued", "job.started", "job.succeeded"} <= kinds, kinds
        assert {b["data"]["task_id"] for b in hook.bodies(secret)} == {task_id}


def test_a_refused_callback_url_queues_no_import(opened: Service, server: Origin) -> None:
    url = server.serve("/never.mp4", Route(body=b"never fetched"))
    with opened.client() as http:
        before = _tasks_total(http)
        response = http.post("/videos/import", json={"url": url, "callback_url": "ftp://x/"})
        assert response.status_code == 422, response.text
        assert "only http and https URLs can receive webhooks" in response.json()["detail"]
        assert _tasks_total(http) == before
