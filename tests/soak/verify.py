"""The soak's end checks, on the cluster as it stands after the last job ended."""

from __future__ import annotations

import re
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.soak.cluster import SoakCluster
from tests.topology.cluster import ACCESS_KEY, SECRET_KEY
from videoforge import orphans
from videoforge.catalog import SourceCatalog
from videoforge.jobs.names import PUBLISHED_KEY
from videoforge.media.binaries import locate
from videoforge.media.manifests import playlist_uris
from videoforge.outputs import attempt_owner
from videoforge.runtime.wiring import build_engine
from videoforge.settings import Settings

DURATION_TOLERANCE_S = 0.5
_COUNTER = re.compile(r"^videoforge_(\w+?)(?:_total)?(?:\{[^}]*\})? ([0-9.e+]+)$", re.MULTILINE)


@dataclass
class Verdict:
    succeeded: int = 0
    lost: int = 0
    doubled: int = 0
    broken: int = 0
    swept: int = 0
    orphans: int = 0
    missing: int = 0
    ffmpeg_left: int = 0
    metrics_agree: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        counts = (self.lost, self.doubled, self.broken, self.orphans, self.missing,
                  self.ffmpeg_left)  # fmt: skip
        return not any(counts) and self.metrics_agree


def verify(cluster: SoakCluster, client: httpx.Client, tasks: list[dict[str, Any]],
           file_ids: list[str]) -> Verdict:  # fmt: skip
    verdict = Verdict()
    statuses = [client.get(f"/videos/task/{t['task_id']}").json() for t in tasks]
    done = [s for s in statuses if s.get("state") == "SUCCESS"]
    verdict.succeeded, verdict.lost = len(done), len(statuses) - len(done)
    verdict.problems += [f"{s['task_id']}: {s.get('state')} {s.get('error', '')}"
                         for s in statuses if s.get("state") != "SUCCESS"]  # fmt: skip
    durations = {f: client.get(f"/videos/{f}").json()["duration_s"] for f in file_ids}
    for status in done:
        if not _whole(cluster, status, durations[status["file_id"]]):
            verdict.broken += 1
            verdict.problems.append(f"{status['output_name']} is not whole")
    verdict.ffmpeg_left = len(cluster.ffmpeg_running())
    engine = build_engine(_settings(cluster))
    published = {
        k.decode(): v.decode() for k, v in engine.jobs.client.hgetall(PUBLISHED_KEY).items()
    }
    expected = {f"sources/{f}/{name}" for f in file_ids for name in ("source", "meta.json")}
    for status in done:
        main = published.get(status["output_name"])
        if main is None:
            verdict.missing += 1
            continue
        expected.add(f"outputs/{main}")
        if main.endswith(".m3u8"):
            playlist = b"".join(engine.storage.read(f"outputs/{main}")).decode()
            expected |= {f"outputs/{uri}" for uri in playlist_uris(playlist)}
    # Orphans are swept after a grace period; the soak lets that period pass at once.
    swept = orphans.sweep(engine, SourceCatalog(engine.jobs.client), now=time.time() + 10**7)
    verdict.swept = swept.outputs + swept.uploads
    stored = {key for key, _ in engine.storage.list_keys("")}
    # Previews and storyboards of the files are caches, made again when missing: neither
    # lost when absent nor orphans when present (a storyboard cut short by a fault is
    # finished by its next request).
    stored = {
        key for key in stored if not key.startswith(tuple(f"previews/{f}/" for f in file_ids))
    }
    verdict.orphans = len(stored - expected)
    verdict.missing += len(expected - stored)
    verdict.problems += [f"orphan: {k}" for k in sorted(stored - expected)]
    verdict.problems += [f"missing: {k}" for k in sorted(expected - stored)]
    mains: dict[str, int] = {}
    for key in stored:
        found = attempt_owner(key.removeprefix("outputs/"))
        # An attempt's main object (`{stem}.mp4`), not a segment (`{stem}_00001.ts`).
        if found and key.removeprefix("outputs/").startswith(f"{found[1]}."):
            mains[found[0][0]] = mains.get(found[0][0], 0) + 1
    counters = _counters(client.get("/metrics").text)
    verdict.doubled = sum(1 for n in mains.values() if n > 1)
    verdict.doubled += max(0, int(counters.get("jobs_succeeded", 0)) - verdict.succeeded)
    verdict.metrics_agree = (
        counters.get("jobs_succeeded", 0) == verdict.succeeded
        and counters.get("jobs_submitted", 0) == len(tasks)
        and counters.get("jobs_failed", 0) == 0
        and counters.get("jobs_active", -1) == 0
    )
    if not verdict.metrics_agree:
        verdict.problems.append(f"metrics: {counters}")
    return verdict


def _settings(cluster: SoakCluster) -> Settings:
    return Settings(
        _env_file=None, redis_url=cluster.redis_url, s3_endpoint=f"127.0.0.1:{cluster.s3.port}",
        s3_access_key=ACCESS_KEY, s3_secret_key=SECRET_KEY, s3_bucket=cluster.bucket,
        data_dir=cluster.root / "verify",
    )  # fmt: skip


def _whole(cluster: SoakCluster, status: dict[str, Any], source_s: float) -> bool:
    binaries = locate(None, None)
    probe = subprocess.run(
        [binaries.ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
         f"{cluster.api_url}/videos/stream/{status['output_name']}"],
        capture_output=True, text=True, env=binaries.process_env, timeout=120,
    )  # fmt: skip
    try:
        return abs(float(probe.stdout.strip()) - source_s) <= DURATION_TOLERANCE_S
    except ValueError:
        return False


def _counters(text: str) -> dict[str, float]:
    totals: dict[str, float] = {}
    for name, value in _COUNTER.findall(text):
        totals[name] = totals.get(name, 0.0) + float(value)
    return totals
