"""tus requests spelled out with httpx, for the tests that send what tuspy never would."""

from __future__ import annotations

from collections.abc import Iterable

import httpx

from videoforge.resumable.protocol import encode_metadata

TUS = {"Tus-Resumable": "1.0.0"}
CHUNK = {**TUS, "Content-Type": "application/offset+octet-stream"}


def create(client: httpx.Client, length: int, name: str = "clip.mp4") -> str:
    """A new upload's path (from Location)."""
    metadata = encode_metadata({"filename": name, "filetype": "video/mp4"})
    response = client.post(
        "/videos/tus/", headers={**TUS, "Upload-Length": str(length), "Upload-Metadata": metadata}
    )
    assert response.status_code == 201, response.text
    assert response.headers["tus-resumable"] == "1.0.0"
    location: str = response.headers["location"]
    return location


def offset(client: httpx.Client, location: str) -> int:
    """Where the server says the upload is (HEAD)."""
    response = client.head(location, headers=TUS)
    assert response.status_code == 200, response.status_code
    assert response.headers["cache-control"] == "no-store"
    return int(response.headers["upload-offset"])


def patch(
    client: httpx.Client,
    location: str,
    at: int,
    body: bytes | Iterable[bytes],
    **headers: str,
) -> httpx.Response:
    """A PATCH of `body` at `at`; `headers` replace the usual ones (None-like: '' drops)."""
    sent = {
        **CHUNK,
        "Upload-Offset": str(at),
        **{k.replace("_", "-"): v for k, v in headers.items()},
    }
    return client.patch(location, headers={k: v for k, v in sent.items() if v}, content=body)
