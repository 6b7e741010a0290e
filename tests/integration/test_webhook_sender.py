"""One webhook try against real sockets on loopback: a receiver that drips its answer is
cut off at the deadline; the next address is tried when one refuses; a redirect is not
followed; the body arrives signed."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from standardwebhooks import Webhook

from tests.e2e.receiver import receiver
from videoforge.runtime.processes import free_port
from videoforge.webhooks.endpoints import new_secret
from videoforge.webhooks.guard import parse_target
from videoforge.webhooks.sender import headers, post


@contextmanager
def dripping() -> Iterator[int]:
    """A server that accepts, then sends one byte of an answer every half second."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
                if stop.wait(0.5):
                    return
                try:
                    conn.send(bytes([byte]))
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        server.close()


def test_a_receiver_that_drips_its_answer_is_cut_off_at_the_deadline() -> None:
    with dripping() as port:
        target = parse_target(f"http://127.0.0.1:{port}/hook")
        outcome = post(target, ["127.0.0.1"], "{}", {"Host": target.host_header}, 2.0)
    # "timed out" is said only when the deadline's timer shut the socket: the whole answer
    # would have taken about 20 s, and the try did not wait for it.
    assert not outcome.delivered and outcome.error == "timed out"


def test_the_next_address_is_tried_and_the_body_arrives_signed() -> None:
    secret = new_secret()
    with receiver(lambda _r, _n: 202) as hook:
        target = parse_target(hook.url)
        sent = headers(target, "msg_1", '{"a":1}', [secret])
        nobody = parse_target(f"http://127.0.0.1:{free_port()}/hook")  # nothing listens
        refused = post(nobody, ["127.0.0.1"], "{}", {}, 2.0)
        assert not refused.delivered and "refused" in (refused.error or "")
        # The receiver listens on IPv4 only: ::1 refuses, 127.0.0.1 answers.
        outcome = post(target, ["::1", "127.0.0.1"], '{"a":1}', sent, 5.0)
        assert outcome.delivered and outcome.status_code == 202
        (got,) = hook.received
        assert Webhook(secret).verify(got.body, got.headers) == {"a": 1}
        assert got.headers["host"] == target.host_header


def test_a_redirect_is_a_failure_and_is_not_followed() -> None:
    with receiver() as elsewhere, receiver(lambda _r, _n: (302, {"location": ""})) as hook:
        hook.answer = lambda _r, _n: (302, {"location": elsewhere.url})
        target = parse_target(hook.url)
        outcome = post(target, ["127.0.0.1"], "{}", {"Host": target.host_header}, 5.0)
    assert (outcome.delivered, outcome.status_code) == (False, 302)
    assert "redirects are not followed" in (outcome.error or "")
    assert elsewhere.received == []
