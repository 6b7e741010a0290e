"""Real servers for the production-topology suite: SeaweedFS (S3), Valkey, API and workers."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import httpx
from botocore.config import Config

from tests.e2e.service import descendants, signal_and_wait
from videoforge.jobs.broker import celery_client
from videoforge.runtime.processes import free_port
from videoforge.settings import Settings

ACCESS_KEY = "videoforge-test"
SECRET_KEY = "videoforge-test-secret-0123456789"
BUCKET = "videos-test"
WEED = Path(sys.executable).parent / "weed"
HOST = socket.gethostname()  # what `%h` in a worker's name becomes
# Short leases, so a lost worker's job moves on in seconds (defaults: 30 s, 10 s).
FAST = {"LEASE_TTL_S": "3", "REAPER_INTERVAL_S": "1", "STORAGE_RETRY_BUDGET_S": "20"}


class SeaweedS3:
    """`weed mini` on one address (`ip`), every port chosen free, credentials from the env."""

    def __init__(self, data_dir: Path, ip: str = "127.0.0.1") -> None:
        self.data_dir = data_dir
        self.ip = ip
        self.port = free_port(ip)
        self.url = f"http://{ip}:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        # Chosen once, so a restart comes back on the same addresses. Every gRPC port is given:
        # weed's default, port + 10000, does not exist for a free port above 55535.
        self.ports = {
            f"-{name}": str(free_port(ip))
            for name in ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
                         "filer.port", "filer.port.grpc", "s3.port.grpc", "admin.port",
                         "admin.port.grpc")
        }  # fmt: skip

    def start(self) -> SeaweedS3:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        ports = self.ports
        argv = [str(WEED), "mini", f"-dir={self.data_dir}", f"-ip={self.ip}",
                f"-ip.bind={self.ip}", "-master.telemetry=false", "-webdav=false",
                "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
                f"-s3.port={self.port}", *(f"{k}={v}" for k, v in ports.items())]  # fmt: skip
        env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
        with (self.data_dir / "weed.log").open("ab") as log:
            self.process = subprocess.Popen(
                argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_http(f"{self.url}/healthz", self.process, timeout_s=60)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def client(self, secret: str = SECRET_KEY) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=secret,
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}),
        )


def wait_http(url: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    """Poll `url` until it answers 200; fail early if `process` exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} not ready within {timeout_s} s")


class Role:
    """One `videoforge api` or `videoforge worker` process with the cluster's environment.

    `prefix` runs it through a launcher that execs it (`ip netns exec NS`), so `process`
    is still the videoforge process itself.
    """

    def __init__(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        log_dir: Path,
        prefix: list[str] | None = None,
    ) -> None:
        self.name = name
        self.argv = argv
        self.prefix = prefix or []
        self.env = env
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Role:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*self.prefix, sys.executable, "-m", "videoforge.cli", *self.argv],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 60) -> int:
        assert self.process is not None
        return signal_and_wait(self.process, sig, timeout_s)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def cluster_env(redis_url: str, s3: SeaweedS3, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment every role shares, as in docker-compose.yml."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MINIO_", "S3_", "REDIS_"))},
        "REDIS_URL": redis_url,
        "S3_ENDPOINT": f"{s3.ip}:{s3.port}",
        "S3_ACCESS_KEY": ACCESS_KEY,
        "S3_SECRET_KEY": SECRET_KEY,
        "S3_BUCKET": BUCKET,
        "DATA_DIR": str(data_dir),
        "WORKER_CONCURRENCY": "1",
        **extra,
    }


def worker_names(redis_url: str, timeout_s: float = 1.0) -> set[str]:
    """Names of the workers that answer a Celery ping on this broker."""
    app = celery_client(Settings(_env_file=None, redis_url=redis_url))
    try:
        return {name for reply in app.control.ping(timeout=timeout_s) for name in reply}
    finally:
        app.close()


def wait_for_workers(redis_url: str, names: set[str], timeout_s: float = 60) -> None:
    """Wait until every named worker (`w1@host`) answers a ping."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if names <= worker_names(redis_url):
                return
        except Exception:  # the broker is restarting: ask again
            time.sleep(0.5)
    raise RuntimeError(f"workers {names} did not answer within {timeout_s} s")


def kill_tree(role: Role) -> set[int]:
    """SIGKILL a role and everything below it, as a crash or the OOM killer would."""
    assert role.process is not None
    tree = {role.process.pid, *descendants(role.process.pid)}
    for pid in tree:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    role.process.wait()
    return tree
