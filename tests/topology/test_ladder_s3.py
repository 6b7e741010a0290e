"""A CMAF ladder on S3 (SeaweedFS) served with PRESIGNED_REDIRECTS=true: manifests come
from the API, media from S3 directly or through a 307, and DELETE empties the bucket of it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

from tests.e2e.ladder_checks import dash_tracks, get, name_of, parse_mpd, parse_playlist, read_hls
from tests.e2e.service import submit, upload, wait_success
from tests.topology.cluster import BUCKET
from tests.topology.conftest import Cluster
from tests.topology.test_topology import s3_keys, second_api


def presigned(url: str, s3_url: str) -> bool:
    """A presigned GET URL of an output object in the cluster's bucket."""
    return url.startswith(f"{s3_url}/{BUCKET}/outputs/") and "X-Amz-Signature" in parse_qs(
        urlsplit(url).query
    )


def test_a_cmaf_ladder_plays_from_s3_with_presigned_redirects(
    cluster: Cluster, clips: dict[str, Path]
) -> None:
    with httpx.Client(base_url=cluster.api_url, timeout=30) as client:
        file_id = upload(client, clips["wide"])["file_id"]
        task = submit(client, file_id, format="cmaf", renditions=["640:360", "320:180"])
        result = wait_success(client, task["task_id"])["result"]
    stem = task["output_name"].removesuffix(".m3u8")
    stored = s3_keys(cluster.s3, f"outputs/{stem}-")
    # 2 rungs and audio: a playlist, an init section and a segment each; a master, an MPD.
    assert len(stored) == 3 * 3 + 2, sorted(stored)
    role, url = second_api(
        cluster, "api-presigned-ladder", PRESIGNED_REDIRECTS="true",
        PUBLIC_S3_ENDPOINT=cluster.s3.url,
    )  # fmt: skip
    s3_url = cluster.s3.url
    try:
        with httpx.Client(timeout=30) as http:  # redirects are not followed: they are checked
            master_url = f"{url}{result['manifests']['hls']}"
            master = parse_playlist(get(http, master_url, "application/vnd.apple.mpegurl").text)
            playlists = [v.uri for v in master.playlists] + [m.uri for m in master.media]
            assert len(playlists) == 3
            # Rendition and audio playlists resolve on the API (they are rewritten there too).
            assert all(urljoin(master_url, uri).startswith(f"{url}/videos/stream/")
                       for uri in playlists)  # fmt: skip
            ladder = read_hls(http, master_url, segment_type=None)  # every GET is a 200
            assert ladder.audio is not None
            fetched: dict[str, bytes] = {}
            for _, track in [*ladder.variants, (None, ladder.audio)]:
                assert track is not None and track.init_url is not None
                assert presigned(track.init_url, s3_url), track.init_url
                fetched[name_of(track.init_url)] = track.init
                for segment in track.segments:
                    assert presigned(segment.url, s3_url), segment.url
                    assert segment.data[4:8] in (b"styp", b"moof")
                    fetched[name_of(segment.url)] = segment.data
            mpd_url = f"{url}{result['manifests']['dash']}"
            tracks = dash_tracks(parse_mpd(get(http, mpd_url, "application/dash+xml").text),
                                 mpd_url)  # fmt: skip
            assert len(tracks) == 3
            for track in tracks:
                # The init section is one object: presigned, as in the playlists.
                assert presigned(track.init_url, s3_url), track.init_url
                assert get(http, track.init_url).content == fetched[name_of(track.init_url)]
                for media_url, _ in track.segments:
                    # Segment templates carry $Number$: they stay on the API, which sends
                    # the player on to S3.
                    assert media_url.startswith(f"{url}/videos/stream/"), media_url
                    redirect = http.get(media_url)
                    assert redirect.status_code == 307, (media_url, redirect.text)
                    assert presigned(redirect.headers["location"], s3_url)
                    data = get(http, redirect.headers["location"]).content
                    assert data == fetched[name_of(media_url)], media_url  # what HLS names
    finally:
        role.stop()
    with httpx.Client(base_url=cluster.api_url, timeout=30) as client:
        assert client.delete(f"/videos/{file_id}").status_code == 204
    assert s3_keys(cluster.s3, f"outputs/{stem}") == set()
