"""Logging for every videoforge process: text or JSON lines, with the job on every job line."""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import time
from collections.abc import Iterator
from typing import Any

from videoforge.settings import LogFormat, Settings

_job: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("job", default=None)


@contextlib.contextmanager
def job_context(task_id: str, file_id: str) -> Iterator[None]:
    """Within this block every log record carries task_id and file_id."""
    token = _job.set({"task_id": task_id, "file_id": file_id})
    try:
        yield
    finally:
        _job.reset(token)


# Celery's own task lines ("Task videoforge.transcode[<id>] received") name the task this way.
_CELERY_TASK = re.compile(r"\[([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\]")


class _JobFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        job = _job.get()
        record.task_id = job["task_id"] if job else ""
        record.file_id = job["file_id"] if job else ""
        if not job and record.name.startswith("celery"):
            match = _CELERY_TASK.search(record.getMessage())
            record.task_id = match.group(1) if match else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, task_id, file_id, exc."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in ("task_id", "file_id"):
            if getattr(record, field, ""):
                line[field] = getattr(record, field)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(settings: Settings) -> None:
    """Route the root logger to stderr in the configured format."""
    handler = logging.StreamHandler()
    handler.addFilter(_JobFilter())
    if settings.log_format is LogFormat.JSON:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
