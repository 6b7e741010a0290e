"""Direct uploads on S3 (SeaweedFS): the client PUTs each part to its presigned URL with
plain HTTP, the API completes the multipart upload, probes the object in place, keeps it as
a file, and it transcodes; the API never carries the bytes."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import make_clip
from tests.e2e.service import transcode, wait_success
from tests.topology.conftest import Cluster
from tests.topology.test_topology import s3_keys
from videoforge.media.binaries import FFmpegBinaries
from videoforge.storage.multipart import MIN_PART_BYTES


def put_parts(started: dict, data: bytes) -> list[dict[str, object]]:  # type: ignore[type-arg]
    """PUT each part as a browser would (no SDK), keeping each answer's ETag."""
    size = started["part_bytes"]
    sent = []
    with httpx.Client(timeout=120) as plain:
        for part in started["parts"]:
            chunk = data[(part["number"] - 1) * size : part["number"] * size]
            answer = plain.put(part["url"], content=chunk)
            assert answer.status_code == 200, answer.text
            sent.append({"number": part["number"], "etag": answer.headers["etag"]})
    return sent


def test_a_direct_upload_completes_and_transcodes(
    cluster: Cluster, binaries: FFmpegBinaries, tmp_path: Path
) -> None:
    # Over one part, so the multipart join is real: 20 s at 8 Mbit/s, about 20 MB.
    clip = make_clip(binaries, tmp_path / "big.mp4", "1280x720", 20, extra=("-b:v", "8M"))
    data = clip.read_bytes()
    assert len(data) > MIN_PART_BYTES, len(data)
    with httpx.Client(base_url=cluster.api_url, timeout=120) as client:
        started = client.post("/videos/uploads/direct", json={"filename": "big.mp4",
                                                                "size": len(data)})  # fmt: skip
        assert started.status_code == 201, started.text
        body = started.json()
        assert len(body["parts"]) == 2 and body["part_bytes"] == MIN_PART_BYTES
        parts = put_parts(body, data)
        done = client.post(body["complete_url"], json={"parts": parts})
        assert done.status_code == 200, done.text
        file = done.json()
        assert (file["width"], file["height"], file["size_bytes"]) == (1280, 720, len(data))
        assert client.get(f"/videos/uploads/direct/{body['upload_id']}").json()["state"] == "done"
        assert s3_keys(cluster.s3, "uploads/direct/") == set()  # the staging object is gone
        task = transcode(client, file["file_id"], "640:360", "mp4")
        assert wait_success(client, task["task_id"])["result"]["width"] == 640
        # Finished once: a second complete is refused.
        again = client.post(body["complete_url"], json={"parts": parts})
        assert again.status_code == 409, again.text


def test_refusals_keep_nothing(cluster: Cluster, clips: dict[str, Path]) -> None:
    with httpx.Client(base_url=cluster.api_url, timeout=60) as client:
        huge = client.post("/videos/uploads/direct", json={"filename": "x.mp4", "size": 10**15})
        assert huge.status_code == 413, huge.text
        # Not a video: refused after the join, and the object goes.
        text = b"not a video at all\n" * 1000
        body = client.post("/videos/uploads/direct",
                           json={"filename": "notes.mp4", "size": len(text)}).json()  # fmt: skip
        refused = client.post(body["complete_url"], json={"parts": put_parts(body, text)})
        assert refused.status_code in (415, 422), refused.text
        shown = client.get(f"/videos/uploads/direct/{body['upload_id']}").json()
        assert shown["state"] == "refused" and shown["error"]
        # A part list that does not match what was sent, then an abort.
        data = clips["noaudio"].read_bytes()
        body = client.post("/videos/uploads/direct",
                           json={"filename": "a.mp4", "size": len(data)}).json()  # fmt: skip
        put_parts(body, data)
        wrong = client.post(body["complete_url"], json={"parts": [{"number": 1, "etag": '"nope"'}]})
        assert wrong.status_code == 422, wrong.text
        assert client.post(body["abort_url"]).status_code == 204
        assert client.post(body["abort_url"]).status_code == 409
    assert s3_keys(cluster.s3, "uploads/direct/") == set()
