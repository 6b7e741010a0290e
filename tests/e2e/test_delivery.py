"""Streaming and downloads: content types, HTTP Range, HLS playback over HTTP."""

from __future__ import annotations

import subprocess
from typing import Any

import httpx
import m3u8
import pytest

from tests.e2e.service import Service
from videoforge.media.binaries import FFmpegBinaries


def output(finished: dict[str, dict[str, Any]], fmt: str) -> str:
    name: str = finished[fmt]["result"]["output_name"]
    return name


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("hls", "application/vnd.apple.mpegurl"), ("mp4", "video/mp4"), ("webm", "video/webm")],
)
def test_stream_content_types(
    client: httpx.Client, finished: dict[str, Any], fmt: str, content_type: str
) -> None:
    response = client.get(f"/videos/stream/{output(finished, fmt)}")
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["accept-ranges"] == "bytes"
    assert int(response.headers["content-length"]) == len(response.content) > 0


def test_hls_playlist_is_ended_with_resolvable_segments(
    client: httpx.Client, finished: dict[str, Any]
) -> None:
    text = client.get(f"/videos/stream/{output(finished, 'hls')}").text
    playlist = m3u8.M3U8(text, strict=True)
    # Published as it was made: an EVENT playlist, which may only grow (RFC 8216 6.2.1),
    # ended by EXT-X-ENDLIST.
    assert playlist.playlist_type == "event" and playlist.is_endlist
    assert playlist.target_duration <= 6
    assert playlist.segments, text
    for segment in playlist.segments:
        assert segment.duration <= 6.1
        # Relative URIs resolve next to the playlist: /videos/stream/<segment>.
        response = client.get(f"/videos/stream/{segment.uri}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "video/mp2t"
        assert response.content[0] == 0x47  # MPEG-TS sync byte
    assert abs(sum(s.duration for s in playlist.segments) - 4.0) < 0.2


def test_hls_segments_are_6_s_and_start_on_keyframes(
    service: Service, client: httpx.Client, long_hls: dict[str, Any], binaries: FFmpegBinaries
) -> None:
    assert long_hls["state"] == "SUCCESS", long_hls
    name = long_hls["result"]["output_name"]
    playlist = m3u8.M3U8(client.get(f"/videos/stream/{name}").text, strict=True)
    durations = [segment.duration for segment in playlist.segments]
    assert len(durations) == 2, durations  # 12 s in 6 s segments
    assert all(5.9 <= d <= 6.1 for d in durations), durations
    for segment in playlist.segments:
        first_video_packet = subprocess.run(
            [binaries.ffprobe, "-v", "error", "-select_streams", "v:0", "-show_entries",
             "packet=flags", "-read_intervals", "%+#1", "-of", "csv=p=0",
             f"{service.url}/videos/stream/{segment.uri}"],
            check=True, capture_output=True, text=True, env=binaries.process_env,
        ).stdout.split()  # fmt: skip
        assert first_video_packet and first_video_packet[0].startswith("K"), segment.uri


def test_hls_reads_back_over_http_with_ffprobe(
    service: Service, finished: dict[str, Any], binaries: FFmpegBinaries
) -> None:
    result = subprocess.run(
        [binaries.ffprobe, "-v", "error", "-show_entries", "format=format_name,duration:"
         "stream=codec_name", "-of", "default=nw=1",
         f"{service.url}/videos/stream/{output(finished, 'hls')}"],
        check=True, capture_output=True, text=True, env=binaries.process_env,
    ).stdout  # fmt: skip
    assert "format_name=hls" in result
    assert "codec_name=h264" in result and "codec_name=aac" in result
    duration = float(result.split("duration=")[1].split()[0])
    assert abs(duration - 4.0) < 0.3


def test_range_requests(client: httpx.Client, finished: dict[str, Any]) -> None:
    url = f"/videos/stream/{output(finished, 'mp4')}"
    whole = client.get(url).content
    size = len(whole)
    first = client.get(url, headers={"Range": "bytes=0-99"})
    assert first.status_code == 206
    assert first.headers["content-range"] == f"bytes 0-99/{size}"
    assert first.content == whole[:100]
    tail = client.get(url, headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == whole[-50:]
    rest = client.get(url, headers={"Range": f"bytes={size - 10}-"})
    assert rest.status_code == 206 and rest.content == whole[-10:]
    past = client.get(url, headers={"Range": f"bytes={size}-"})
    assert past.status_code == 416
    assert past.headers["content-range"] == f"bytes */{size}"
    assert "past the end" in past.json()["detail"]
    many = client.get(url, headers={"Range": ",".join(f"{i}-{i}" for i in range(1000))})
    assert many.status_code == 200 and len(many.content) == size
    # Open outputs (no keys on loopback) may be kept by any cache, forever.
    assert many.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_head_and_download(client: httpx.Client, finished: dict[str, Any]) -> None:
    name = output(finished, "webm")
    head = client.head(f"/videos/stream/{name}")
    assert head.status_code == 200 and head.content == b""
    size = int(head.headers["content-length"])
    download = client.get(f"/videos/download/{name}")
    assert download.status_code == 200 and len(download.content) == size
    # Named after the upload (wide.mp4) and the size, in ASCII and per RFC 5987.
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"wide_640x360.webm\"; filename*=UTF-8''wide_640x360.webm"
    )
    assert download.headers["content-type"] == "video/webm"


@pytest.mark.parametrize(
    "name",
    ["..%2F..%2Fetc%2Fpasswd", "..", "source", "x.exe", "a b.mp4", ".hidden.mp4",
     "%2Fetc%2Fpasswd.mp4", "nope.mp4", "a" * 300 + ".mp4"],
)  # fmt: skip
def test_bad_or_unknown_names_never_escape(client: httpx.Client, name: str) -> None:
    for route in ("stream", "download"):
        response = client.get(f"/videos/{route}/{name}")
        assert "root:" not in response.text
        if response.request.url.path.startswith(f"/videos/{route}/"):
            assert response.status_code == 404, (route, name, response.text)
        else:  # httpx resolved `..` itself: the request is the file listing, not a file
            assert response.json()["items"] is not None
