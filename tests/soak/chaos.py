"""Chaos soak: jobs of mixed formats and lengths on real processes (SeaweedFS, an external
Valkey, one API, several workers, default lease settings) while a seeded driver injects
faults at random times: kill -9 of a busy worker, SIGTERM of another, S3 frozen for 10 s,
a Valkey restart. Then it checks the promises:
- every job SUCCESS, exactly once (metrics agree);
- every output whole (ffprobe's duration equals the source's);
- the bucket holds exactly the sources and each job's committed objects, once the orphan
  sweep has run (what it found is reported);
- no ffmpeg left.

    make soak                                   # 20 jobs, 8 faults
    python -m tests.soak.chaos --jobs 8 --faults 4 --seed 7
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import make_clip
from tests.soak.cluster import SoakCluster
from tests.soak.verify import Verdict, verify
from videoforge.media.binaries import locate

FAULTS = ("kill -9 busy worker", "SIGTERM busy worker", "S3 frozen 10 s", "Valkey restart")
FORMATS = ("hls", "mp4", "webm")
SIZES = ("320:240", "640:360", "426:-2")
FINISH_DEADLINE_S = 600


@dataclass
class Run:
    seed: int
    faults: list[tuple[float, str, str]] = field(default_factory=list)
    recoveries_s: list[float] = field(default_factory=list)
    tasks: list[dict[str, str]] = field(default_factory=list)


def make_clips(folder: Path) -> list[Path]:
    binaries = locate(None, None)
    return [
        make_clip(binaries, folder / "short.mp4", "320x240", 10),
        make_clip(binaries, folder / "long.mp4", "640x360", 40),
        make_clip(binaries, folder / "silent.mp4", "480x270", 20, audio=False),
    ]


def soak(root: Path, jobs: int, faults: int, seed: int, workers: int = 3) -> tuple[Run, Verdict]:
    """Run the soak in `root`; returns what happened and what was checked."""
    rng = random.Random(seed)
    run = Run(seed)
    clips = make_clips(root)
    cluster = SoakCluster.start(root, workers)
    started = time.monotonic()
    try:
        with cluster.client() as client:
            file_ids = [_upload(client, clip) for clip in clips]
            # Most jobs at once, the rest one before each fault: work is in flight throughout.
            for _ in range(max(1, jobs - faults)):
                _submit(client, run, file_ids, rng)
            plan = [FAULTS[n % len(FAULTS)] for n in range(faults)]
            rng.shuffle(plan)
            for kind in plan:
                time.sleep(rng.uniform(1.0, 4.0))
                if len(run.tasks) < jobs:
                    _submit(client, run, file_ids, rng)
                at_s = round(time.monotonic() - started, 1)
                run.faults.append((at_s, kind, _inject(cluster, client, run, kind, rng)))
            _wait_all(client, run)
            verdict = verify(cluster, client, run.tasks, file_ids)
    finally:
        cluster.stop()
    return run, verdict


def _submit(client: object, run: Run, file_ids: list[str], rng: random.Random) -> None:
    body = {"resolution": rng.choice(SIZES), "format": rng.choice(FORMATS)}
    answer = client.post(f"/videos/transcode/{rng.choice(file_ids)}", json=body)  # type: ignore[attr-defined]
    answer.raise_for_status()
    run.tasks.append(answer.json())


def _upload(client: object, clip: Path) -> str:
    with clip.open("rb") as handle:
        answer = client.post("/videos/upload", files={"file": (clip.name, handle)})  # type: ignore[attr-defined]
    answer.raise_for_status()
    return str(answer.json()["file_id"])


def _statuses(client: object, run: Run) -> list[dict[str, object]]:
    answers = []
    for task in run.tasks:
        try:
            answers.append(client.get(f"/videos/task/{task['task_id']}").json())  # type: ignore[attr-defined]
        except Exception:  # the API may be briefly unable to reach Valkey
            answers.append({"state": "UNKNOWN"})
    return answers


def _unfinished(client: object, run: Run) -> int:
    done = {"SUCCESS", "FAILURE", "REVOKED"}
    return sum(1 for status in _statuses(client, run) if status.get("state") not in done)


def _busy(client: object, run: Run, cluster: SoakCluster) -> list[tuple[str, str]]:
    """(worker name, task id) of the jobs running now on workers we still have."""
    busy = []
    for status in _statuses(client, run):
        worker = str(status.get("worker") or "").split("@")[0]
        if status.get("state") == "PROGRESS" and worker in cluster.workers:
            busy.append((worker, str(status["task_id"])))
    return busy


def _inject(cluster: SoakCluster, client: object, run: Run, kind: str, rng: random.Random) -> str:
    if kind == "S3 frozen 10 s":
        cluster.freeze_s3(10)
        return "SIGSTOP, 10 s, SIGCONT"
    if kind == "Valkey restart":
        cluster.restart_valkey()
        return "stopped, restarted on its port"
    deadline = time.monotonic() + 30  # wait for a busy worker, if any job still runs
    while not (busy := _busy(client, run, cluster)) and time.monotonic() < deadline:
        time.sleep(0.2)
    if not busy:
        return "no busy worker; skipped"
    worker, task_id = rng.choice(busy)
    at = time.monotonic()
    if kind == "kill -9 busy worker":
        cluster.kill_worker(worker)
    else:
        cluster.term_worker(worker)
    # Capacity stays the same; the replacement starts while the job is being recovered.
    names: list[str] = []
    starting = threading.Thread(target=lambda: names.append(cluster.add_worker()))
    starting.start()
    recovery = _recovery_s(client, task_id, worker, at)
    starting.join()
    replacement = names[0] if names else "no replacement"
    if recovery is None:
        return f"{worker} running {task_id[:8]}; not running again within 120 s"
    run.recoveries_s.append(recovery)
    return f"{worker} running {task_id[:8]}; running again in {recovery:.1f} s; {replacement} up"


def _recovery_s(client: object, task_id: str, lost: str, since: float) -> float | None:
    """Seconds from the fault until another worker runs (or has finished) the job."""
    deadline = since + 120
    while time.monotonic() < deadline:
        try:
            status = client.get(f"/videos/task/{task_id}").json()  # type: ignore[attr-defined]
        except Exception:
            status = {}
        worker = str(status.get("worker") or "").split("@")[0]
        if status.get("state") in ("STARTED", "PROGRESS", "SUCCESS") and worker != lost:
            return time.monotonic() - since
        time.sleep(0.2)
    return None


def _wait_all(client: object, run: Run) -> None:
    deadline = time.monotonic() + FINISH_DEADLINE_S
    while _unfinished(client, run) and time.monotonic() < deadline:
        time.sleep(1)


def report(run: Run, verdict: Verdict) -> str:
    """The table the soak prints (and the README shows)."""
    recoveries = sorted(run.recoveries_s)
    p50 = f"{statistics.median(recoveries):.1f} s" if recoveries else "-"
    worst = f"{recoveries[-1]:.1f} s" if recoveries else "-"
    kinds = {kind: sum(1 for _, k, d in run.faults if k == kind and "skipped" not in d)
             for kind in FAULTS}  # fmt: skip
    rows = [
        ("seed", str(run.seed)),
        ("faults injected", ", ".join(f"{n}x {k}" for k, n in kinds.items() if n) or "none"),
        ("jobs", str(len(run.tasks))),
        ("succeeded", str(verdict.succeeded)),
        ("lost", str(verdict.lost)),
        ("doubled", str(verdict.doubled)),
        ("outputs not whole", str(verdict.broken)),
        ("orphans found by the sweep", str(verdict.swept)),
        ("orphans left", str(verdict.orphans)),
        ("committed objects missing", str(verdict.missing)),
        ("ffmpeg left", str(verdict.ffmpeg_left)),
        ("metrics agree", "yes" if verdict.metrics_agree else "NO"),
        ("recovery after a worker loss, p50", p50),
        ("recovery after a worker loss, max", worst),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"| {'what'.ljust(width)} | result |", f"|{'-' * (width + 2)}|--------|"]
    lines += [f"| {name.ljust(width)} | {value} |" for name, value in rows]
    lines += [
        "",
        "faults (s after the cluster was up; recovery includes waiting for a free worker):",
    ]
    lines += [f"  {at:6.1f}  {kind}: {detail}" for at, kind, detail in run.faults]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Chaos soak on real processes.")
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--faults", type=int, default=8)
    parser.add_argument("--seed", type=int, default=int(time.time()) % 10_000)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="videoforge-soak-") as folder:
        run, verdict = soak(Path(folder), args.jobs, args.faults, args.seed, args.workers)
    print(report(run, verdict))
    sys.exit(0 if verdict.ok else 1)


if __name__ == "__main__":
    main()
