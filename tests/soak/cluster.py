"""The soak's cluster: SeaweedFS, an external Valkey, one API and N workers, all real
processes with default lease settings; and the faults the driver injects into them."""

from __future__ import annotations

import os
import signal
import socket
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.e2e.service import descendants, process_names
from tests.topology.cluster import (
    Role,
    SeaweedS3,
    cluster_env,
    kill_tree,
    wait_for_workers,
    wait_http,
)
from videoforge.runtime.processes import free_port
from videoforge.runtime.valkey import EmbeddedValkey

HOST = socket.gethostname()


@dataclass
class SoakCluster:
    root: Path
    s3: SeaweedS3
    valkey: EmbeddedValkey
    valkey_port: int
    redis_url: str
    bucket: str
    api: Role
    api_url: str
    workers: dict[str, Role] = field(default_factory=dict)
    started_workers: int = 0

    @classmethod
    def start(cls, root: Path, workers: int) -> SoakCluster:
        s3 = SeaweedS3(root / "s3").start()
        valkey, valkey_port = EmbeddedValkey(root / "valkey"), free_port()
        redis_url = valkey.start(port=valkey_port)
        port = free_port()
        bucket = f"soak-{uuid.uuid4().hex[:10]}"
        env = cluster_env(redis_url, s3, root / "scratch", S3_BUCKET=bucket, LOG_FORMAT="json")
        api = Role("api", ["api", "--port", str(port)], env, root).start()
        cluster = cls(root, s3, valkey, valkey_port, redis_url, bucket, api,
                      f"http://127.0.0.1:{port}")  # fmt: skip
        assert api.process is not None
        wait_http(f"{cluster.api_url}/healthz", api.process, timeout_s=60)
        for _ in range(workers):
            cluster.add_worker()
        return cluster

    def env(self) -> dict[str, str]:
        return cluster_env(self.redis_url, self.s3, self.root / "scratch",
                           S3_BUCKET=self.bucket, LOG_FORMAT="json")  # fmt: skip

    def add_worker(self) -> str:
        self.started_workers += 1
        name = f"w{self.started_workers}"
        role = Role(name, ["worker", "-n", f"{name}@%h"], self.env(), self.root)
        self.workers[name] = role.start()
        wait_for_workers(self.redis_url, {f"{name}@{HOST}"}, timeout_s=120)
        return name

    def kill_worker(self, name: str) -> None:
        """SIGKILL a worker and everything below it, as the OOM killer would."""
        kill_tree(self.workers.pop(name))

    def term_worker(self, name: str) -> None:
        """SIGTERM, as a deploy does: a cold shutdown that requeues its job."""
        self.workers.pop(name).stop(signal.SIGTERM, timeout_s=60)

    def freeze_s3(self, seconds: float) -> None:
        assert self.s3.process is not None
        os.killpg(self.s3.process.pid, signal.SIGSTOP)
        try:
            time.sleep(seconds)
        finally:
            os.killpg(self.s3.process.pid, signal.SIGCONT)

    def restart_valkey(self) -> None:
        self.valkey.stop()  # SIGTERM: its AOF is flushed
        time.sleep(1)
        self.valkey.start(port=self.valkey_port)

    def ffmpeg_running(self) -> list[str]:
        roles = [self.api, *self.workers.values()]
        pids = {p for r in roles if r.process is not None for p in descendants(r.process.pid)}
        return [name for name in process_names(pids) if "ffmpeg" in name]

    def stop(self) -> None:
        for role in [*self.workers.values(), self.api]:
            if role.process is not None and role.process.poll() is None:
                role.stop(signal.SIGTERM, timeout_s=60)
        self.valkey.stop()
        self.s3.stop()

    def client(self, timeout_s: float = 30) -> httpx.Client:
        return httpx.Client(base_url=self.api_url, timeout=timeout_s)
