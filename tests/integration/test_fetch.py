"""The guarded fetch against a real HTTP server on loopback: what it saves, the redirects it
follows and refuses, its limits (size declared and streamed, wall clock, encodings), and
which failures are transient."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.origin import Origin, Route, origin
from videoforge.errors import TransientError, UploadTooLarge
from videoforge.net import fetch
from videoforge.net.rules import DownloadFailed
from videoforge.webhooks.guard import RefusedTarget

BODY = bytes(range(256)) * 4096  # 1 MiB
OPEN = fetch.Limits(max_bytes=len(BODY), timeout_s=60, allow_private=True)


@pytest.fixture
def server() -> Iterator[Origin]:
    with origin() as served:
        yield served


def _get(url: str, dest: Path, limits: fetch.Limits = OPEN) -> tuple[fetch.Downloaded, list]:
    seen: list[tuple[int, int | None]] = []
    done = fetch.download(url, dest, limits, lambda got, total: seen.append((got, total)))
    return done, seen


def test_a_file_is_saved_whole_with_its_progress(server: Origin, tmp_path: Path) -> None:
    url = server.serve("/clip.mp4", Route(body=BODY))
    done, seen = _get(url, tmp_path / "f")
    assert (tmp_path / "f").read_bytes() == BODY
    assert done == fetch.Downloaded(url, len(BODY))
    assert seen[-1] == (len(BODY), len(BODY))
    assert [got for got, _ in seen] == sorted(got for got, _ in seen)
    headers = server.requests[0][1]
    assert headers["Accept-Encoding"] == "identity"
    assert headers["Host"] == server.url.removeprefix("http://")


def test_without_a_length_bytes_are_counted_and_limited(server: Origin, tmp_path: Path) -> None:
    url = server.serve("/open", Route(body=BODY, length=False))
    _, seen = _get(url, tmp_path / "f")
    assert seen[-1] == (len(BODY), None)
    small = fetch.Limits(max_bytes=len(BODY) - 1, timeout_s=60, allow_private=True)
    with pytest.raises(UploadTooLarge, match="sent more than"):
        _get(url, tmp_path / "g", small)


def test_a_declared_length_past_the_limit_is_refused_before_reading(
    server: Origin, tmp_path: Path
) -> None:
    url = server.serve("/big", Route(body=BODY))
    small = fetch.Limits(max_bytes=1000, timeout_s=60, allow_private=True)
    with pytest.raises(UploadTooLarge, match=f"declares {len(BODY)} bytes"):
        _get(url, tmp_path / "f", small)


def test_redirects_are_followed_and_checked(server: Origin, tmp_path: Path) -> None:
    server.serve("/clip.mp4", Route(body=BODY))
    server.redirect("/b", "/clip.mp4", 307)
    start = server.redirect("/a", server.url + "/b", 301)
    done, _ = _get(start, tmp_path / "f")
    assert done.url == server.url + "/clip.mp4"
    assert [path for path, _ in server.requests] == ["/a", "/b", "/clip.mp4"]


def test_a_redirect_to_the_metadata_address_is_refused(server: Origin, tmp_path: Path) -> None:
    url = server.redirect("/a", "http://169.254.169.254/latest/meta-data/")
    with pytest.raises(RefusedTarget, match=r"redirect leads to a refused URL.*link-local"):
        _get(url, tmp_path / "f")


def test_a_redirect_to_another_scheme_is_refused(server: Origin, tmp_path: Path) -> None:
    url = server.redirect("/a", "file:///etc/passwd")
    with pytest.raises(RefusedTarget, match="only http and https URLs can be imported"):
        _get(url, tmp_path / "f")


def test_a_redirect_loop_ends(server: Origin, tmp_path: Path) -> None:
    url = server.redirect("/loop", "/loop")
    with pytest.raises(DownloadFailed, match="more than 5 redirects"):
        _get(url, tmp_path / "f")
    assert len(server.requests) == 6


def test_loopback_is_refused_unless_allowed(server: Origin, tmp_path: Path) -> None:
    url = server.serve("/clip.mp4", Route(body=BODY))
    closed = fetch.Limits(max_bytes=len(BODY), timeout_s=60, allow_private=False)
    with pytest.raises(RefusedTarget, match=r"loopback.*IMPORT_ALLOW_PRIVATE=true"):
        _get(url, tmp_path / "f", closed)
    assert server.requests == []


def test_errors_fail_for_good_or_for_now(server: Origin, tmp_path: Path) -> None:
    with pytest.raises(DownloadFailed, match="answered 404"):
        _get(server.url + "/missing", tmp_path / "f")
    with pytest.raises(TransientError, match="answered 503"):
        _get(server.serve("/busy", Route(503)), tmp_path / "f")
    gzipped = server.serve("/gz", Route(body=b"x", headers={"Content-Encoding": "gzip"}))
    with pytest.raises(DownloadFailed, match="encoded body"):
        _get(gzipped, tmp_path / "f")


def test_a_short_body_is_transient(server: Origin, tmp_path: Path) -> None:
    url = server.serve("/short", Route(body=b"abc", headers={"Content-Length": "10"}, length=False))
    with pytest.raises(TransientError, match=r"broke off|closed after 3 of 10"):
        _get(url, tmp_path / "f")


def test_a_refused_connection_is_transient(tmp_path: Path) -> None:
    with origin() as gone:
        url = gone.url + "/clip.mp4"
    with pytest.raises(TransientError, match="could not connect"):
        _get(url, tmp_path / "f")


def test_a_dripping_server_meets_the_wall_clock_deadline(server: Origin, tmp_path: Path) -> None:
    url = server.serve("/drip", Route(body=b"x" * 1000, drip_s=0.05))
    slow = fetch.Limits(max_bytes=len(BODY), timeout_s=1, allow_private=True)
    with pytest.raises(DownloadFailed, match=r"timed out.*IMPORT_TIMEOUT_S"):
        _get(url, tmp_path / "f", slow)
