"""Job metrics kept in Redis, so every API and worker process on every host adds to the same
numbers, and any API replica's `/metrics` shows the whole cluster in Prometheus text format."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import redis
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from videoforge.jobs.names import ACTIVE_JOBS_KEY, METRICS_KEY
from videoforge.jobs.queues import queue_lists
from videoforge.jobs.records import decoded
from videoforge.models import PRIORITIES

log = logging.getLogger(__name__)

DURATION_BUCKETS_S = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600)
SPEED_BUCKETS_X = (0.25, 0.5, 1, 2, 4, 8, 16, 32)
# A phase may take a millisecond (probing a local file) or hours (encoding a long ladder).
PHASE_BUCKETS_S = (0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
                   300, 600, 1800, 3600, 7200, 14400)  # fmt: skip
JOB_COUNTERS = {  # labelled by output format
    "jobs_submitted": "Transcode jobs accepted by the API",
    "jobs_succeeded": "Jobs that ended in SUCCESS",
    "jobs_failed": "Jobs that ended in FAILURE",
    "jobs_retried": "Attempts that failed transiently and were retried",
}
BYTE_COUNTERS = {
    "upload_bytes": "Bytes of accepted uploads",
    "served_bytes": "Bytes sent by /videos/stream and /videos/download",
}
KIND_COUNTERS = {  # labelled by kind
    "orphans_swept": "Stored objects no record pointed to, removed after a grace period",
    "webhook_deliveries": "Webhook tries: delivered, failed_try, gave_up (by kind)",
}
HISTOGRAMS = {  # help, buckets, labels (a field's label values are joined by commas)
    "job_duration_seconds": ("From submission to SUCCESS", DURATION_BUCKETS_S, ("format",)),
    "encode_speed_ratio": (
        "Media seconds encoded per wall-clock second",
        SPEED_BUCKETS_X,
        ("format",),
    ),
    "job_phase_seconds": (
        "Where succeeded jobs' time went: queued, fetch, probe, encode, publish, total "
        "(an import's download instead of fetch and encode)",
        PHASE_BUCKETS_S,
        ("phase", "format"),
    ),
}


class JobMetrics:
    """Counters and histograms as fields of one Redis hash; writes never fail a caller."""

    def __init__(self, client: redis.Redis, queue_name: str) -> None:
        self.client = client
        self.queue_name = queue_name

    def count(self, name: str, fmt: str = "", amount: int = 1) -> None:
        self._write(lambda pipe: pipe.hincrby(METRICS_KEY, f"{name}|{fmt}", amount))

    def observe(self, name: str, fmt: str, value: float) -> None:
        """Add `value` to histogram `name`; `fmt` holds its label values, comma-separated."""
        _, buckets, _ = HISTOGRAMS[name]

        def write(pipe: Any) -> None:
            for bound in (*buckets, "+Inf"):
                if bound == "+Inf" or value <= float(bound):
                    pipe.hincrby(METRICS_KEY, f"{name}|{fmt}|{bound}", 1)
            pipe.hincrbyfloat(METRICS_KEY, f"{name}|{fmt}|sum", value)

        self._write(write)

    def _write(self, commands: Any) -> None:
        try:
            pipe = self.client.pipeline()
            commands(pipe)
            pipe.execute()
        except redis.RedisError as exc:
            log.debug("metrics not recorded: %s", exc)

    def snapshot(self) -> tuple[dict[str, float], dict[str, int], int]:
        """All hash fields, the queue depth per priority and the number of unfinished jobs."""
        pipe = self.client.pipeline()
        pipe.hgetall(METRICS_KEY)
        for name in queue_lists(self.queue_name):
            pipe.llen(name)
        pipe.scard(ACTIVE_JOBS_KEY)
        fields, *lengths, active = pipe.execute()
        depths = {p: int(n) for p, n in zip(PRIORITIES, lengths, strict=True)}
        return {decoded(k): float(v) for k, v in fields.items()}, depths, int(active)


class RedisCollector(Collector):
    """Turns the shared hash into Prometheus families at scrape time."""

    def __init__(self, metrics: JobMetrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Any]:
        fields, depths, active = self.metrics.snapshot()
        depth = GaugeMetricFamily(
            "videoforge_queue_depth", "Messages waiting in the queue", labels=["priority"]
        )
        for priority, waiting in depths.items():
            depth.add_metric([priority], waiting)
        yield depth
        yield GaugeMetricFamily("videoforge_jobs_active", "Jobs not yet finished", active)
        for label, counters in (("format", JOB_COUNTERS), ("kind", KIND_COUNTERS)):
            for name, help_text in counters.items():
                yield _labelled(name, help_text, label, fields)
        for name, help_text in BYTE_COUNTERS.items():
            yield CounterMetricFamily(
                f"videoforge_{name}", help_text, value=fields.get(f"{name}|", 0.0)
            )
        for name, (help_text, buckets, labels) in HISTOGRAMS.items():
            yield _histogram(name, (help_text, buckets, labels), fields)


def _labelled(name: str, help_text: str, label: str, fields: dict[str, float]) -> Any:
    family = CounterMetricFamily(f"videoforge_{name}", help_text, labels=[label])
    for key, value in fields.items():
        parts = key.split("|")
        if len(parts) == 2 and parts[0] == name:
            family.add_metric([parts[1]], value)
    return family


def _histogram(
    name: str, spec: tuple[str, tuple[float, ...], tuple[str, ...]], fields: dict[str, float]
) -> HistogramMetricFamily:
    help_text, buckets, labels = spec
    family = HistogramMetricFamily(f"videoforge_{name}", help_text, labels=list(labels))
    series = {key.split("|")[1] for key in fields if key.startswith(f"{name}|")}
    for values in sorted(series):
        counts = [(str(b), fields.get(f"{name}|{values}|{b}", 0.0)) for b in (*buckets, "+Inf")]
        sum_value = fields.get(f"{name}|{values}|sum", 0.0)
        family.add_metric(values.split(","), counts, sum_value=sum_value)
    return family
