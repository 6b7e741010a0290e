"""One webhook try: sign the body (Standard Webhooks, with the `standardwebhooks` package),
then POST it to an address the guard has just checked, naming the host in `Host` and in TLS
(SNI and certificate check), so what was checked is what is called.

- Redirects are not followed (http.client never does): a 3xx counts as a failure, as a
  redirect could point anywhere, past the guard.
- A try has a wall-clock deadline, and the resolver's addresses are tried in its order
  until one connects (see net/pinned.py).
"""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime

from standardwebhooks import Webhook

from videoforge import __version__
from videoforge.net.pinned import pinned_connection
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
        "Host": target.host_header,
        "Content-Type": "application/json",
        "User-Agent": f"videoforge-webhooks/{__version__}",
        "webhook-id": delivery_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature(delivery_id, now, body, secrets),
    }


def post(target: Target, addresses: list[str], body: str, sent_headers: dict[str, str],
         timeout_s: float) -> Outcome:  # fmt: skip
    """POST `body` to `target` at the first of `addresses` that connects; 2xx is delivered,
    anything else (or nothing within timeout_s) is not."""
    try:
        with pinned_connection(target, addresses, timeout_s, timeout_s) as (connection, expired):
            try:
                connection.request("POST", target.path, body=body.encode(), headers=sent_headers)
                response = connection.getresponse()
                response.read(RESPONSE_BYTES_READ)
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                return Outcome(False, None, "timed out" if expired.is_set() else _reason(exc))
    except OSError as exc:  # connecting, or the TLS handshake
        return Outcome(False, None, _reason(exc))
    if 200 <= status < 300:
        return Outcome(True, status)
    if 300 <= status < 400:
        return Outcome(False, status, f"answered {status}: redirects are not followed")
    return Outcome(False, status, f"answered {status}")


def _reason(exc: Exception) -> str:
    """A short reason for a failed try (the endpoint's own URL is known to its owner)."""
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "could not connect (refused)"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not accepted: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return "TLS failed"
    if isinstance(exc, http.client.HTTPException):
        return f"not an HTTP answer ({type(exc).__name__})"
    return f"could not connect ({type(exc).__name__})"
