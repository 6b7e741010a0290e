"""Webhooks end to end: a real `videoforge serve` pushes signed events to a real HTTP
receiver on loopback; signatures are checked with the `standardwebhooks` package."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import FAST_RETRIES
from tests.e2e.receiver import Received, receiver
from tests.e2e.service import Service, transcode, upload, wait_success
from tests.e2e.test_cli import succeeded, videoforge
from videoforge.runtime.valkey import EmbeddedValkey


def register(http: httpx.Client, url: str, **body: Any) -> dict[str, Any]:
    response = http.post("/webhooks", json={"url": url, **body})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert created["secret"].startswith("whsec_")
    return created


def of_kind(bodies: list[dict[str, Any]], kind: str, subject: str) -> list[dict[str, Any]]:
    key = "task_id" if kind.startswith("job.") else "file_id"
    return [b for b in bodies if b["type"] == kind and b["data"].get(key) == subject]


def test_a_job_s_events_arrive_signed_with_the_job_as_the_api_shows_it(
    hooked: Service, clips: dict[str, Path]
) -> None:
    with receiver() as hook, hooked.client() as http:
        wanted = ["file.uploaded", "job.queued", "job.started", "job.progress", "job.succeeded"]
        endpoint = register(http, hook.url, events=wanted)
        file_id = upload(http, clips["long"])["file_id"]
        task_id = transcode(http, file_id, "640:360", "mp4")["task_id"]
        shown = wait_success(http, task_id)
        secret = endpoint["secret"]
        hook.wait(lambda: bool(of_kind(hook.bodies(secret), "job.succeeded", task_id)),
                  "job.succeeded")  # fmt: skip
        bodies = hook.bodies(secret)  # those whose signature verifies
        assert of_kind(bodies, "file.uploaded", file_id)[0]["data"]["duration_s"] > 11
        # Tries run in parallel, so arrivals may cross: the event time orders them.
        mine = sorted((b for b in bodies if b["data"].get("task_id") == task_id),
                      key=lambda b: b["timestamp"])  # fmt: skip
        kinds = [b["type"] for b in mine]
        assert kinds[:2] == ["job.queued", "job.started"], kinds
        assert kinds[-1] == "job.succeeded" and kinds.count("job.succeeded") == 1, kinds
        assert set(kinds) <= {"job.queued", "job.started", "job.progress", "job.succeeded"}
        succeeded = of_kind(bodies, "job.succeeded", task_id)[0]
        assert succeeded["data"]["result"] == shown["result"]
        assert succeeded["data"]["state"] == "SUCCESS"
        assert succeeded["timestamp"].endswith("Z")
        # Every delivery is listed as delivered, on its first try.
        listed = http.get(f"/webhooks/{endpoint['id']}/deliveries", params={"limit": 100}).json()
        mine = [d for d in listed["items"] if d["subject"] in (task_id, file_id)]
        assert {d["status"] for d in mine} == {"delivered"}, mine
        assert {d["last_response_code"] for d in mine} == {204}
        assert len(mine) == len([b for b in bodies if task_id == b["data"].get("task_id")
                                 or file_id == b["data"].get("file_id")])  # fmt: skip


def test_a_receiver_that_fails_then_recovers_gets_the_same_id_again(
    hooked: Service, clips: dict[str, Path]
) -> None:
    with receiver(lambda _r, tries: 500 if tries == 0 else 200) as hook, hooked.client() as http:
        endpoint = register(http, hook.url, events=["file.uploaded"])
        file_id = upload(http, clips["noaudio"])["file_id"]
        hook.wait(lambda: len(hook.received) >= 2, "a second try")
        first, second = hook.received[:2]
        assert first.id == second.id
        assert first.verified(endpoint["secret"]) == second.verified(endpoint["secret"])
        assert first.verified(endpoint["secret"])["data"]["file_id"] == file_id
        deliveries = http.get(f"/webhooks/{endpoint['id']}/deliveries").json()["items"]
        hook.wait(lambda: http.get(f"/webhooks/{endpoint['id']}/deliveries").json()["items"][0]
                  ["status"] == "delivered", "the delivery's record")  # fmt: skip
        delivery = http.get(f"/webhooks/{endpoint['id']}/deliveries").json()["items"][0]
        assert delivery["id"] == first.id and delivery["attempts"] == 2, deliveries
        assert delivery["last_response_code"] == 200 and delivery["next_try_at"] is None
        # A manual retry sends it once more, under the same id.
        retried = http.post(f"/webhooks/{endpoint['id']}/deliveries/{first.id}/retry")
        assert retried.status_code == 202, retried.text
        hook.wait(lambda: len(hook.received) >= 3, "the manual retry")
        assert hook.received[2].id == first.id


def test_redirects_are_not_followed(hooked: Service, clips: dict[str, Path]) -> None:
    with receiver() as target, receiver(lambda _r, _n: (307, {"location": ""})) as hook:
        hook.answer = lambda _r, _n: (307, {"location": target.url})
        with hooked.client() as http:
            endpoint = register(http, hook.url, events=["file.uploaded"])
            upload(http, clips["noaudio"])

            def tried_twice() -> bool:
                items = http.get(f"/webhooks/{endpoint['id']}/deliveries").json()["items"]
                return bool(items) and items[0]["attempts"] >= 2

            hook.wait(tried_twice, "two tries")
            delivery = http.get(f"/webhooks/{endpoint['id']}/deliveries").json()["items"][0]
        assert delivery["status"] == "pending" and delivery["last_response_code"] == 307
        assert "redirect" in delivery["last_error"]
        assert target.received == []  # the redirect's target never heard from us


def test_a_callback_url_hears_its_job_signed_with_the_server_secret(
    hooked: Service, clips: dict[str, Path]
) -> None:
    with receiver() as hook, hooked.client() as http:
        secret = http.get("/webhooks/callback-secret").json()["secret"]
        file_id = upload(http, clips["noaudio"])["file_id"]
        task_id = transcode(http, file_id, "320:240", "mp4", callback_url=hook.url)["task_id"]
        wait_success(http, task_id)
        hook.wait(lambda: any(b["type"] == "job.succeeded" for b in hook.bodies(secret)),
                  "the callback's job.succeeded")  # fmt: skip
        kinds = [b["type"] for b in sorted(hook.bodies(secret), key=lambda b: b["timestamp"])]
        assert kinds[0] == "job.queued" and "job.progress" not in kinds, kinds
        assert {b["data"]["task_id"] for b in hook.bodies(secret)} == {task_id}
        shown = http.get("/webhooks/callback/deliveries").json()["items"]
        assert {d["subject"] for d in shown} >= {task_id}


def test_endpoints_are_listed_without_secrets_and_secrets_rotate(hooked: Service) -> None:
    with receiver() as hook, hooked.client() as http:
        endpoint = register(http, hook.url, description="rotation")
        listed = http.get("/webhooks").json()["items"]
        mine = next(e for e in listed if e["id"] == endpoint["id"])
        assert "secret" not in mine and mine["enabled"] and mine["description"] == "rotation"
        assert "job.progress" not in mine["events"]  # opt-in only
        assert "secret" not in http.get(f"/webhooks/{endpoint['id']}").json()
        rotated = http.post(f"/webhooks/{endpoint['id']}/rotate-secret").json()
        assert rotated["secret"] != endpoint["secret"]
        test = http.post(f"/webhooks/{endpoint['id']}/test")
        assert test.status_code == 202, test.text
        hook.wait(lambda: len(hook.received) >= 1, "the test delivery")
        got: Received = hook.received[0]
        # Both secrets sign while the old one is honoured: receivers switch at their pace.
        for secret in (endpoint["secret"], rotated["secret"]):
            assert got.verified(secret)["type"] == "webhook.test"
        assert http.delete(f"/webhooks/{endpoint['id']}").status_code == 204
        assert http.get(f"/webhooks/{endpoint['id']}").status_code == 404


REFUSED_EVERYWHERE = {  # refused even with WEBHOOK_ALLOW_PRIVATE=true
    "http://169.254.169.254/latest/meta-data/": "link-local",
    "http://[fe80::1]/hook": "link-local",
    "http://[fd00:ec2::254]/hook": "metadata",
    "http://[::ffff:169.254.169.254]/hook": "link-local",
    "http://0.0.0.0:8080/hook": "unspecified",
    "ftp://example.com/hook": "only http and https",
    "http://user:pass@example.com/hook": "credentials",
    "http:///no-host": "no host",
    "http://nowhere.invalid/hook": "does not resolve",
}
REFUSED_UNLESS_ALLOWED = {
    "http://127.0.0.1:9/hook": "loopback",
    "http://localhost:9/hook": "loopback",
    "http://[::1]:9/hook": "loopback",
    "http://10.1.2.3/hook": "private",
    "http://192.168.0.10/hook": "private",
    "http://172.20.0.1/hook": "private",
    "http://[fd12:3456::1]/hook": "unique-local",
    "http://100.64.0.1/hook": "CGNAT",
}


@pytest.mark.parametrize("url", [*REFUSED_EVERYWHERE, *REFUSED_UNLESS_ALLOWED])
def test_unsafe_targets_are_refused_with_a_reason_and_nothing_stored(
    service: Service, url: str
) -> None:
    with service.client() as http:
        before = http.get("/webhooks").json()["items"]
        response = http.post("/webhooks", json={"url": url})
        assert response.status_code == 422, response.text
        why = {**REFUSED_EVERYWHERE, **REFUSED_UNLESS_ALLOWED}[url]
        assert why in response.json()["detail"], response.text
        assert http.get("/webhooks").json()["items"] == before


@pytest.mark.parametrize("url", list(REFUSED_EVERYWHERE)[:4])
def test_metadata_and_link_local_stay_refused_when_private_targets_are_allowed(
    hooked: Service, url: str
) -> None:
    with hooked.client() as http:
        response = http.post("/webhooks", json={"url": url})
    assert response.status_code == 422, response.text


def test_a_refused_callback_url_queues_nothing(
    service: Service, uploaded: dict[str, dict[str, Any]]
) -> None:
    with service.client() as http:
        before = http.get("/videos/tasks").json()["total"]
        response = http.post(
            f"/videos/transcode/{uploaded['noaudio']['file_id']}",
            json={"resolution": "320:240", "format": "mp4",
                  "callback_url": "http://169.254.169.254/"},
        )  # fmt: skip
        assert response.status_code == 422 and "link-local" in response.json()["detail"]
        assert http.get("/videos/tasks").json()["total"] == before


def test_bad_endpoint_requests_are_refused(service: Service) -> None:
    with service.client() as http:
        unknown = http.post(
            "/webhooks", json={"url": "https://example.com/", "events": ["job.nope"]}
        )
        assert unknown.status_code == 422 and "job.nope" in unknown.json()["detail"]
        assert http.get("/webhooks/ep_nope").status_code == 404
        assert http.post("/webhooks/ep_nope/rotate-secret").status_code == 404
        assert http.get("/webhooks/ep_nope/deliveries").status_code == 404


def test_killing_the_dispatcher_mid_backlog_loses_no_event(
    tmp_path: Path, clips: dict[str, Path]
) -> None:
    # Redis outlives the API here (as in production), so the kill hits only the dispatcher.
    valkey = EmbeddedValkey(tmp_path / "valkey")
    redis_url = valkey.start()
    env = {**FAST_RETRIES, "REDIS_URL": redis_url, "VIDEOFORGE_EXECUTOR": "inline"}
    down = True
    try:
        with receiver(lambda _r, _n: 503 if down else 200) as hook:
            first = Service(tmp_path / "first", **env).start()
            with first.client() as http:
                endpoint = register(http, hook.url, events=["file.uploaded", "file.deleted"])
                file_ids = [upload(http, clips["noaudio"], f"{n}.mp4")["file_id"] for n in range(4)]
                for file_id in file_ids:
                    assert http.delete(f"/videos/{file_id}").status_code in (200, 204)
                hook.wait(lambda: len(hook.received) >= 3, "tries while the receiver is down")
            first.stop(signal.SIGKILL)  # mid-backlog: deliveries held, events maybe unread
            down = False
            second = Service(tmp_path / "second", **env).start()
            try:
                expected = {
                    (kind, f) for f in file_ids for kind in ("file.uploaded", "file.deleted")
                }

                def delivered() -> set[tuple[str, str]]:
                    secret = endpoint["secret"]
                    with hook.lock:
                        bodies = [r.verified(secret) for r in hook.received if r.answered == 200]
                    return {(b["type"], b["data"]["file_id"]) for b in bodies}

                hook.wait(lambda: delivered() >= expected, "every event, after the restart")
                assert delivered() == expected
                with second.client() as http:
                    listed = http.get(f"/webhooks/{endpoint['id']}/deliveries").json()
                assert listed["total"] == len(expected)
            finally:
                second.stop()
    finally:
        valkey.stop()


def test_the_cli_registers_lists_and_shows_deliveries(
    hooked: Service, clips: dict[str, Path]
) -> None:
    with receiver() as hook:
        add = ("webhooks", "add", hook.url, "--event", "job.succeeded", "--json")
        added = json.loads(succeeded(videoforge(hooked, *add)))
        assert added["events"] == ["job.succeeded"] and added["secret"].startswith("whsec_")
        listed = succeeded(videoforge(hooked, "webhooks", "list"))
        assert added["id"] in listed and hook.url in listed
        submitted = succeeded(videoforge(
            hooked, "submit", str(clips["noaudio"]), "-f", "mp4", "-r", "320:240",
            "--priority", "high", "--callback-url", hook.url, "--wait"))  # fmt: skip
        assert "/videos/stream/" in submitted
        hook.wait(lambda: len(hook.bodies(added["secret"])) >= 1, "the endpoint's delivery")
        body = hook.bodies(added["secret"])[0]
        assert body["type"] == "job.succeeded" and body["data"]["priority"] == "high"
        shown = succeeded(videoforge(hooked, "webhooks", "deliveries", added["id"]))
        assert "job.succeeded" in shown and "delivered" in shown
        secret = succeeded(videoforge(hooked, "webhooks", "secret")).strip()
        hook.wait(lambda: any(r.verifies(secret) for r in hook.received), "the callback")
        succeeded(videoforge(hooked, "webhooks", "remove", added["id"]))
        assert added["id"] not in succeeded(videoforge(hooked, "webhooks", "list"))
