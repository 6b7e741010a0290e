"""A guarded GET of a URL a user gave, streamed to a file (imports use it).

- Only http and https. Every address the host resolves to is checked by the webhooks' guard
  (`webhooks.guard`), and the socket connects to a checked address itself: no second lookup
  that DNS rebinding could answer differently. TLS names the host (SNI, certificate check).
- Redirects are followed by hand, at most MAX_REDIRECTS, and each new URL is checked again
  (scheme, every address) before it is connected to.
- `Accept-Encoding: identity`: bytes are never inflated. The size limit applies to the
  declared Content-Length before a byte is read, and to what arrives while it streams.
- One wall-clock deadline for the whole download, redirects included: a timer shuts the
  socket when it passes, so a server that drips bytes cannot hold a worker.
"""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from videoforge import __version__
from videoforge.errors import TransientError
from videoforge.net import rules
from videoforge.net.pinned import pinned_connection
from videoforge.net.rules import DownloadFailed
from videoforge.webhooks.guard import RefusedTarget, Target, parse_target, resolve

log = logging.getLogger(__name__)

CHUNK_BYTES = 256 * 1024
# A host that never answers (a black hole) costs this much per address, not the whole
# deadline; the pipeline tries the job again later.
CONNECT_TIMEOUT_S = 10.0
PURPOSE = "be imported"  # completes "only http and https URLs can ..."
PRIVATE_SETTING = "IMPORT_ALLOW_PRIVATE"
# Called with the bytes received so far and the declared total (None: unknown). It may raise
# to stop the download (a cancelled job): the exception goes through untouched.
OnBytes = Callable[[int, int | None], None]


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    timeout_s: float
    allow_private: bool


@dataclass(frozen=True)
class Downloaded:
    url: str  # the last URL, after redirects
    size_bytes: int


def check(url: str, allow_private: bool) -> Target:
    """A URL checked now (scheme, host, every address): RefusedTarget (422) says why."""
    target = parse_target(url, PURPOSE)
    resolve(target, allow_private, PRIVATE_SETTING)
    return target


def download(url: str, dest: Path, limits: Limits, on_bytes: OnBytes) -> Downloaded:
    """GET `url` into `dest`, following checked redirects. DownloadFailed, RefusedTarget and
    UploadTooLarge say why it cannot be imported; TransientError when trying again may help."""
    deadline = time.monotonic() + limits.timeout_s
    for hops in range(rules.MAX_REDIRECTS + 1):
        try:  # each hop's addresses are checked, and connected to, once
            target = parse_target(url, PURPOSE)
            addresses = resolve(target, limits.allow_private, PRIVATE_SETTING)
        except RefusedTarget as exc:
            if not hops:
                raise
            raise RefusedTarget(f"a redirect leads to a refused URL: {exc.message}") from None
        status, location, size_bytes = _get(target, addresses, dest, limits, deadline, on_bytes)
        if location is None:
            return Downloaded(url, size_bytes)
        url = rules.redirect_url(url, status, location, hops)
        log.info("import redirected (%d) to %s", status, url)
    raise DownloadFailed(f"more than {rules.MAX_REDIRECTS} redirects")  # not reached


def _get(target: Target, addresses: list[str], dest: Path, limits: Limits, deadline: float,
         on_bytes: OnBytes) -> tuple[int, str | None, int]:  # fmt: skip
    """One request: (status, the Location of a redirect or None, bytes saved)."""
    remaining_s = deadline - time.monotonic()
    if remaining_s <= 0:
        raise _timed_out(limits)
    connect_s = min(remaining_s, CONNECT_TIMEOUT_S)
    try:
        with pinned_connection(target, addresses, remaining_s, connect_s) as (connection, expired):
            try:
                connection.request("GET", target.path, headers=_headers(target))
                response = connection.getresponse()
                if response.status in rules.REDIRECTS:
                    return response.status, response.getheader("Location") or "", 0
                rules.check_status(response.status)
                rules.check_encoding(response.getheader("Content-Encoding"))
                length = response.getheader("Content-Length")
                total = rules.declared_length(length, limits.max_bytes)
                received = _save(response, dest, total, limits.max_bytes, on_bytes)
                if expired.is_set():  # a shut socket reads as the end of a body of unknown length
                    raise _timed_out(limits)
                return response.status, None, received
            except (OSError, http.client.HTTPException, TransientError) as exc:
                if expired.is_set():
                    raise _timed_out(limits) from None
                if isinstance(exc, TransientError):
                    raise
                raise TransientError(f"the download broke off ({_reason(exc)})") from None
    except ssl.SSLCertVerificationError as exc:
        raise DownloadFailed(f"TLS certificate not accepted: {exc.verify_message}") from None
    except OSError as exc:  # connecting, or the TLS handshake
        if time.monotonic() >= deadline:
            raise _timed_out(limits) from None
        raise TransientError(f"could not connect ({_reason(exc)})") from None


def _save(response: http.client.HTTPResponse, dest: Path, total: int | None, max_bytes: int,
          on_bytes: OnBytes) -> int:  # fmt: skip
    received = 0
    with dest.open("wb") as out:
        while chunk := response.read1(CHUNK_BYTES):  # what has come: progress, cancels
            received += len(chunk)
            rules.check_size(received, max_bytes)
            out.write(chunk)
            on_bytes(received, total)
    if total is not None and received < total:
        raise TransientError(f"the connection closed after {received} of {total} bytes")
    return received


def _headers(target: Target) -> dict[str, str]:
    return {
        "Host": target.host_header,
        "User-Agent": f"videoforge-import/{__version__}",
        "Accept": "*/*",
        "Accept-Encoding": "identity",
        "Connection": "close",
    }


def _timed_out(limits: Limits) -> DownloadFailed:
    return DownloadFailed(
        f"timed out: the download took longer than {limits.timeout_s:g} s (IMPORT_TIMEOUT_S)"
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, ssl.SSLError):
        return "TLS failed"
    return type(exc).__name__
