"""The pure rules of a guarded download: which answers redirect and where to, which failures
are worth another try, the size limit on a declared and a received length, progress, and the
name a downloaded file gets."""

from __future__ import annotations

import posixpath
from urllib.parse import unquote, urljoin, urlsplit

from videoforge.errors import InvalidRequest, TransientError, UploadTooLarge

MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Answers that may well differ a moment later: the download is tried again (pipeline rules).
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
DEFAULT_NAME = "video"


class DownloadFailed(InvalidRequest):
    """Raised when a URL's answer cannot be imported (a 404, a redirect loop, an encoded
    body); trying again would fail the same way."""


def redirect_url(current_url: str, status: int, location: str | None, hops: int) -> str:
    """Where a redirect leads (a Location relative to the current URL is resolved against
    it); DownloadFailed past MAX_REDIRECTS hops or without a Location."""
    if hops >= MAX_REDIRECTS:
        raise DownloadFailed(f"more than {MAX_REDIRECTS} redirects")
    if not location or not location.strip():
        raise DownloadFailed(f"answered {status} without a Location to follow")
    # The fragment never goes to a server.
    return urljoin(current_url, location.strip()).split("#", 1)[0]


def check_status(status: int) -> None:
    """Raise unless `status` is 200: TransientError for answers worth another try,
    DownloadFailed for the others."""
    if status == 200:
        return
    if status in TRANSIENT_STATUSES:
        raise TransientError(f"the server answered {status}")
    raise DownloadFailed(f"the server answered {status}, not 200 with the video")


def declared_length(header: str | None, max_bytes: int) -> int | None:
    """The Content-Length a server declared (None: not given); UploadTooLarge past the limit
    before a byte is read."""
    if header is None:
        return None
    try:
        length = int(header.strip())
    except ValueError:
        raise DownloadFailed(
            f"the server sent an invalid Content-Length: {header[:40]!r}"
        ) from None
    if length < 0:
        raise DownloadFailed(f"the server sent an invalid Content-Length: {header[:40]!r}")
    check_size(length, max_bytes, declared=True)
    return length


def check_size(size_bytes: int, max_bytes: int, declared: bool = False) -> None:
    """UploadTooLarge when a download is (or says it will be) larger than the limit."""
    if size_bytes > max_bytes:
        said = "declares" if declared else "sent more than"
        shown = size_bytes if declared else max_bytes
        raise UploadTooLarge(
            f"the file is too large: the server {said} {shown} bytes; the limit is "
            f"{max_bytes} bytes (MAX_UPLOAD_BYTES)"
        )


def check_encoding(header: str | None) -> None:
    """Only the bytes themselves are imported: a body the server compressed anyway (it was
    asked for identity) is refused rather than inflated past the size limit."""
    if header and header.strip().lower() not in ("identity", ""):
        raise DownloadFailed(f"the server sent an encoded body ({header[:40]}), not the file")


def percent(received_bytes: int, total_bytes: int | None) -> float:
    """How much of a download has arrived, 0..99.9 (0 when the size is unknown); 100 is for
    SUCCESS, after the probe and the store."""
    if not total_bytes:
        return 0.0
    return round(min(99.9, 100.0 * received_bytes / total_bytes), 1)


def name_from_url(url: str) -> str:
    """The file name a URL suggests: its path's last segment, decoded; DEFAULT_NAME if none."""
    segment = posixpath.basename(unquote(urlsplit(url).path))
    return segment.strip() or DEFAULT_NAME
