"""A real HTTP server on loopback that serves what imports fetch: files, redirects, errors,
bodies with a false or missing length, encoded bodies, and a slow drip."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    length: bool = True  # send Content-Length (False: the body ends when the connection does)
    drip_s: float = 0.0  # pause between 1-byte writes (a slow server)


@dataclass
class Origin:
    url: str
    routes: dict[str, Route]
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def serve(self, path: str, route: Route) -> str:
        """Answer `path` as `route` says; returns its URL."""
        self.routes[path] = route
        return self.url + path

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        return self.serve(path, Route(status, headers={"Location": location}))


@contextmanager
def origin() -> Iterator[Origin]:
    """An origin on 127.0.0.1, stopped on exit."""
    routes: dict[str, Route] = {}
    served = Origin("", routes)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            served.requests.append((self.path, dict(self.headers.items())))
            route = routes.get(self.path, Route(404, b"not here"))
            self.send_response(route.status)
            for name, value in route.headers.items():
                self.send_header(name, value)
            if route.length:
                self.send_header("Content-Length", str(len(route.body)))
            self.send_header("Connection", "close")
            self.end_headers()
            with contextlib.suppress(OSError):  # the client went away (a limit, a deadline)
                self._write(route)
            self.close_connection = True

        def _write(self, route: Route) -> None:
            if not route.drip_s:
                self.wfile.write(route.body)
                return
            for byte in route.body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(route.drip_s)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    served.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
