"""The production topology on one machine: SeaweedFS, Valkey, one API and two workers."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.topology.cluster import (
    FAST,
    HOST,
    Role,
    SeaweedS3,
    cluster_env,
    kill_tree,
    wait_for_workers,
    wait_http,
)
from tests.topology.hosts import host_network, host_s3, make_hosts  # noqa: F401  (fixtures)
from videoforge.runtime.processes import free_port
from videoforge.runtime.valkey import EmbeddedValkey


@dataclass
class Cluster:
    s3: SeaweedS3
    redis_url: str
    api: Role
    api_url: str
    workers: dict[str, Role]
    root: Path
    settings: dict[str, str] = field(default_factory=dict)

    def env(self, **extra: str) -> dict[str, str]:
        extra = {"LOG_FORMAT": "json", **self.settings, **extra}
        return cluster_env(self.redis_url, self.s3, self.root / "scratch", **extra)

    def add_worker(self, name: str) -> Role:
        role = Role(name, ["worker", "-n", f"{name}@%h"], self.env(), self.root)
        self.workers[name] = role.start()
        wait_for_workers(self.redis_url, {f"{name}@{HOST}"})
        return role


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    server = SeaweedS3(tmp_path_factory.mktemp("seaweedfs")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory, s3: SeaweedS3) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("cluster")
    valkey = EmbeddedValkey(root / "valkey")
    redis_url = valkey.start()
    port = free_port()
    env = cluster_env(redis_url, s3, root / "scratch", LOG_FORMAT="json")
    api = Role("api", ["api", "--port", str(port)], env, root).start()
    running = Cluster(s3, redis_url, api, f"http://127.0.0.1:{port}", {}, root)
    try:
        assert api.process is not None
        wait_http(f"{running.api_url}/healthz", api.process, timeout_s=60)
        for name in ("w1", "w2"):
            running.add_worker(name)
        yield running
    finally:
        for role in [*running.workers.values(), api]:
            if role.process is not None:
                role.stop()
        valkey.stop()


class Faulty(Cluster):
    valkey: EmbeddedValkey
    valkey_port: int


@pytest.fixture
def make_cluster(
    tmp_path: Path, s3: SeaweedS3
) -> Iterator[Callable[..., tuple[Faulty, httpx.Client]]]:
    made: list[tuple[Faulty, httpx.Client]] = []

    def make(
        workers: tuple[str, ...] = ("w1", "w2"), **settings: str
    ) -> tuple[Faulty, httpx.Client]:
        valkey, valkey_port = EmbeddedValkey(tmp_path / "valkey"), free_port()
        redis_url = valkey.start(port=valkey_port)
        bucket = f"fault-{uuid.uuid4().hex[:10]}"
        port = free_port()
        api = Role("api", ["api", "--port", str(port)], {}, tmp_path)
        # No storyboards: these tests time faults against one job's own work.
        cluster = Faulty(s3, redis_url, api, f"http://127.0.0.1:{port}", {}, tmp_path,
                         {**FAST, "S3_BUCKET": bucket, "STORYBOARDS": "false",
                          **settings})  # fmt: skip
        cluster.valkey, cluster.valkey_port = valkey, valkey_port
        cluster.api = Role("api", ["api", "--port", str(port)], cluster.env(), tmp_path).start()
        assert cluster.api.process is not None
        wait_http(f"{cluster.api_url}/healthz", cluster.api.process, timeout_s=60)
        for name in workers:
            cluster.add_worker(name)
        client = httpx.Client(base_url=cluster.api_url, timeout=30)
        made.append((cluster, client))
        return cluster, client

    yield make
    for cluster, client in made:
        client.close()
        for role in [*cluster.workers.values(), cluster.api]:
            if role.process is not None and role.process.poll() is None:
                kill_tree(role)
        cluster.valkey.stop()
