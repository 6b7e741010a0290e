"""One webhook try: sign the body (Standard Webhooks, with the `standardwebhooks` package),
then POST it to an address the guard has just checked, naming the host in `Host` and in TLS
(SNI and certificate check), so what was checked is what is called.

- Redirects are not followed (http.client never does): a 3xx counts as a failure, as a
  redirect could point anywhere, past the guard.
- A try has a wall-clock deadline: a timer shuts the socket when it passes, so a receiver
  that drips its answer a byte at a time cannot hold a sender.
- The resolver's addresses are tried in its order until one connects.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

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
        sock = _connect(addresses, target.port, timeout_s)
    except OSError as exc:
        return Outcome(False, None, _reason(exc))
    expired = threading.Event()
    deadline = threading.Timer(timeout_s, _expire, (sock, expired))
    deadline.start()
    try:
        if target.scheme == "https":
            context = ssl.create_default_context()  # verifies the chain and the name
            sock = context.wrap_socket(sock, server_hostname=target.host)
        connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout_s)
        connection.sock = sock
        connection.request("POST", target.path, body=body.encode(), headers=sent_headers)
        response = connection.getresponse()
        response.read(RESPONSE_BYTES_READ)
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(False, None, "timed out" if expired.is_set() else _reason(exc))
    finally:
        deadline.cancel()
        sock.close()
    if 200 <= status < 300:
        return Outcome(True, status)
    if 300 <= status < 400:
        return Outcome(False, status, f"answered {status}: redirects are not followed")
    return Outcome(False, status, f"answered {status}")


def _connect(addresses: list[str], port: int, timeout_s: float) -> socket.socket:
    error: OSError = OSError("no address")
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout=timeout_s)
        except OSError as exc:
            error = exc
    raise error


def _expire(sock: socket.socket, expired: threading.Event) -> None:
    expired.set()
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked read, which then fails


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
