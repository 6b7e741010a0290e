"""The production shape on real servers: S3 (SeaweedFS), Valkey, an API, separate workers."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.service import transcode, upload, wait_for
from tests.topology.cluster import BUCKET, Role, SeaweedS3, wait_http, worker_names
from tests.topology.conftest import HOST, Cluster
from videoforge.media.binaries import FFmpegBinaries
from videoforge.runtime.processes import free_port


@pytest.fixture
def client(cluster: Cluster) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=cluster.api_url, timeout=30) as http:
        yield http


def s3_keys(s3: SeaweedS3, prefix: str) -> set[str]:
    listing = s3.client().list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return {item["Key"] for item in listing.get("Contents", [])}


def test_every_format_goes_through_s3(
    cluster: Cluster, client: httpx.Client, clips: dict[str, Path], binaries: FFmpegBinaries
) -> None:
    file_id = upload(client, clips["wide"])["file_id"]
    assert s3_keys(cluster.s3, f"sources/{file_id}/") == {
        f"sources/{file_id}/source",
        f"sources/{file_id}/meta.json",
    }
    tasks = {fmt: transcode(client, file_id, "1280:720", fmt) for fmt in ("hls", "mp4", "webm")}
    for task in tasks.values():
        final, _ = wait_for(client, task["task_id"])
        assert final["state"] == "SUCCESS", final
        name = task["output_name"]
        # Published under the winning attempt's own name; the public name resolves to it.
        stem, extension = name.rsplit(".", 1)
        mains = {k for k in s3_keys(cluster.s3, f"outputs/{stem}-") if k.endswith(extension)}
        assert len(mains) == 1
        whole = client.get(f"/videos/stream/{name}")
        assert whole.status_code == 200 and len(whole.content) > 0
        part = client.get(f"/videos/download/{name}", headers={"Range": "bytes=10-19"})
        assert part.status_code == 206 and part.content == whole.content[10:20]
        assert part.headers["content-range"] == f"bytes 10-19/{len(whole.content)}"
    hls = tasks["hls"]["output_name"]
    segments = s3_keys(cluster.s3, f"outputs/{hls.removesuffix('.m3u8')}-") - {
        k for k in s3_keys(cluster.s3, "outputs/") if k.endswith(".m3u8")
    }
    assert segments and all(key.endswith(".ts") for key in segments)
    probe = subprocess.run(
        [binaries.ffprobe, "-v", "error", "-show_entries", "format=format_name", "-of", "csv=p=0",
         f"{cluster.api_url}/videos/stream/{hls}"],
        capture_output=True, text=True, check=True, env=binaries.process_env,
    )  # fmt: skip
    assert probe.stdout.strip() == "hls"
    # Nothing went to local disk: the scratch dir holds only (now empty) temp space.
    assert not (cluster.root / "scratch" / "objects").exists()


def test_jobs_spread_over_both_workers(
    cluster: Cluster, client: httpx.Client, clips: dict[str, Path]
) -> None:
    file_id = upload(client, clips["noaudio"])["file_id"]
    tasks = [transcode(client, file_id, "320:240", "webm")["task_id"] for _ in range(4)]
    finals = [wait_for(client, task_id)[0] for task_id in tasks]
    assert {f["state"] for f in finals} == {"SUCCESS"}
    assert {f["worker"] for f in finals} == {f"w1@{HOST}", f"w2@{HOST}"}


def test_a_worker_added_while_jobs_wait_takes_work(
    cluster: Cluster, client: httpx.Client, clips: dict[str, Path]
) -> None:
    file_id = upload(client, clips["long"])["file_id"]
    tasks = [transcode(client, file_id, "640:360", "webm")["task_id"] for _ in range(6)]
    cluster.add_worker("w3")
    finals = [wait_for(client, task_id, timeout_s=300)[0] for task_id in tasks]
    assert {f["state"] for f in finals} == {"SUCCESS"}
    assert f"w3@{HOST}" in {f["worker"] for f in finals}


def test_sigterm_to_an_idle_worker_loses_nothing(
    cluster: Cluster, client: httpx.Client, clips: dict[str, Path]
) -> None:
    if "w3" not in cluster.workers:
        cluster.add_worker("w3")
    assert cluster.workers["w3"].stop(signal.SIGTERM, timeout_s=30) == 0
    assert f"w3@{HOST}" not in worker_names(cluster.redis_url)
    file_id = upload(client, clips["noaudio"])["file_id"]
    tasks = [transcode(client, file_id, "320:240", "mp4")["task_id"] for _ in range(3)]
    finals = [wait_for(client, task_id)[0] for task_id in tasks]
    assert {f["state"] for f in finals} == {"SUCCESS"}
    assert {f["worker"] for f in finals} <= {f"w1@{HOST}", f"w2@{HOST}"}
    assert metric(client, "videoforge_queue_depth") == 0


def metric(client: httpx.Client, name: str, default: float | None = None, **labels: str) -> float:
    text = client.get("/metrics").text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    if default is not None:
        return default
    raise AssertionError(f"{name}{labels} not in /metrics")


def test_metrics_count_what_happened(
    cluster: Cluster, client: httpx.Client, clips: dict[str, Path]
) -> None:
    before = {
        "submitted": metric(client, "videoforge_jobs_submitted_total", 0.0, format="mp4"),
        "succeeded": metric(client, "videoforge_jobs_succeeded_total", 0.0, format="mp4"),
        "uploaded": metric(client, "videoforge_upload_bytes_total"),
        "served": metric(client, "videoforge_served_bytes_total"),
    }
    body = upload(client, clips["noaudio"])
    task = transcode(client, body["file_id"], "320:240", "mp4")
    assert wait_for(client, task["task_id"])[0]["state"] == "SUCCESS"
    served = len(client.get(f"/videos/stream/{task['output_name']}").content)
    assert (
        metric(client, "videoforge_jobs_submitted_total", format="mp4") == before["submitted"] + 1
    )
    assert (
        metric(client, "videoforge_jobs_succeeded_total", format="mp4") == before["succeeded"] + 1
    )
    assert (
        metric(client, "videoforge_upload_bytes_total") == before["uploaded"] + body["size_bytes"]
    )
    assert metric(client, "videoforge_served_bytes_total") == before["served"] + served
    assert metric(client, "videoforge_job_duration_seconds_count", format="mp4") >= 1
    assert metric(client, "videoforge_encode_speed_ratio_count", format="mp4") >= 1
    assert metric(client, "videoforge_jobs_active") == 0


def test_logs_are_json_with_the_job_on_every_job_line(
    cluster: Cluster, client: httpx.Client, clips: dict[str, Path]
) -> None:
    file_id = upload(client, clips["noaudio"])["file_id"]
    task = transcode(client, file_id, "320:240", "mp4")
    final, _ = wait_for(client, task["task_id"])
    worker_log = cluster.workers[final["worker"].split("@")[0]].log()
    lines = [json.loads(line) for line in worker_log.splitlines() if line.startswith("{")]
    mine = [line for line in lines if task["task_id"] in line["message"]]
    assert mine and all(line.get("task_id") == task["task_id"] for line in mine), mine
    # The pipeline's own lines carry the file too.
    ours = [line for line in mine if line["logger"].startswith("videoforge")]
    assert ours and all(line["file_id"] == file_id for line in ours), ours
    assert {"ts", "level", "logger", "message"} <= set(mine[0])


def test_wrong_s3_credentials_are_refused(cluster: Cluster, s3: SeaweedS3) -> None:
    with pytest.raises(ClientError) as refused:
        s3.client(secret="not-the-secret").list_objects_v2(Bucket=BUCKET)
    assert refused.value.response["Error"]["Code"] in {"SignatureDoesNotMatch", "AccessDenied"}
    env = cluster.env(S3_SECRET_KEY="not-the-secret")
    result = subprocess.run(
        [sys.executable, "-m", "videoforge.cli", "api", "--port", str(free_port())],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert (
        result.stderr.strip().splitlines()[-1].startswith("videoforge: S3 refused the credentials")
    )
    assert "Traceback" not in result.stderr


def second_api(cluster: Cluster, name: str, **extra: str) -> tuple[Role, str]:
    port = free_port()
    role = Role(name, ["api", "--port", str(port)], cluster.env(**extra), cluster.root).start()
    assert role.process is not None
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/healthz", role.process, timeout_s=60)
    return role, url


def test_presigned_redirects_serve_ranges_from_s3(
    cluster: Cluster, client: httpx.Client, clips: dict[str, Path]
) -> None:
    file_id = upload(client, clips["noaudio"])["file_id"]
    task = transcode(client, file_id, "320:240", "mp4")
    hls = transcode(client, file_id, "320:240", "hls")
    assert wait_for(client, task["task_id"])[0]["state"] == "SUCCESS"
    assert wait_for(client, hls["task_id"])[0]["state"] == "SUCCESS"
    role, url = second_api(
        cluster, "api-presigned", PRESIGNED_REDIRECTS="true", PUBLIC_S3_ENDPOINT=cluster.s3.url
    )
    try:
        name = task["output_name"]
        for route in ("stream", "download"):
            redirect = httpx.get(f"{url}/videos/{route}/{name}")
            assert redirect.status_code == 307
            location = redirect.headers["location"]
            stem = name.removesuffix(".mp4")
            assert location.startswith(f"{cluster.s3.url}/{BUCKET}/outputs/{stem}-")
            assert ".mp4?" in location
            ranged = httpx.get(location, headers={"Range": "bytes=0-99"})
            assert ranged.status_code == 206 and len(ranged.content) == 100
        assert "attachment" in httpx.get(location).headers["content-disposition"]
        assert httpx.get(f"{url}/videos/stream/nope.mp4").status_code == 404
        # Playlists come from the API with presigned segment URLs, so a private bucket works.
        playlist = httpx.get(f"{url}/videos/stream/{hls['output_name']}")
        assert playlist.status_code == 200
        segments = [line for line in playlist.text.splitlines() if line and line[0] != "#"]
        assert segments and all(
            s.startswith(f"{cluster.s3.url}/{BUCKET}/outputs/") for s in segments
        )
        assert all(httpx.get(segment).status_code == 200 for segment in segments)
    finally:
        role.stop()


def test_readyz_needs_a_live_worker(cluster: Cluster) -> None:
    # Redis database 1: same server, but no worker consumes from it.
    lonely = cluster.redis_url.removesuffix("/0") + "/1"
    role, url = second_api(cluster, "api-lonely", REDIS_URL=lonely)
    try:
        ready = httpx.get(f"{url}/readyz", timeout=10)
        assert ready.status_code == 503
        checks: dict[str, Any] = ready.json()["checks"]
        assert checks["worker"].startswith("failed")
        assert checks["redis"] == checks["storage"] == checks["ffmpeg"] == "ok"
    finally:
        role.stop()
    assert httpx.get(f"{cluster.api_url}/readyz", timeout=10).status_code == 200


def test_flower_watches_the_same_broker(cluster: Cluster) -> None:
    port = free_port()
    env = {**cluster.env(), "FLOWER_UNAUTHENTICATED_API": "true"}
    flower = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "videoforge.worker", "flower",
         f"--port={port}", "--address=127.0.0.1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{port}/healthcheck", flower, timeout_s=60)
        workers = httpx.get(f"http://127.0.0.1:{port}/api/workers?refresh=1", timeout=30).json()
        assert {f"w1@{HOST}", f"w2@{HOST}"} <= set(workers)
        assert "flower_" in httpx.get(f"http://127.0.0.1:{port}/metrics").text
    finally:
        flower.send_signal(signal.SIGTERM)
        flower.wait(timeout=30)
