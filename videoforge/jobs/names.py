"""Every name videoforge shares between processes: the Celery queue and task, and each Redis
key. Processes on different hosts must agree on these, so they are spelled here only."""

from __future__ import annotations

PREFIX = "videoforge"
# The Celery queue (a Redis list of that name) and the one task on it.
QUEUE = "videoforge"
TASK_NAME = "videoforge.transcode"
# A file's background work after its upload (its storyboard); on the same queue.
STORYBOARD_TASK_NAME = "videoforge.storyboard"

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
# Which attempt's objects each finished output is: public output name -> published name.
PUBLISHED_KEY = f"{PREFIX}:published"
# Held by the one reaper (of all workers) that runs this round, and by the one sweeper.
REAPER_LOCK_KEY = f"{PREFIX}:reaper"
SWEEPER_LOCK_KEY = f"{PREFIX}:sweeper"
# API keys (hashed) and the key that signs stream URLs (see auth.py).
API_KEYS_KEY = f"{PREFIX}:apikeys"
SIGNING_KEY_KEY = f"{PREFIX}:stream-signing-key"
# A file being deleted takes no new jobs. The mark outlives the deletion: ids are never reused.
FILE_CLOSED_TTL_S = 7 * 24 * 3600


def job_key(task_id: str) -> str:
    return f"{PREFIX}:job:{task_id}"


def file_jobs_key(file_id: str) -> str:
    return f"{PREFIX}:file:{file_id}:jobs"


def lease_key(task_id: str) -> str:
    return f"{PREFIX}:lease:{task_id}"


def file_closed_key(file_id: str) -> str:
    return f"{PREFIX}:file:{file_id}:closed"
