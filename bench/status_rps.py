"""P5: GET /videos/task/{id} against a bare async FastAPI handler, with wrk at 64 connections.

Starts `videoforge serve` and bench/bare_app.py (uvicorn run as serve runs it, answering the
same JSON body), then runs wrk against each, interleaved (bare, service, bare, service...),
on a finished job's status. Then drains the worker, queues jobs, holds 200 Server-Sent Event
streams open on them (bench/watchers.py, another process) and measures the status again.
Targets: service >= 0.5x the bare requests/s; p99 < 50 ms; p99 < 100 ms with the watchers.

    python bench/status_rps.py --rounds 3 --seconds 10     # WRK=/path/to/wrk to choose one
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from figures import Row, at_least, below
from served import finish, serving, submit

from videoforge.runtime.processes import free_port

WRK = os.environ.get("WRK", "/usr/bin/wrk")
CONNECTIONS = 64
WATCHERS = 200
QUEUED_JOBS = 20
TINY = {"resolution": "160:120", "format": "mp4"}
HERE = Path(__file__).resolve().parent
UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def wrk(url: str, seconds: int) -> tuple[float, float]:
    """Requests per second and p99 latency (ms) of `seconds` of wrk against `url`."""
    argv = [WRK, "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url]
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if not rps or not p99 or errors:
        raise SystemExit(f"wrk against {url}:\n{out}")
    return float(rps[1]), float(p99[1]) * UNITS_MS[p99[2]]


@contextmanager
def bare_app(body_file: Path, log: Path) -> Iterator[str]:
    """bench/bare_app.py on a free port; its base URL."""
    port = free_port()
    argv = [sys.executable, str(HERE / "bare_app.py"), "--port", str(port),
            "--body", str(body_file)]  # fmt: skip
    with log.open("ab") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/videos/task/ready", timeout=2).raise_for_status()
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"bare app did not start: {log.read_text()[-2000:]}") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def with_watchers(
    client: httpx.Client, file_id: str, done_id: str, seconds: int
) -> tuple[float, float]:
    """wrk on a finished job's status while WATCHERS streams follow queued jobs."""
    worker = client.get("/workers").json()["items"][0]["name"]
    client.post(f"/workers/{worker}/drain").raise_for_status()
    time.sleep(2.5)  # the worker sees the drain within a heartbeat (1 s)
    queued = [submit(client, file_id, TINY) for _ in range(QUEUED_JOBS)]
    try:
        states = {client.get(f"/videos/task/{task_id}").json()["state"] for task_id in queued}
        argv = [sys.executable, str(HERE / "watchers.py"), "--url", str(client.base_url),
                "--count", str(WATCHERS), *queued]  # fmt: skip
        watchers = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert watchers.stdin is not None and watchers.stdout is not None
        try:
            line = watchers.stdout.readline().strip()
            if not line.startswith("ready"):
                raise SystemExit(f"watchers: {line}")
            figures = wrk(f"{client.base_url}/videos/task/{done_id}", seconds)
        finally:
            watchers.stdin.close()
            closed = watchers.stdout.readline().strip()
            watchers.wait(timeout=30)
    finally:
        for task_id in queued:
            client.post(f"/videos/task/{task_id}/cancel")
        client.post(f"/workers/{worker}/resume")
    print(f"{WATCHERS} watchers on {QUEUED_JOBS} jobs (states {sorted(states)}), {closed}")
    return figures


def measure(rounds: int, seconds: int) -> tuple[float, float, float]:
    """Print the runs; the rps ratio service/bare, the service's p99 (ms), and its p99 with
    the watchers (ms)."""
    with serving("160x120", 1) as setup:
        client, root = setup.client, setup.root
        task_id = submit(client, setup.file_id, TINY)
        status = finish(client, [task_id])[task_id]
        (root / "status.json").write_text(json.dumps(status))
        bare_runs, service_runs = [], []
        with bare_app(root / "status.json", root / "bare.log") as bare_url:
            for _ in range(rounds):  # interleaved, so a busy moment hits both alike
                bare_runs.append(wrk(f"{bare_url}/videos/task/{task_id}", seconds))
                service_runs.append(wrk(f"{setup.url}/videos/task/{task_id}", seconds))
        watched = with_watchers(client, setup.file_id, task_id, seconds)
    bare_rps = statistics.median(rps for rps, _ in bare_runs)
    service_rps = statistics.median(rps for rps, _ in service_runs)
    p99 = statistics.median(ms for _, ms in service_runs)
    print(f"P5: wrk -t2 -c{CONNECTIONS} -d{seconds}s, {rounds} interleaved rounds, "
          f"a {len(json.dumps(status))}-byte status")  # fmt: skip
    for name, runs in (("bare FastAPI", bare_runs), ("GET /videos/task", service_runs)):
        shown = ", ".join(f"{rps:.0f} req/s p99 {ms:.1f} ms" for rps, ms in runs)
        print(f"{name:17} {shown}")
    print(f"service/bare {service_rps / bare_rps:.3f}; with {WATCHERS} watchers "
          f"{watched[0]:.0f} req/s p99 {watched[1]:.1f} ms")  # fmt: skip
    return service_rps / bare_rps, p99, watched[1]


def rows(quick: bool) -> list[Row]:
    ratio, p99, watched = measure(rounds=1, seconds=3) if quick else measure(3, 10)
    return [
        at_least("P5 task status req/s / bare FastAPI", ratio, 0.5),
        below(f"P5 task status p99 at {CONNECTIONS} connections", p99, 50, " ms", digits=1),
        below(f"P5 p99 with {WATCHERS} SSE watchers", watched, 100, " ms", digits=1),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    args = parser.parse_args()
    measure(args.rounds, args.seconds)


if __name__ == "__main__":
    main()
