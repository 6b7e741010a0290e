"""A TCP relay on loopback between a browser and a service, which a test can cut: every open
connection is reset and new ones are refused until it is mended, as when a laptop leaves its
Wi-Fi. (DevTools' offline emulation stops new requests but lets one in flight finish.)"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

CHUNK_BYTES = 64 * 1024


@dataclass
class Link:
    url: str
    target_port: int
    up: threading.Event = field(default_factory=threading.Event)
    open_sockets: set[socket.socket] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    cuts: int = 0

    def cut(self) -> None:
        """Reset every relayed connection; refuse new ones until `mend`."""
        self.up.clear()
        with self.lock:
            self.cuts += 1
            for sock in self.open_sockets:
                _reset(sock)
            self.open_sockets.clear()

    def mend(self) -> None:
        self.up.set()

    def relay(self, client: socket.socket) -> None:
        if not self.up.is_set():
            _reset(client)
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
        except OSError:
            _reset(client)
            return
        with self.lock:
            self.open_sockets |= {client, upstream}
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(CHUNK_BYTES):
                sink.sendall(data)
        if self.up.is_set():  # the peer finished: pass its FIN on (a cut sends RSTs instead)
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)


def _reset(sock: socket.socket) -> None:
    # SO_LINGER 0 makes the close a RST, as a dropped network looks to the peer. Linux does
    # not close a socket another thread is reading: SHUT_RD wakes that read (sending nothing).
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RD)
    sock.close()


@contextmanager
def link_to(target_port: int) -> Iterator[Link]:
    """A relay on a free loopback port to `target_port`, up, and shut on exit."""
    listener = socket.create_server(("127.0.0.1", 0))
    link = Link(f"http://127.0.0.1:{listener.getsockname()[1]}", target_port)
    link.mend()

    def accept_forever() -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = listener.accept()
                link.relay(client)

    threading.Thread(target=accept_forever, daemon=True).start()
    try:
        yield link
    finally:
        listener.close()
        link.cut()
