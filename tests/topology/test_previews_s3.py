"""Previews and storyboards on S3 (SeaweedFS): the API's ffmpeg reads the source through a
presigned URL (no copy), a separate worker makes the storyboard, both land in the bucket
under previews/{file_id}/, and the file's DELETE removes them."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.e2e.service import fetch_when_made, upload
from tests.topology.conftest import Cluster
from tests.topology.test_topology import s3_keys


def test_thumbnails_and_storyboards_are_made_from_s3(
    cluster: Cluster, clips: dict[str, Path]
) -> None:
    with httpx.Client(base_url=cluster.api_url, timeout=60) as client:
        file_id = upload(client, clips["long"])["file_id"]
        thumb = client.get(f"/videos/{file_id}/thumbnail.jpg", params={"time": 5, "width": 320})
        assert thumb.status_code == 200, thumb.text
        assert thumb.content[:2] == b"\xff\xd8" and thumb.headers["x-videoforge-cache"] == "miss"
        again = client.get(f"/videos/{file_id}/thumbnail.jpg", params={"time": 5, "width": 320})
        assert again.headers["x-videoforge-cache"] == "hit" and again.content == thumb.content
        board = fetch_when_made(client, f"/videos/{file_id}/storyboard.json")
        assert board.status_code == 200 and len(board.json()["tiles"]) == 50
        stored = s3_keys(cluster.s3, f"previews/{file_id}/")
        assert {key.rsplit("/", 1)[1] for key in stored} >= {"storyboard.jpg", "storyboard.json"}
        assert len(stored) == 3  # and the thumbnail
        assert client.delete(f"/videos/{file_id}").status_code in (200, 204)
        assert s3_keys(cluster.s3, f"previews/{file_id}/") == set()
