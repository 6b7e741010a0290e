"""A real HTTP server on loopback that receives webhooks: it keeps every request and
answers as told (a status per try, or a redirect)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int = 0  # the status the receiver answered

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    def verifies(self, secret: str) -> bool:
        try:
            self.verified(secret)
        except WebhookVerificationError:
            return False
        return True

    def verified(self, secret: str) -> dict[str, Any]:
        """The body, once its signature verifies with `secret` (raises otherwise)."""
        payload: dict[str, Any] = Webhook(secret).verify(self.body, self.headers)
        return payload


# Given the request and how many times its webhook-id came before, the answer: a status,
# or (status, {header: value}).
Answer = Callable[[Received, int], int | tuple[int, dict[str, str]]]


@dataclass
class Receiver:
    url: str
    answer: Answer
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def bodies(self, secret: str) -> list[dict[str, Any]]:
        """The bodies of the requests signed with `secret`."""
        with self.lock:
            return [r.verified(secret) for r in self.received if r.verifies(secret)]

    def wait(self, condition: Callable[[], bool], what: str, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}: {self.received}"
            time.sleep(0.1)


@contextmanager
def receiver(answer: Answer = lambda _r, _n: 204) -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    found = Receiver(f"http://127.0.0.1:{server.server_port}/hook", answer)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            got = Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                           self.rfile.read(length))  # fmt: skip
            with found.lock:
                before = sum(
                    1
                    for r in found.received
                    if r.headers.get("webhook-id") == got.headers.get("webhook-id")
                )
                found.received.append(got)
            reply = found.answer(got, before)
            status, headers = reply if isinstance(reply, tuple) else (reply, {})
            got.answered = status
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()
