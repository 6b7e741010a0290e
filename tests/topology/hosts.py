"""Workers on simulated separate hosts: own network namespace, own address, own DATA_DIR.

The host side has one Linux bridge on a private /24 (10.X.0.1). Valkey and a SeaweedFS
listen on that address (Valkey on loopback too); the API stays on loopback. Each worker
host is a network namespace joined to the bridge by a veth pair, with the next address of
the /24 and no route anywhere else: its connections to Valkey and S3 come from its own
address, it cannot reach the host's loopback, and nothing leaves the machine.

Every name embeds the pid of the pytest process that made it (`vf<pid>b` the bridge,
`vf<pid>v<n>` a veth's host end, `vf<pid>n<n>` a namespace), so a later session can tell
what an interrupted one left behind from what a concurrent one is still using.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import signal
import subprocess
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
from videoforge.runtime.processes import free_port
from videoforge.runtime.valkey import EmbeddedValkey

OURS = re.compile(r"vf(\d+)[bnv]\d*")


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _empty(namespace: str) -> None:
    """SIGKILL whatever still runs in a namespace: deleting it would not stop them."""
    for pid in ip("netns", "pids", namespace, check=False).stdout.split():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)


def sweep_stale() -> None:
    """Remove the namespaces and links of sessions whose pytest process is gone."""
    for line in ip("netns", "list").stdout.splitlines():
        name = line.split(" ", 1)[0]
        if (match := OURS.fullmatch(name)) and _gone(int(match[1])):
            _empty(name)
            ip("netns", "del", name, check=False)
    # Deleting a veth's host end deletes its peer too; `ip -o link` writes `name@peer:`.
    for line in ip("-o", "link", "show").stdout.splitlines():
        name = line.split(":")[1].strip().split("@")[0]
        if (match := OURS.fullmatch(name)) and _gone(int(match[1])):
            ip("link", "del", name, check=False)


def free_subnet(pid: int) -> int:
    """X of a 10.X.0.0/24 no interface or route on this machine uses yet."""
    used = ip("-4", "-o", "addr").stdout + ip("-4", "route").stdout
    for offset in range(50):  # started by pid, so concurrent sessions rarely try the same X
        x = 200 + (pid + offset) % 50
        if not re.search(rf"\b10\.{x}\.", used):
            return x
    raise RuntimeError("no free 10.X.0.0/24 for the worker hosts")


@dataclass
class Network:
    """The bridge on the host side and the worker hosts plugged into it."""

    pid: int
    subnet: int
    hosts: dict[str, str] = field(default_factory=dict)  # namespace -> its veth's host end
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def bridge(self) -> str:
        return f"vf{self.pid}b"

    @property
    def gateway(self) -> str:
        """The host side's address, where Valkey and SeaweedFS listen."""
        return f"10.{self.subnet}.0.1"

    @classmethod
    def create(cls) -> Network:
        pid = os.getpid()
        network = cls(pid, free_subnet(pid))
        ip("link", "add", network.bridge, "type", "bridge")
        try:
            ip("addr", "add", f"{network.gateway}/24", "dev", network.bridge)
            ip("link", "set", network.bridge, "up")
        except subprocess.CalledProcessError:
            network.close()
            raise
        return network

    def add_host(self) -> tuple[str, str]:
        """A new namespace on the bridge: its name and its address."""
        n = next(self.counter)
        assert n < 254, "out of addresses in the /24"
        namespace, veth, address = (
            f"vf{self.pid}n{n}",
            f"vf{self.pid}v{n}",
            f"10.{self.subnet}.0.{n + 1}",
        )
        self.hosts[namespace] = veth  # before it exists, so a failure below is cleaned up too
        ip("netns", "add", namespace)
        ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", namespace)
        ip("link", "set", veth, "master", self.bridge, "up")
        ip("-n", namespace, "addr", "add", f"{address}/24", "dev", "eth0")
        ip("-n", namespace, "link", "set", "lo", "up")
        ip("-n", namespace, "link", "set", "eth0", "up")
        return namespace, address

    def remove_host(self, namespace: str) -> None:
        _empty(namespace)
        ip("link", "del", self.hosts.pop(namespace), check=False)
        ip("netns", "del", namespace, check=False)

    def close(self) -> None:
        for namespace in list(self.hosts):
            self.remove_host(namespace)
        ip("link", "del", self.bridge, check=False)


@pytest.fixture(scope="session")
def host_network() -> Iterator[Network]:
    if os.geteuid() != 0:
        pytest.skip("worker hosts need root: they are network namespaces (`ip netns add`)")
    sweep_stale()
    try:
        network = Network.create()
    except subprocess.CalledProcessError as error:
        if "not permitted" in error.stderr:  # root without CAP_NET_ADMIN, as in a container
            pytest.skip(f"cannot make a bridge: {error.stderr.strip()}")
        raise
    try:
        yield network
    finally:
        network.close()


@pytest.fixture(scope="session")
def host_s3(tmp_path_factory: pytest.TempPathFactory, host_network: Network) -> Iterator[SeaweedS3]:
    """SeaweedFS on the bridge address, so the worker hosts reach it."""
    server = SeaweedS3(tmp_path_factory.mktemp("seaweedfs-hosts"), ip=host_network.gateway)
    yield server.start()
    server.stop()


@dataclass
class HostsCluster:
    """An API on loopback and workers that each run on a host of their own."""

    network: Network
    s3: SeaweedS3
    valkey: EmbeddedValkey
    redis_url: str  # on the bridge address: the one URL every host can use
    api: Role
    api_url: str
    root: Path
    settings: dict[str, str] = field(default_factory=dict)
    workers: dict[str, Role] = field(default_factory=dict)
    addresses: dict[str, str] = field(default_factory=dict)  # worker name -> its host's address
    namespaces: dict[str, str] = field(default_factory=dict)  # worker name -> its namespace

    def env(self, data_dir: Path | None = None, **extra: str) -> dict[str, str]:
        extra = {"LOG_FORMAT": "json", **self.settings, **extra}
        return cluster_env(self.redis_url, self.s3, data_dir or self.root / "api", **extra)

    def add_worker(self, name: str) -> Role:
        """Start worker `name` on a new host, with that host's own DATA_DIR."""
        namespace, address = self.network.add_host()
        self.namespaces[name], self.addresses[name] = namespace, address
        role = Role(name, ["worker", "-n", f"{name}@%h"], self.env(self.root / f"host-{name}"),
                    self.root, prefix=["ip", "netns", "exec", namespace])  # fmt: skip
        self.workers[name] = role.start()
        wait_for_workers(self.redis_url, {f"{name}@{HOST}"})
        return role

    def close(self) -> None:
        for role in [*self.workers.values(), self.api]:
            if role.process is not None and role.process.poll() is None:
                kill_tree(role)
        self.valkey.stop()
        for namespace in self.namespaces.values():
            if namespace in self.network.hosts:
                self.network.remove_host(namespace)


@pytest.fixture
def make_hosts(
    tmp_path: Path, host_network: Network, host_s3: SeaweedS3
) -> Iterator[Callable[..., tuple[HostsCluster, httpx.Client]]]:
    """make(workers=("h1", "h2"), **settings): own Valkey and API, one host per worker."""
    made: list[tuple[HostsCluster, httpx.Client]] = []

    def make(
        workers: tuple[str, ...] = ("h1", "h2"), **settings: str
    ) -> tuple[HostsCluster, httpx.Client]:
        valkey = EmbeddedValkey(tmp_path / "valkey")
        redis_url = valkey.start(bind=(host_network.gateway, "127.0.0.1"))
        port = free_port()
        # Own bucket: the SeaweedFS is shared by the session. No storyboards, to keep each
        # job to the one encode a test asks for (pass STORYBOARDS="true" to have them).
        settings = {**FAST, "S3_BUCKET": f"hosts-{uuid.uuid4().hex[:10]}", "STORYBOARDS": "false",
                    **settings}  # fmt: skip
        api = Role("api", ["api", "--port", str(port)], {}, tmp_path)
        cluster = HostsCluster(host_network, host_s3, valkey, redis_url, api,
                               f"http://127.0.0.1:{port}", tmp_path, settings)  # fmt: skip
        client = httpx.Client(base_url=cluster.api_url, timeout=30)
        made.append((cluster, client))  # before anything can fail, so teardown sees it
        api.env = cluster.env()
        api.start()
        assert api.process is not None
        wait_http(f"{cluster.api_url}/healthz", api.process, timeout_s=60)
        for name in workers:
            cluster.add_worker(name)
        return cluster, client

    yield make
    for cluster, client in made:
        client.close()
        cluster.close()
