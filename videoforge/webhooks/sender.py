"""One webhook try: sign the body (Standard Webhooks, with the `standardwebhooks` package),
then POST it to an address the guard has just checked, naming the host in `Host` and in TLS
(SNI and certificate check), so what was checked is what is called. Redirects are not
followed: a 3xx counts as a failure (a redirect could point anywhere, past the guard)."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from datetime import UTC, datetime

import urllib3
from standardwebhooks import Webhook

from videoforge import __version__
from videoforge.webhooks.guard import Target

RESPONSE_BYTES_READ = 4096  # the answer is not used: read a little so the connection closes


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    status_code: int | None = None
    error: str | None = None


def signature(delivery_id: str, at: datetime, body: str, secrets: list[str]) -> str:
    """The `webhook-signature` header: `v1,<base64>` per secret, space-separated (two while
    a rotated secret is still honoured)."""
    return " ".join(Webhook(secret).sign(delivery_id, at, body) for secret in secrets)


def headers(target: Target, delivery_id: str, body: str, secrets: list[str]) -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "host": target.host_header,
        "content-type": "application/json",
        "user-agent": f"videoforge-webhooks/{__version__}",
        "webhook-id": delivery_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature(delivery_id, now, body, secrets),
    }


def post(target: Target, address: str, body: str, sent_headers: dict[str, str],
         timeout_s: float) -> Outcome:  # fmt: skip
    """POST `body` to `target` at `address`; 2xx is delivered, anything else is not."""
    timeout = urllib3.Timeout(connect=timeout_s, read=timeout_s)
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        # Connect to the checked address, verify the certificate against the URL's name.
        pool = urllib3.HTTPSConnectionPool(
            address, target.port, timeout=timeout, retries=False, cert_reqs="CERT_REQUIRED",
            server_hostname=_tls_name(target.host), assert_hostname=target.host,
        )  # fmt: skip
    else:
        pool = urllib3.HTTPConnectionPool(address, target.port, timeout=timeout, retries=False)
    try:
        response = pool.urlopen(
            "POST", target.path, body=body.encode(), headers=sent_headers,
            redirect=False, retries=False, preload_content=False, assert_same_host=False,
        )  # fmt: skip
        try:
            response.read(RESPONSE_BYTES_READ)
        finally:
            response.release_conn()
    except urllib3.exceptions.HTTPError as exc:
        return Outcome(False, None, _reason(exc))
    finally:
        pool.close()
    status = response.status
    if 200 <= status < 300:
        return Outcome(True, status)
    if 300 <= status < 400:
        return Outcome(False, status, f"answered {status}: redirects are not followed")
    return Outcome(False, status, f"answered {status}")


def _tls_name(host: str) -> str | None:
    try:
        ipaddress.ip_address(host)
        return None  # an IP literal: no SNI
    except ValueError:
        return host


def _reason(exc: Exception) -> str:
    """A short reason for a failed try (the endpoint's own URL is known to its owner)."""
    cause = getattr(exc, "reason", None) or exc
    if isinstance(exc, urllib3.exceptions.TimeoutError) or isinstance(cause, socket.timeout):
        return "timed out"
    if isinstance(cause, (urllib3.exceptions.NewConnectionError, ConnectionRefusedError)):
        return "could not connect"
    if isinstance(exc, urllib3.exceptions.SSLError):
        return "TLS failed (certificate or handshake)"
    return type(cause).__name__
