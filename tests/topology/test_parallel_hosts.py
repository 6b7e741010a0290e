"""A split ("parallel") MP4 job on two worker hosts (network namespaces of their own, checked
as such): its chunks are encoded on both and
joined into one output with every frame, as good as a single run's at every join; a host
SIGKILLed in the middle of a chunk costs that chunk alone, which the other host redoes once
its lease lapses."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.conftest import make_clip
from tests.e2e.service import alive, submit, upload, wait_success
from tests.topology.cluster import HOST, SeaweedS3, kill_tree
from tests.topology.hosts import HostsCluster
from tests.topology.media_checks_parallel import (
    FPS,
    check_joined,
    download,
    leases,
    top_boxes,
    vmaf,
    vmaf_model,
    wait_no_leftovers,
)
from videoforge.jobs.chunk_store import ChunkStore
from videoforge.media.binaries import FFmpegBinaries
from videoforge.segments.chunks import AUDIO_ITEM

MakeHosts = Callable[..., tuple[HostsCluster, httpx.Client]]
# One encoder thread per host and one job at a time, so that both hosts take chunks; 6 s
# chunks (one segment each), so that a short clip has several. LEASE_TTL_S is 3 (FAST).
SETTINGS = {"CHUNK_SECONDS": "6", "FFMPEG_THREADS": "1", "WORKER_CONCURRENCY": "1"}
JOB = {"format": "mp4", "resolution": "640:360"}
JOIN_FRAMES = 2  # frames either side of a chunk's first that count as its join
# Eight chunks: the job's own attempt encodes the audio first, as long as about four chunks
# here, while a helper takes chunks; enough are left for it after that.
SECONDS, CHUNKS = 48, 8


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory, binaries: FFmpegBinaries) -> Path:
    """640x360 test pattern at 30 fps with a tone."""
    return make_clip(binaries, tmp_path_factory.mktemp("parallel") / "clip.mp4", "640x360",
                     SECONDS)  # fmt: skip


def check_separate_hosts(cluster: HostsCluster) -> None:
    """The hosts are separate: each worker in a network namespace of its own (the worker
    itself: `ip netns exec` execs the CLI, which execs Celery, so kill_tree reaches it),
    connected to Valkey from its own address, and unable to reach the host's loopback."""
    addresses = set(cluster.addresses.values())
    assert len(addresses) == 2 and cluster.network.gateway not in addresses
    for role in cluster.workers.values():
        assert role.process is not None
        assert os.readlink(f"/proc/{role.process.pid}/ns/net") != os.readlink("/proc/self/ns/net")
        assert b"videoforge.worker" in Path(f"/proc/{role.process.pid}/cmdline").read_bytes()
    deadline = time.monotonic() + 60  # they answered a ping through Valkey: only a reconnect
    while True:
        with redis.Redis.from_url(cluster.redis_url) as valkey:
            seen = {client["addr"].rsplit(":", 1)[0] for client in valkey.client_list()}
        if addresses <= seen:
            break
        assert time.monotonic() < deadline, (addresses, seen)
        time.sleep(0.5)
    port = cluster.redis_url.rsplit(":", 1)[1].split("/")[0]
    probe = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=5)"
    argv = ["ip", "netns", "exec", cluster.namespaces["h1"], sys.executable, "-c", probe]
    refused = subprocess.run(argv, capture_output=True)
    assert refused.returncode != 0 and b"ConnectionRefusedError" in refused.stderr


def test_a_split_job_spreads_over_two_hosts_and_joins_seamlessly(
    make_hosts: MakeHosts, host_s3: SeaweedS3, binaries: FFmpegBinaries, clip: Path,
    tmp_path: Path,
) -> None:  # fmt: skip
    model = vmaf_model(binaries)
    assert model is not None, f"no libvmaf model beside {binaries.ffmpeg}"
    # Presigned URLs for clients name an address no host here reaches (as a container sees
    # `localhost`): helpers read the source in ranges on the address they use themselves.
    unreachable = f"http://127.0.0.1:{host_s3.port}"
    cluster, client = make_hosts(workers=("h1", "h2"), PUBLIC_S3_ENDPOINT=unreachable, **SETTINGS)
    check_separate_hosts(cluster)
    file_id = upload(client, clip)["file_id"]
    split = wait_success(client, submit(client, file_id, **JOB, parallel=True)["task_id"])
    # The same encode in one run, as a reference, after the split job (it would take a host
    # from it). Not copied: the clip would be fit to stream as it is.
    single_task = submit(client, file_id, **JOB, parallel=False, passthrough="never")
    single = wait_success(client, single_task["task_id"])

    result = split["result"]
    hosts = {f"{name}@{HOST}" for name in cluster.workers}
    assert set(result["workers"]) == hosts, result
    assert {chunk["worker"] for chunk in result["chunks"]} == hosts, result["chunks"]
    assert [chunk["attempts"] for chunk in result["chunks"]] == [1] * len(result["chunks"])
    assert len(result["chunks"]) == CHUNKS and result["resumed_from_s"] == 0, result
    assert "chunks" not in single["result"], single["result"]

    output = download(client, split["output_name"], tmp_path / "split.mp4")
    reference = download(client, single["output_name"], tmp_path / "single.mp4")
    check_joined(binaries, output, clip)
    boxes = top_boxes(output)
    assert boxes.index("moov") < boxes.index("mdat"), boxes  # +faststart

    scores = vmaf(binaries, model, output, reference)
    assert len(scores) == SECONDS * FPS
    joins = [round(chunk["start_s"] * FPS) for chunk in result["chunks"][1:]]
    at_joins = {
        frame: scores[frame]
        for join in joins
        for frame in range(join - JOIN_FRAMES, join + JOIN_FRAMES + 1)
    }
    worst = min(at_joins, key=at_joins.__getitem__)
    # And both against the source: the split costs next to nothing.
    ours, theirs = (statistics.fmean(vmaf(binaries, model, p, clip)) for p in (output, reference))
    report(split, f"VMAF vs single run: mean {statistics.fmean(scores):.2f}, min "
                  f"{min(scores):.2f}, min at joins {at_joins[worst]:.2f} (frame {worst}); "
                  f"vs source: split {ours:.2f}, single {theirs:.2f}")  # fmt: skip
    assert statistics.fmean(scores) >= 97
    assert at_joins[worst] >= 90, at_joins
    assert ours >= theirs - 0.5, (ours, theirs)

    with redis.Redis.from_url(cluster.redis_url, decode_responses=True) as valkey:
        wait_no_leftovers(cluster, valkey, split["task_id"])


def test_a_host_killed_mid_chunk_loses_only_that_chunk(
    make_hosts: MakeHosts, binaries: FFmpegBinaries, clip: Path, tmp_path: Path
) -> None:
    cluster, client = make_hosts(workers=("h1", "h2"), **SETTINGS)
    file_id = upload(client, clip)["file_id"]
    task_id = submit(client, file_id, **JOB, parallel=True)["task_id"]
    with redis.Redis.from_url(cluster.redis_url, decode_responses=True) as valkey:
        owner, victim = catch_a_helper_mid_chunk(client, valkey, task_id)
        tree = kill_tree(cluster.workers[victim.split("@")[0]])
        # Read once it is dead: what it held then is what it lost; what was done stays done.
        killed = {item for item, token in leases(valkey, task_id).items()
                  if token.startswith(f"{victim}/")}  # fmt: skip
        done = ChunkStore(valkey).state(task_id).done
        assert killed and AUDIO_ITEM not in killed, (killed, victim)
        final = wait_success(client, task_id)
        wait_no_leftovers(cluster, valkey, task_id)
    assert alive(tree) == set()

    # The job's own attempt went on: no requeue, no resume; only the lost chunk was redone.
    assert final["worker"] == owner and final["attempts"] == 1, final
    result = final["result"]
    assert result["resumed_from_s"] == 0 and len(result["chunks"]) == CHUNKS, result
    for chunk in result["chunks"]:
        item = str(chunk["index"])
        assert chunk["attempts"] == (2 if item in killed else 1), (chunk, killed)
        if item in killed:
            assert chunk["worker"] == owner, chunk
        elif item in done:  # finished before the kill: kept, not redone
            assert chunk["worker"] == done[item]["worker"], (chunk, done[item])
    report(final, f"killed {victim.split('@')[0]} holding chunk(s) {sorted(killed)}")

    output = download(client, final["output_name"], tmp_path / "split.mp4")
    check_joined(binaries, output, clip)
    boxes = top_boxes(output)
    assert boxes.index("moov") < boxes.index("mdat"), boxes


def catch_a_helper_mid_chunk(
    client: httpx.Client, valkey: redis.Redis, task_id: str
) -> tuple[str, str]:
    """Wait until the audio and two chunks are done and a host other than the one running
    the job's attempt is encoding a chunk; return (the attempt's worker, that host's)."""
    deadline = time.monotonic() + 300
    while True:
        status = client.get(f"/videos/task/{task_id}").json()
        running = status["state"] in ("PENDING", "STARTED", "PROGRESS")
        assert running, ("it ended before a helper was caught mid-chunk", status)
        owner = status.get("worker")
        state = ChunkStore(valkey).state(task_id)
        chunks_done = [item for item in state.done if item != AUDIO_ITEM]
        if owner and AUDIO_ITEM in state.done and len(chunks_done) >= 2:
            for item, token in leases(valkey, task_id).items():
                holder = token.split("/")[0]
                if item != AUDIO_ITEM and holder != owner:
                    return owner, holder
        assert time.monotonic() < deadline, ("no helper caught mid-chunk", state)
        time.sleep(0.05)


def report(job: dict[str, Any], summary: str) -> None:
    """Who encoded which chunk, for the test's output (pytest -s)."""
    by_worker: dict[str, list[int]] = {}
    for chunk in job["result"]["chunks"]:
        by_worker.setdefault(chunk["worker"].split("@")[0], []).append(chunk["index"])
    attempts = {c["index"]: c["attempts"] for c in job["result"]["chunks"] if c["attempts"] > 1}
    print(f"\n{job['task_id']}: chunks by worker {by_worker}, redone {attempts}; {summary}")
