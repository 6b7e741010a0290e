"""Fault injection on real processes: kill -9, SIGTERM, a Redis restart, S3 outages, cancel.

Each test gets its own Valkey (restartable on its port), API and workers, with short leases
(LEASE_TTL_S=3, REAPER_INTERVAL_S=1) so recoveries take seconds; the defaults (30 s, 10 s)
bound the same recoveries at 40 s. Every test checks the final state, the attempt count,
the committed outputs, and that no ffmpeg or scratch directory is left behind.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.service import alive, descendants, process_names, transcode, upload, wait_for
from tests.topology.cluster import Role, SeaweedS3, kill_tree, wait_http
from tests.topology.conftest import Cluster, Faulty


def ffmpeg_of(role: Role) -> set[int]:
    assert role.process is not None
    return {p for p in descendants(role.process.pid) if "ffmpeg" in " ".join(process_names({p}))}


def output_keys(cluster: Cluster, output_name: str) -> set[str]:
    stem = output_name.rsplit(".", 1)[0]
    bucket = cluster.settings["S3_BUCKET"]
    listing = cluster.s3.client().list_objects_v2(Bucket=bucket, Prefix=f"outputs/{stem}")
    return {item["Key"] for item in listing.get("Contents", [])}


def one_committed_output(cluster: Cluster, output_name: str) -> bool:
    """Exactly one object for the output: the one its winning attempt published."""
    stem, extension = output_name.rsplit(".", 1)
    keys = output_keys(cluster, output_name)
    pattern = rf"outputs/{re.escape(stem)}-[0-9a-f]{{8}}\.{extension}"
    return len(keys) == 1 and re.fullmatch(pattern, keys.pop()) is not None


def running_on(client: httpx.Client, task_id: str) -> dict[str, Any]:
    status, _ = wait_for(client, task_id, timeout_s=60, states={"PROGRESS"})
    return status


def no_scratch_left(cluster: Cluster) -> bool:
    return list((cluster.root / "scratch" / "tmp").glob("job-*")) == []


def test_a_sigkilled_worker_s_job_is_resumed_by_another(
    make_cluster: Callable[..., tuple[Faulty, httpx.Client]], clips: dict[str, Path]
) -> None:
    cluster, client = make_cluster()
    file_id = upload(client, clips["long"])["file_id"]
    task = transcode(client, file_id, "1280:720", "webm")
    victim_name = running_on(client, task["task_id"])["worker"]
    victim = cluster.workers[victim_name.split("@")[0]]
    ffmpeg = ffmpeg_of(victim)
    killed_at = time.monotonic()
    tree = kill_tree(victim)
    deadline = time.monotonic() + 60
    while client.get(f"/videos/task/{task['task_id']}").json().get("worker") == victim_name:
        assert time.monotonic() < deadline, "nobody took the job over"
        time.sleep(0.2)
    takeover_s = time.monotonic() - killed_at
    final, _ = wait_for(client, task["task_id"], timeout_s=180)
    assert final["state"] == "SUCCESS", final
    assert final["worker"] != victim_name and final["attempts"] == 2
    # About lease TTL + reaper interval (3 + 1 s here); the bound is generous, the figure
    # with default settings is measured by the soak (make soak).
    assert takeover_s < 60, takeover_s
    assert one_committed_output(cluster, task["output_name"])
    assert ffmpeg and alive(ffmpeg | tree) == set()


def test_sigterm_to_a_busy_worker_requeues_its_job_at_once(
    make_cluster: Callable[..., tuple[Faulty, httpx.Client]], clips: dict[str, Path]
) -> None:
    cluster, client = make_cluster(LEASE_TTL_S="30", REAPER_INTERVAL_S="30")  # no reaper help
    file_id = upload(client, clips["long"])["file_id"]
    task = transcode(client, file_id, "1280:720", "webm")
    victim_name = running_on(client, task["task_id"])["worker"]
    victim = cluster.workers[victim_name.split("@")[0]]
    ffmpeg = ffmpeg_of(victim)
    stopped_at, stopped_wall = time.monotonic(), time.time()
    victim.stop(signal.SIGTERM, timeout_s=30)
    assert time.monotonic() - stopped_at < 60  # cold shutdown: not the encode's length
    assert ffmpeg and alive(ffmpeg) == set()
    final, seen = wait_for(client, task["task_id"], timeout_s=180)
    assert final["state"] == "SUCCESS", final
    assert final["worker"] != victim_name
    # The interrupted run does not count as an attempt.
    assert final["attempts"] == 1, final
    resumed = [s for s in seen if s.get("worker") not in (None, victim_name)]
    assert resumed and resumed[0]["updated_at"] - stopped_wall < 60
    assert one_committed_output(cluster, task["output_name"])


def test_a_redis_restart_loses_no_job(
    make_cluster: Callable[..., tuple[Faulty, httpx.Client]], clips: dict[str, Path]
) -> None:
    cluster, client = make_cluster()
    file_id = upload(client, clips["noaudio"])["file_id"]
    long_id = upload(client, clips["long"])["file_id"]
    tasks = [transcode(client, long_id, "640:360", "webm")["task_id"]]
    tasks += [transcode(client, file_id, "320:240", "webm")["task_id"] for _ in range(3)]
    running_on(client, tasks[0])
    cluster.valkey.stop()  # SIGTERM: valkey flushes its AOF
    time.sleep(1)
    cluster.valkey.start(port=cluster.valkey_port)
    finals = [wait_for(client, t, timeout_s=240)[0] for t in tasks]
    assert [f["state"] for f in finals] == ["SUCCESS"] * 4, finals
    # The workers still consume after reconnecting.
    after = transcode(client, file_id, "320:240", "mp4")
    assert wait_for(client, after["task_id"], timeout_s=120)[0]["state"] == "SUCCESS"
    assert no_scratch_left(cluster)


def test_a_storage_outage_mid_job_is_ridden_out(
    make_cluster: Callable[..., tuple[Faulty, httpx.Client]],
    clips: dict[str, Path],
    s3: SeaweedS3,
) -> None:
    # The outage is 8 s plus SeaweedFS's restart, which took over 12 s on a loaded machine:
    # a budget well above both keeps this about riding it out, not about the machine.
    cluster, client = make_cluster(STORAGE_RETRY_BUDGET_S="90")
    file_id = upload(client, clips["long"])["file_id"]
    task = transcode(client, file_id, "640:360", "webm")
    worker = running_on(client, task["task_id"])["worker"]
    worker_log = cluster.workers[worker.split("@")[0]].log
    s3.stop()
    try:  # down until the encode has ended and its publishing has met the outage
        deadline = time.monotonic() + 120
        while "retrying in" not in worker_log() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert "retrying in" in worker_log(), "the job never met the outage"
    finally:
        s3.start()
    final, _ = wait_for(client, task["task_id"], timeout_s=180)
    assert final["state"] == "SUCCESS", final
    assert final["attempts"] == 1  # ridden out within the attempt
    assert one_committed_output(cluster, task["output_name"])


def test_a_lasting_storage_outage_fails_after_max_retries(
    make_cluster: Callable[..., tuple[Faulty, httpx.Client]],
    clips: dict[str, Path],
    s3: SeaweedS3,
) -> None:
    cluster, client = make_cluster(workers=(), STORAGE_RETRY_BUDGET_S="1")
    file_id = upload(client, clips["noaudio"])["file_id"]
    task = transcode(client, file_id, "320:240", "mp4")  # queued: no worker yet
    s3.stop()
    try:
        cluster.add_worker("w1")
        final, seen = wait_for(client, task["task_id"], timeout_s=120)
    finally:
        s3.start()
    assert final["state"] == "FAILURE", final
    assert final["attempts"] == 3
    assert final["error"].startswith("storage unavailable")
    assert final["error"].endswith("(after 3 attempts)")
    assert [s["state"] for s in seen].count("RETRY") >= 2
    assert no_scratch_left(cluster)


def test_cancel_stops_a_running_job(
    make_cluster: Callable[..., tuple[Faulty, httpx.Client]], clips: dict[str, Path]
) -> None:
    cluster, client = make_cluster()
    file_id = upload(client, clips["long"])["file_id"]
    task = transcode(client, file_id, "1280:720", "webm")
    worker = running_on(client, task["task_id"])["worker"]
    ffmpeg = ffmpeg_of(cluster.workers[worker.split("@")[0]])
    cancelled = client.post(f"/videos/task/{task['task_id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "REVOKED"
    assert cancelled.json()["status"] == "cancelled"
    deadline = time.monotonic() + 5
    while alive(ffmpeg) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ffmpeg and alive(ffmpeg) == set()
    time.sleep(1)
    assert client.get(f"/videos/task/{task['task_id']}").json()["state"] == "REVOKED"
    assert output_keys(cluster, task["output_name"]) == set()
    assert no_scratch_left(cluster)
    again = client.post(f"/videos/task/{task['task_id']}/cancel")
    assert again.status_code == 200  # idempotent


def test_a_job_cancelled_while_no_worker_is_up_never_starts(
    make_cluster: Callable[..., tuple[Faulty, httpx.Client]], clips: dict[str, Path]
) -> None:
    cluster, client = make_cluster(workers=())
    file_id = upload(client, clips["noaudio"])["file_id"]
    task = transcode(client, file_id, "320:240", "mp4")
    assert client.post(f"/videos/task/{task['task_id']}/cancel").json()["state"] == "REVOKED"
    late = cluster.add_worker("late")
    deadline = time.monotonic() + 60
    while "already REVOKED" not in late.log():
        assert time.monotonic() < deadline, "the late worker never saw the message"
        time.sleep(0.2)
    final = client.get(f"/videos/task/{task['task_id']}").json()
    assert (final["state"], final["attempts"]) == ("REVOKED", 0)
    assert "already REVOKED" in cluster.workers["late"].log()
    finished = transcode(client, file_id, "320:240", "mp4")
    assert wait_for(client, finished["task_id"])[0]["state"] == "SUCCESS"
    conflict = client.post(f"/videos/task/{finished['task_id']}/cancel")
    assert conflict.status_code == 409 and "already ended" in conflict.json()["detail"]


def test_the_api_keeps_answering_while_storage_is_frozen(
    make_cluster: Callable[..., tuple[Faulty, httpx.Client]],
    clips: dict[str, Path],
    s3: SeaweedS3,
) -> None:
    cluster, client = make_cluster(workers=())
    file_id = upload(client, clips["noaudio"])["file_id"]
    task = transcode(client, file_id, "320:240", "mp4")  # waits: no worker
    frozen_s, storage_answers, status_s = 20.0, [], []

    def hit_storage() -> None:
        # Routes that need storage: each ends (503) instead of holding a thread for minutes.
        with httpx.Client(base_url=cluster.api_url, timeout=60) as other:
            while time.monotonic() < until:
                storage_answers.append(other.get(f"/videos/{file_id}").status_code)

    assert s3.process is not None
    os.killpg(s3.process.pid, signal.SIGSTOP)  # frozen: connections open, nothing answers
    until = time.monotonic() + frozen_s
    hammers = [threading.Thread(target=hit_storage) for _ in range(40)]
    try:
        for hammer in hammers:
            hammer.start()
        with httpx.Client(base_url=cluster.api_url, timeout=5) as status:  # a generous bound
            while time.monotonic() < until:
                for path in (f"/videos/task/{task['task_id']}", "/videos", "/healthz"):
                    started = time.monotonic()
                    assert status.get(path).status_code == 200, path
                    status_s.append(time.monotonic() - started)
                time.sleep(0.05)
    finally:
        os.killpg(s3.process.pid, signal.SIGCONT)
        for hammer in hammers:
            hammer.join(60)
    assert storage_answers and set(storage_answers) <= {200, 503}, set(storage_answers)
    assert 503 in storage_answers
    status_s.sort()
    print(f"status during the freeze: {len(status_s)} answers, p50 "
          f"{status_s[len(status_s) // 2] * 1000:.0f} ms, p99 "
          f"{status_s[int(len(status_s) * 0.99)] * 1000:.0f} ms")  # fmt: skip
    # Storage back: the same route answers again.
    assert cluster.api.process is not None
    wait_http(f"{cluster.api_url}/videos/{file_id}", cluster.api.process, timeout_s=60)
