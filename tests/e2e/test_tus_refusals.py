"""Every tus refusal is decided before the body is read and leaves the upload as it was
(checked with HEAD); keys are required where the service requires them; unfinished uploads
expire and are swept."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e import tus_calls
from tests.e2e.service import Service, keys, locked

__all__ = ["locked"]  # fixtures, used by name


@pytest.fixture
def half_sent(client: httpx.Client, clips: dict[str, Path]) -> tuple[str, bytes]:
    """An upload with its first 10,000 bytes received."""
    data = clips["wide"].read_bytes()
    location = tus_calls.create(client, len(data))
    assert tus_calls.patch(client, location, 0, data[:10_000]).status_code == 204
    return location, data


def chunked(data: bytes, size: int = 8192) -> Iterator[bytes]:
    """A body without Content-Length: only reading it tells how long it is."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_refused_patches_leave_the_offset_as_it_was(
    client: httpx.Client, half_sent: tuple[str, bytes]
) -> None:
    location, data = half_sent
    rest = data[10_000:]
    refusals = {
        409: [tus_calls.patch(client, location, 0, rest),
              tus_calls.patch(client, location, 20_000, rest)],
        412: [tus_calls.patch(client, location, 10_000, rest, Tus_Resumable=""),
              tus_calls.patch(client, location, 10_000, rest, Tus_Resumable="0.2.2")],
        415: [tus_calls.patch(client, location, 10_000, rest,
                              Content_Type="application/octet-stream")],
        413: [tus_calls.patch(client, location, 10_000, rest + b"x"),  # Content-Length says
              tus_calls.patch(client, location, 10_000, chunked(rest + b"x" * 20_000))],
        400: [tus_calls.patch(client, location, 10_000, rest, Upload_Offset="ten")],
    }  # fmt: skip
    for status, answers in refusals.items():
        for answer in answers:
            assert answer.status_code == status, (status, answer.text)
            assert answer.headers["tus-resumable"] == "1.0.0"
            assert answer.json()["detail"]
            assert tus_calls.offset(client, location) == 10_000
    assert refusals[412][0].headers["tus-version"] == "1.0.0"
    # After all that, the right PATCH (streamed, no Content-Length) finishes it.
    done = tus_calls.patch(client, location, 10_000, chunked(rest))
    assert done.status_code == 204, done.text
    assert done.headers["upload-offset"] == str(len(data))
    assert client.get(location).json()["state"] == "done"


def test_unknown_ids_are_404(client: httpx.Client) -> None:
    for upload_id in ("0" * 32, "nope"):
        location = f"/videos/tus/{upload_id}"
        assert client.head(location, headers=tus_calls.TUS).status_code == 404
        assert tus_calls.patch(client, location, 0, b"abc").status_code == 404
        assert client.delete(location, headers=tus_calls.TUS).status_code == 404
        assert client.get(location).status_code == 404


def test_creation_refuses_too_big_and_malformed_uploads(client: httpx.Client) -> None:
    options = client.options("/videos/tus/")
    assert options.status_code == 204
    assert options.headers["tus-version"] == "1.0.0"
    assert set(options.headers["tus-extension"].split(",")) >= {"creation", "termination",
                                                                "expiration"}  # fmt: skip
    too_big = str(int(options.headers["tus-max-size"]) + 1)
    assert client.post("/videos/tus/", headers={**tus_calls.TUS, "Upload-Length": too_big}
                       ).status_code == 413  # fmt: skip
    assert client.post("/videos/tus/", headers={"Upload-Length": "10"}).status_code == 412
    assert client.post("/videos/tus/", headers=tus_calls.TUS).status_code == 400
    assert client.post("/videos/tus/", headers={**tus_calls.TUS, "Upload-Length": "10",
                       "Upload-Metadata": "filename %%%"}).status_code == 400  # fmt: skip
    # Creation with an upload past its own length writes nothing: no upload is made.
    answer = client.post("/videos/tus/", content=b"x" * 11, headers={**tus_calls.CHUNK,
                         "Upload-Length": "10"})  # fmt: skip
    assert answer.status_code == 413 and "location" not in answer.headers


def test_keys_are_required_where_the_service_requires_them(
    locked: Service, clips: dict[str, Path]
) -> None:
    key = keys(locked, "create", "tus").stdout.strip()
    data = clips["wide"].read_bytes()
    with httpx.Client(base_url=locked.url, headers={"X-API-Key": key}) as keyed:
        location = tus_calls.create(keyed, len(data))
        assert tus_calls.patch(keyed, location, 0, data[:5000]).status_code == 204
        with httpx.Client(base_url=locked.url) as anonymous:
            refused = [
                tus_calls.patch(anonymous, location, 5000, data[5000:]),
                anonymous.post("/videos/tus/", headers={**tus_calls.TUS, "Upload-Length": "9"}),
                anonymous.head(location, headers=tus_calls.TUS),
                anonymous.delete(location, headers=tus_calls.TUS),
                anonymous.get(location),
            ]
            assert [r.status_code for r in refused] == [401] * 5
            assert refused[0].headers["tus-resumable"] == "1.0.0"
        assert tus_calls.offset(keyed, location) == 5000


@pytest.fixture(scope="module")
def short_lived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """Unfinished uploads expire after 2 s without bytes."""
    service = Service(tmp_path_factory.mktemp("tus-expiry"), TUS_EXPIRY_S="2",
                      VIDEOFORGE_EXECUTOR="inline")  # fmt: skip
    yield service.start()
    service.stop()


def test_an_expired_upload_is_swept(short_lived: Service, clips: dict[str, Path]) -> None:
    data = clips["wide"].read_bytes()
    with short_lived.client() as client:
        location = tus_calls.create(client, len(data))
        answer = tus_calls.patch(client, location, 0, data[:5000])
        assert answer.status_code == 204 and answer.headers["upload-expires"].endswith(" GMT")
        staged = short_lived.data_dir / "tus" / f"{location.rsplit('/', 1)[1]}.part"
        assert staged.stat().st_size == 5000
        deadline = time.monotonic() + 60
        while staged.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not staged.exists(), "the expired upload's bytes were not swept"
        assert client.head(location, headers=tus_calls.TUS).status_code == 404
        assert tus_calls.patch(client, location, 5000, data[5000:]).status_code == 404
