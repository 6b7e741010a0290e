"""HTTP to an address the guard has just checked (webhooks/guard.py), used by webhook
deliveries and URL imports alike:
- connect to one of the checked addresses, in the resolver's order (no second lookup, so a
  name cannot be re-pointed between the check and the connection);
- name the host in TLS (SNI, and the certificate is checked against it);
- end everything at a wall-clock deadline: a timer shuts the socket, so a peer that drips
  its answer a byte at a time cannot hold a thread."""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
from collections.abc import Iterator

from videoforge.webhooks.guard import Target


def connect_first(addresses: list[str], port: int, timeout_s: float) -> socket.socket:
    """The first address that connects; the last OSError if none does."""
    error: OSError = OSError("no address")
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout=timeout_s)
        except OSError as exc:
            error = exc
    raise error


@contextlib.contextmanager
def pinned_connection(
    target: Target, addresses: list[str], deadline_s: float, connect_timeout_s: float
) -> Iterator[tuple[http.client.HTTPConnection, threading.Event]]:
    """An HTTP connection to `target` at one of `addresses`, and an Event set once the
    deadline has shut it. Connecting or the TLS handshake failing raises OSError."""
    sock = connect_first(addresses, target.port, connect_timeout_s)
    expired = threading.Event()
    timer = threading.Timer(deadline_s, _expire, (sock, expired))
    timer.daemon = True
    timer.start()
    try:
        if target.scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=target.host)
        sock.settimeout(deadline_s)  # reads wait as long as the deadline; the timer ends them
        connection = http.client.HTTPConnection(target.host, target.port, timeout=deadline_s)
        connection.sock = sock
        yield connection, expired
    finally:
        timer.cancel()
        sock.close()


def _expire(sock: socket.socket, expired: threading.Event) -> None:
    expired.set()
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked read, which then fails
