"""Every name videoforge shares between processes: the Celery queue and task, and each Redis
key. Processes on different hosts must agree on these, so they are spelled here only."""

from __future__ import annotations

PREFIX = "videoforge"
# The Celery queue (a Redis list of that name) and the one task on it.
QUEUE = "videoforge"
TASK_NAME = "videoforge.transcode"
# A file's background work after its upload (its storyboard); on the same queue.
STORYBOARD_TASK_NAME = "videoforge.storyboard"
# Job priorities, highest first, and kombu's priority number for each (0 is kombu's highest on
# Redis). The queue is one Redis list per number (see jobs/queues.py): QUEUE itself for 0,
# then QUEUE + PRIORITY_SEP + number; workers pop them in this order.
PRIORITY_NUMBERS = {"high": 0, "normal": 3, "low": 6}
PRIORITY_SEP = "\x06\x16"  # kombu's default separator, passed explicitly to every client

MAX_TASK_ID_CHARS = 64

# Every job by creation time, for listing newest first.
RECENT_JOBS_KEY = f"{PREFIX}:jobs:recent"
# The source catalog (see catalog.py): file ids by upload time, and their records.
FILES_KEY = f"{PREFIX}:files"
FILE_RECORDS_KEY = f"{PREFIX}:files:records"
# Jobs not yet SUCCESS or FAILURE: what a restarted executor or a reaper must look at.
ACTIVE_JOBS_KEY = f"{PREFIX}:jobs:active"
# One hash of counters and histogram buckets shared by every process (see jobs/metrics.py).
METRICS_KEY = f"{PREFIX}:metrics"
# Which attempt's objects each output is: public output name -> published name. Set at
# SUCCESS, or for an HLS output published as it is made, from its first segment on.
PUBLISHED_KEY = f"{PREFIX}:published"
# Held by the one reaper (of all workers) that runs this round, and by the one sweeper.
REAPER_LOCK_KEY = f"{PREFIX}:reaper"
SWEEPER_LOCK_KEY = f"{PREFIX}:sweeper"
# API keys (hashed) and the key that signs stream URLs (see auth.py).
API_KEYS_KEY = f"{PREFIX}:apikeys"
SIGNING_KEY_KEY = f"{PREFIX}:stream-signing-key"
# Presets (see jobs/presets.py): the names of the stored ones; each has a hash of versions.
PRESETS_KEY = f"{PREFIX}:presets"
# The change feed (a Redis stream): one entry per reported change, written by the same
# script as the change itself; webhooks fan out from it (see webhooks/).
EVENTS_KEY = f"{PREFIX}:events"
EVENTS_GROUP = "webhooks"  # the consumer group that turns events into deliveries
# A cap on the feed's length, for Redis's memory when no dispatcher runs for a long time
# (WEBHOOK_DISPATCHER=false everywhere): past it the oldest events go. A running dispatcher
# keeps the feed to about ten minutes of history plus what it has not read yet.
EVENTS_MAX_LEN = 1_000_000
PROGRESS_EVENT_INTERVAL_S = 5.0  # job.progress at most this often per job
# Webhook endpoints (one hash of JSON records), deliveries due by time, the server's
# secret for callback URLs.
WEBHOOKS_KEY = f"{PREFIX}:webhooks"
WEBHOOKS_DUE_KEY = f"{PREFIX}:webhooks:due"
EVENT_FAILURES_KEY = f"{PREFIX}:events:failures"  # events whose fan-out failed, and how often
CALLBACK_SECRET_KEY = f"{PREFIX}:webhooks:callback-secret"
# Live workers (see jobs/workers.py): name -> last heartbeat; each one's record expires.
WORKERS_KEY = f"{PREFIX}:workers"
# Resumable (tus) uploads still receiving, by expiry time: what the sweep reads.
TUS_EXPIRING_KEY = f"{PREFIX}:tus:expiring"
# A file being deleted takes no new jobs. The mark outlives the deletion: ids are never reused.
FILE_CLOSED_TTL_S = 7 * 24 * 3600


# The event each job state reports when a job enters it (none for the others).
EVENT_BY_STATE = {
    "PENDING": "job.queued",  # queued again (an attempt gave its turn back)
    "STARTED": "job.started",
    "PROGRESS": "job.progress",
    "FAILURE": "job.failed",
    "REVOKED": "job.cancelled",
}


def event_for_state(state: str | None) -> str:
    """The event a job entering `state` reports, or "" for none. SUCCESS is reported by the
    commit; a new job's PENDING by its creation, a requeued one's by the reaper's script."""
    return EVENT_BY_STATE.get(str(state), "") if state else ""


def job_key(task_id: str) -> str:
    return f"{PREFIX}:job:{task_id}"


def file_jobs_key(file_id: str) -> str:
    return f"{PREFIX}:file:{file_id}:jobs"


def lease_key(task_id: str) -> str:
    return f"{PREFIX}:lease:{task_id}"


def file_closed_key(file_id: str) -> str:
    return f"{PREFIX}:file:{file_id}:closed"


def progress_event_key(task_id: str) -> str:
    return f"{PREFIX}:job:{task_id}:progress-event"


def delivery_key(delivery_id: str) -> str:
    return f"{PREFIX}:webhooks:delivery:{delivery_id}"


def endpoint_deliveries_key(endpoint_id: str) -> str:
    return f"{PREFIX}:webhooks:{endpoint_id}:deliveries"


def preset_key(name: str) -> str:
    return f"{PREFIX}:preset:{name}"


def worker_key(name: str) -> str:
    return f"{PREFIX}:worker:{name}"


def worker_drain_key(name: str) -> str:
    """Set while a worker is to take no new job; kept across its restarts."""
    return f"{PREFIX}:worker:{name}:drain"


def tus_upload_key(upload_id: str) -> str:
    """A resumable upload's state (see resumable/store.py)."""
    return f"{PREFIX}:tus:{upload_id}"


def tus_lock_key(upload_id: str) -> str:
    """Held by the one request writing to a resumable upload."""
    return f"{PREFIX}:tus:{upload_id}:lock"


CHUNK_TASK_NAME = f"{PREFIX}.chunk"


def chunks_key(task_id: str) -> str:
    """A split job's work items: its plan, each item's result, progress and claim count."""
    return f"{PREFIX}:job:{task_id}:chunks"


def chunk_lease_prefix(task_id: str) -> str:
    """Followed by a work item's name: held by the one worker encoding that item."""
    return f"{PREFIX}:job:{task_id}:chunk-lease:"
