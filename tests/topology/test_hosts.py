"""The worker-hosts fixture gives what it promises: separate hosts that do real work."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import redis

from tests.conftest import make_clip
from tests.e2e.service import transcode, upload, wait_for
from tests.topology.cluster import HOST
from tests.topology.hosts import HostsCluster
from videoforge.media.binaries import FFmpegBinaries


def client_addresses(redis_url: str) -> set[str]:
    """The source address of every connection Valkey has open."""
    with redis.Redis.from_url(redis_url) as valkey:
        return {client["addr"].rsplit(":", 1)[0] for client in valkey.client_list()}


def test_workers_run_on_hosts_of_their_own(
    make_hosts: Callable[..., tuple[HostsCluster, httpx.Client]],
    binaries: FFmpegBinaries,
    tmp_path: Path,
) -> None:
    cluster, client = make_hosts(workers=("h1", "h2"))
    addresses = set(cluster.addresses.values())
    assert len(addresses) == 2 and cluster.network.gateway not in addresses

    # Each worker process lives in its namespace, not ours. It is the worker itself: `ip netns
    # exec` execs the CLI, which execs Celery, so kill_tree and signals reach the right one.
    for role in cluster.workers.values():
        assert role.process is not None
        net = os.readlink(f"/proc/{role.process.pid}/ns/net")
        assert net != os.readlink("/proc/self/ns/net")
        assert b"videoforge.worker" in Path(f"/proc/{role.process.pid}/cmdline").read_bytes()

    # Valkey sees each host connect from its own address. They answered a ping through it,
    # so their connections exist; the wait only covers a reconnect in between.
    deadline = time.monotonic() + 60
    while not addresses <= (seen := client_addresses(cluster.redis_url)):
        assert time.monotonic() < deadline, (addresses, seen)
        time.sleep(0.5)

    # A host cannot reach the host side's loopback: it shares nothing but the bridge.
    port = cluster.redis_url.rsplit(":", 1)[1].split("/")[0]
    probe = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=5)"
    namespace = cluster.namespaces["h1"]
    refused = subprocess.run(
        ["ip", "netns", "exec", namespace, sys.executable, "-c", probe], capture_output=True
    )
    assert refused.returncode != 0 and b"ConnectionRefusedError" in refused.stderr

    # One real job, end to end: upload to the API, encoded by a worker through S3.
    clip = make_clip(binaries, tmp_path / "clip.mp4", "320x240", 3, audio=False)
    file_id = upload(client, clip)["file_id"]
    task = transcode(client, file_id, "320:240", "mp4")
    final, _ = wait_for(client, task["task_id"], timeout_s=300)
    assert final["state"] == "SUCCESS", final
    assert final["worker"] in {f"{name}@{HOST}" for name in cluster.workers}
    name = final["worker"].split("@")[0]
    assert (cluster.root / f"host-{name}").is_dir()  # its scratch was its own DATA_DIR
    download = client.get(f"/videos/download/{task['output_name']}")
    assert download.status_code == 200 and len(download.content) > 0
