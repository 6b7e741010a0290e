"""Serving finished outputs: streaming with HTTP Range, and downloads as attachments."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Header, Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from videoforge import sources
from videoforge.auth import sign, signature_ok
from videoforge.errors import NotFound, VideoforgeError
from videoforge.http.deps import (
    ERRORS,
    ServicesDep,
    check_key,
    chunks_in_storage_threads,
    in_storage_threads,
)
from videoforge.http.ranges import parse_range
from videoforge.http.security import content_disposition
from videoforge.jobs.metrics import JobMetrics
from videoforge.media.manifests import rewrite_mpd, rewrite_playlist
from videoforge.outputs import (
    CONTENT_TYPES,
    MANIFEST_EXTENSIONS,
    OUTPUT_NAME,
    attempt_stem,
    content_type,
    parse_output_name,
)
from videoforge.storage import output_key

router = APIRouter(prefix="/videos", tags=["delivery"], responses={404: ERRORS[404]})
MEDIA: dict[str, object] = {"content": {kind: {} for kind in dict.fromkeys(CONTENT_TYPES.values())}}
PARTIAL: dict[int | str, dict[str, object]] = {
    200: {"description": "The whole output", **MEDIA},
    206: {"description": "The requested byte range", **MEDIA},
    307: {"description": "Redirect to a presigned S3 URL (PRESIGNED_REDIRECTS=true)"},
    401: ERRORS[401],
    416: {"description": "Range not satisfiable", **ERRORS[404]},
}
RangeHeader = Annotated[str | None, Header(alias="range")]


def _download_name(services: ServicesDep, filename: str) -> str:
    """`holiday_1280x720.mp4` for a job output of `holiday.mov`; the stored name otherwise."""
    made = parse_output_name(filename)
    if made is None:
        return filename
    try:
        original = sources.lookup(services.engine, made.file_id).original_name
    except VideoforgeError:
        return filename
    return f"{Path(original).stem or 'video'}_{made.width}x{made.height}.{made.extension}"


def _allow(request: Request, services: ServicesDep, filename: str) -> int | None:
    """Check a key or a URL signature; return the expiry to give the URIs inside a manifest
    (None: no signing needed). A manifest's URIs carry a signature of the attempt's stem,
    which every object of the output starts with: MPD segment templates cannot be signed
    one segment at a time."""
    stem = attempt_stem(filename)
    return allow(request, services, (filename, stem) if stem else (filename,))


def allow(request: Request, services: ServicesDep, scopes: tuple[str, ...]) -> int | None:
    """Let a request through with an API key, or a URL signature (`exp`, `sig`) of one of
    `scopes`; return the expiry for URIs signed on its behalf (None: keys not required)."""
    if not services.auth_required:
        return None
    query = request.query_params
    key = services.keys.signing_key()
    for scope in scopes:
        if signature_ok(key, scope, query.get("exp"), query.get("sig")):
            return int(query["exp"])
    check_key(request, services)
    return int(time.time()) + services.engine.settings.signed_url_ttl_s


def _rewritten_manifest(
    services: ServicesDep, key: str, filename: str, expires: int | None, disposition: str | None
) -> Response:
    """A manifest whose URIs carry what players need without our headers: a signature when
    keys are required, presigned S3 URLs for media when redirects are on. Manifests that
    other manifests name (rendition playlists) and MPD templates stay on the API."""
    settings = services.engine.settings
    storage = services.engine.storage
    # The stem of the object served: a job's public name (a master, or the MPD of DASH
    # alone) has none of its own, and MPD templates cannot be signed one name at a time.
    stem = attempt_stem(key.removeprefix(output_key("")))
    signing_key = services.keys.signing_key() if expires is not None else b""

    def rewrite(uri: str) -> str:
        is_media = OUTPUT_NAME.match(uri) and not uri.endswith(MANIFEST_EXTENSIONS)
        if settings.presigned_redirects and is_media:
            return storage.presigned_url(output_key(uri), settings.presigned_url_ttl_s)
        if expires is None:
            return uri
        return f"{uri}?exp={expires}&sig={sign(signing_key, stem or uri, expires)}"

    text = b"".join(storage.read(key)).decode()
    is_mpd = filename.endswith(".mpd")
    body = rewrite_mpd(text, rewrite) if is_mpd else rewrite_playlist(text, rewrite)
    headers = {"cache-control": cache_control(filename, "private")}
    if disposition:
        headers["content-disposition"] = disposition
    return Response(body, media_type=_media_type(filename), headers=headers)


def cache_control(filename: str, scope: str) -> str:
    """Media objects never change once published (names are unique per job). A playlist
    does: it grows while its job runs, and its public name moves to the finished one."""
    if filename.endswith(MANIFEST_EXTENSIONS):
        return f"{scope}, no-cache"
    return f"{scope}, max-age=31536000, immutable"


def _media_type(filename: str) -> str:
    media_type = content_type(filename)
    if media_type is None:
        raise NotFound(f"no output named {filename[:80]!r}")
    return media_type


def _stored_key(services: ServicesDep, filename: str) -> str:
    # A job's public name stands for the objects its winning attempt published; a segment,
    # or an output from before attempts had names of their own, is stored as it is named.
    published = (
        services.engine.jobs.published_name(filename) if parse_output_name(filename) else None
    )
    return output_key(published or filename)


def _serve(
    request: Request,
    services: ServicesDep,
    filename: str,
    range_header: str | None,
    attachment: bool,
) -> Response:
    media_type = _media_type(filename)
    expires = _allow(request, services, filename)
    key = _stored_key(services, filename)
    storage = services.engine.storage
    try:
        size = storage.size(key)
    except NotFound:
        raise NotFound(f"no output named {filename[:80]!r}") from None
    settings = services.engine.settings
    # Only downloads name a file, and naming it reads the upload's record: not on streams.
    disposition = content_disposition(_download_name(services, filename)) if attachment else None
    if filename.endswith(MANIFEST_EXTENSIONS) and (settings.presigned_redirects or expires):
        # Relative URIs would resolve on S3 without a signature, or on the API without one.
        return _rewritten_manifest(services, key, filename, expires, disposition)
    if settings.presigned_redirects:
        # Bytes flow from S3 to the client directly; Range goes along with the redirect.
        url = storage.presigned_url(key, settings.presigned_url_ttl_s, disposition)
        return RedirectResponse(url, status_code=307)
    byte_range = parse_range(range_header, size)
    start, end = byte_range if byte_range else (0, size - 1)
    headers = {
        "accept-ranges": "bytes",
        "content-length": str(max(0, end - start + 1)),
        # Bytes that needed a key or a signature are for this client's cache only.
        "cache-control": cache_control(filename, "public" if expires is None else "private"),
    }
    if byte_range:
        headers["content-range"] = f"bytes {start}-{end}/{size}"
    if disposition:
        headers["content-disposition"] = disposition
    status = 206 if byte_range else 200
    if request.method == "HEAD" or size == 0:
        return Response(status_code=status, headers=headers, media_type=media_type)
    body = _counted(storage.read(key, start, end), services.engine.metrics)
    limiter = request.app.state.storage_threads
    return StreamingResponse(chunks_in_storage_threads(body, limiter), status_code=status,
                             headers=headers, media_type=media_type)  # fmt: skip


def _counted(chunks: Iterator[bytes], metrics: JobMetrics) -> Iterator[bytes]:
    sent = 0
    try:
        for chunk in chunks:
            sent += len(chunk)
            yield chunk
    finally:  # also when the client goes away mid-stream
        metrics.count("served_bytes", "", sent)


@router.get("/stream/{filename}", responses=PARTIAL, response_class=Response)
@router.head("/stream/{filename}", include_in_schema=False)
async def stream(
    filename: str, request: Request, services: ServicesDep, range: RangeHeader = None
) -> Response:
    """An output for playback, with Range; an HLS player can be pointed at the playlist."""
    return await in_storage_threads(
        request, lambda: _serve(request, services, filename, range, attachment=False)
    )


@router.get("/download/{filename}", responses=PARTIAL, response_class=Response)
@router.head("/download/{filename}", include_in_schema=False)
async def download(
    filename: str, request: Request, services: ServicesDep, range: RangeHeader = None
) -> Response:
    """An output as an attachment (resumable with Range)."""
    return await in_storage_threads(
        request, lambda: _serve(request, services, filename, range, attachment=True)
    )
