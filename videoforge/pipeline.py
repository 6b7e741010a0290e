"""run_job: one attempt of a job under a lease, and what its outcome means for the record.

Both executors (Celery task, in-process threads) are thin adapters over `run_job`. It decides
which failures are worth another attempt; `attempt.py` does the work itself.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from videoforge import attempt as attempts
from videoforge import sources
from videoforge.catalog import SourceCatalog
from videoforge.engine import Engine
from videoforge.errors import TransientError, VideoforgeError
from videoforge.imports.attempt import run_import
from videoforge.jobs.lease import Cancelled, Guard, Heartbeat, Interrupted, LeaseLost
from videoforge.jobs.timings import job_timings
from videoforge.models import Job, JobKind, JobState
from videoforge.runtime import logs
from videoforge.segments.parallel import drop_items
from videoforge.segments.resume import remove_partial, resumes_live
from videoforge.storage import discard

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryLater:
    """run_job's answer when a transient failure deserves another attempt."""

    delay_s: float


def retry_delay_s(attempt: int) -> float:
    """Exponential backoff between attempts: 5, 10, 20 ... capped at 60 seconds."""
    return float(min(60, 5 * 2 ** (attempt - 1)))


def run_job(
    task_id: str, engine: Engine, stop: threading.Event | None = None, worker: str | None = None
) -> RetryLater | None:
    """Run one attempt of a job and record its outcome; ask for a retry when that may help.

    `stop`, when set, interrupts the attempt (ffmpeg is killed) and returns the job to the
    queue without counting the attempt. `worker` names who runs it, for the record.
    """
    try:
        job = engine.jobs.get(task_id)
        with logs.job_context(task_id, job.file_id):
            return _leased(job, engine, stop, worker or "worker")
    except TransientError as exc:
        # The job store itself is unreachable, so nothing can be recorded: try again later.
        log.warning("task %s could not be run (%s); retry later", task_id, exc.message)
        return RetryLater(retry_delay_s(1))


def _leased(
    job: Job, engine: Engine, stop: threading.Event | None, worker: str
) -> RetryLater | None:
    if job.state.is_terminal:
        log.info("task %s already %s; duplicate delivery ignored", job.task_id, job.state)
        return None
    attempt_tag = uuid.uuid4().hex[:8]
    token = f"{worker}/{attempt_tag}"
    ttl_s = engine.settings.lease_ttl_s
    if not engine.jobs.acquire_lease(job.task_id, token, ttl_s):
        holder = engine.jobs.lease_holder(job.task_id)
        log.info("task %s is running on %s; duplicate delivery leaves", job.task_id, holder)
        return None
    with Heartbeat(engine.jobs, job.task_id, token, ttl_s) as beat:
        guard = Guard(engine.jobs, job.task_id, beat, stop)
        return _counted(job, engine, guard, worker, token, attempt_tag)


def _counted(
    job: Job, engine: Engine, guard: Guard, worker: str, token: str, attempt_tag: str
) -> RetryLater | None:
    task_id = job.task_id
    attempt = engine.jobs.start_attempt(task_id)
    if attempt is None:
        log.info("task %s finished meanwhile; duplicate delivery leaves", task_id)
        return None
    if attempt > engine.settings.max_retries:
        # Only redeliveries get here (a worker lost mid-job, e.g. OOM-killed): stop the loop.
        lost = f"gave up after {attempt - 1} attempts: the worker running it was lost"
        _fail(job, engine, lost, token)
        return None
    job.started_at, job.worker = time.time(), worker
    engine.jobs.update(
        task_id, lease=token, state=JobState.STARTED, progress=None, worker=worker,
        started_at=job.started_at,
    )  # fmt: skip
    log.info("task %s file %s attempt %d started on %s", task_id, job.file_id, attempt, worker)
    try:
        outcome = _run_attempt(job, engine, guard, attempt_tag)
    except TransientError as exc:
        return _transient_failure(job, engine, attempt, exc.message, token)
    except (SystemExit, KeyboardInterrupt, Interrupted):
        # The worker is stopping; the job goes back to the queue and this run does not count.
        log.warning("task %s interrupted by shutdown; it will run again", task_id)
        engine.jobs.update(
            task_id, lease=token, state=JobState.PENDING, progress=None, attempts=attempt - 1
        )
        raise
    except Cancelled:
        log.info("task %s cancelled; ffmpeg stopped", task_id)
        remove_partial(engine.jobs, engine.storage, task_id)
    except LeaseLost:
        log.warning("task %s: lease lost, another attempt owns the job; nothing written", task_id)
    except engine.timeout_errors:
        limit_s = engine.settings.task_soft_time_limit_s
        _fail(job, engine, f"timeout: job ran longer than {limit_s} s", token)
    except VideoforgeError as exc:
        _fail(job, engine, exc.message, token)
    except Exception as exc:
        log.exception("task %s failed unexpectedly", task_id)
        _fail(job, engine, f"internal error: {type(exc).__name__}: {exc}", token)
    else:
        _succeed(job, engine, outcome, token)
    return None


def _run_attempt(job: Job, engine: Engine, guard: Guard, attempt_tag: str) -> attempts.Outcome:
    if job.kind is JobKind.IMPORT:
        return run_import(job, engine, guard, attempt_tag)
    return attempts.run_attempt(job, engine, guard, attempt_tag)


def _label(job: Job) -> str:
    """A job's label in /metrics: its output format, or `import`."""
    return job.kind.value if job.kind is JobKind.IMPORT else job.format.value


def _succeed(job: Job, engine: Engine, outcome: attempts.Outcome, token: str) -> None:
    finished_at = time.time()
    timings = job_timings(job.created_at, job.started_at or finished_at, finished_at,
                          outcome.phases_s)  # fmt: skip
    if not engine.jobs.commit(
        job, token, outcome.published_name, outcome.result,
        finished_at=finished_at, timings=timings,
    ):  # fmt: skip
        # Cancelled, or taken over by another attempt, between the last check and now. Only
        # this attempt's own objects go: whatever a winner committed is under other names
        # (but for a live output, resumed under the same names: see below).
        if job.kind is JobKind.IMPORT:  # the file it listed goes too
            SourceCatalog(engine.jobs.client).remove(job.file_id)
        if resumes_live(job):
            # Its names are shared with the attempt it resumed or that resumed it: only a job
            # that ended without SUCCESS loses them, all at once.
            remove_partial(engine.jobs, engine.storage, job.task_id)
        else:
            discard(engine.storage, outcome.keys)
        log.info("task %s: this attempt's outputs removed, the job moved on", job.task_id)
        return
    log.info("task %s file %s succeeded: %s", job.task_id, job.file_id, job.output_name)
    if job.kind is JobKind.TRANSCODE:  # a split job's items are in its output now
        with contextlib.suppress(VideoforgeError):  # a leftover expires; its objects are swept
            drop_items(engine.jobs, engine.storage, job.task_id)
    _count_success(job, engine, outcome.result, timings)


def _count_success(
    job: Job, engine: Engine, result: dict[str, Any], timings: dict[str, float]
) -> None:
    fmt = _label(job)
    engine.metrics.count("jobs_succeeded", fmt)
    engine.metrics.observe("job_duration_seconds", fmt, timings["total"])
    if result.get("speed"):
        engine.metrics.observe("encode_speed_ratio", fmt, float(result["speed"]))
    for phase, seconds in timings.items():
        engine.metrics.observe("job_phase_seconds", f"{phase},{fmt}", seconds)


def _transient_failure(
    job: Job, engine: Engine, attempt: int, reason: str, token: str
) -> RetryLater | None:
    if attempt >= engine.settings.max_retries:
        _fail(job, engine, f"{reason} (after {attempt} attempts)", token)
        return None
    delay_s = retry_delay_s(attempt)
    log.warning(
        "task %s attempt %d failed (%s); retry in %.0f s", job.task_id, attempt, reason, delay_s
    )
    retry_at = time.time() + delay_s
    if not engine.jobs.update(
        job.task_id, lease=token, state=JobState.RETRY, error=reason, retry_at=retry_at
    ):
        return None  # finished, cancelled or taken over meanwhile: nothing to retry here
    engine.metrics.count("jobs_retried", _label(job))
    return RetryLater(delay_s)


def storyboard_task(engine: Engine, file_id: str) -> None:
    """A file's storyboard, made by a worker after its upload. Failures are logged, not
    retried: the storyboard's GET queues it again (see http/previews.py)."""
    with logs.job_context("storyboard", file_id):
        try:
            if sources.make_storyboard(engine, file_id):
                log.info("storyboard of %s made", file_id)
        except VideoforgeError as exc:
            log.warning("storyboard of %s not made: %s", file_id, exc.message)
        except Exception:
            log.exception("storyboard of %s not made", file_id)


def _fail(job: Job, engine: Engine, reason: str, token: str = "") -> None:
    if not engine.jobs.update(job.task_id, lease=token, state=JobState.FAILURE, error=reason):
        log.info("task %s: failure not recorded, the job moved on (%s)", job.task_id, reason)
        return
    log.warning("task %s file %s failed: %s", job.task_id, job.file_id, reason)
    engine.metrics.count("jobs_failed", _label(job))
    remove_partial(engine.jobs, engine.storage, job.task_id)
