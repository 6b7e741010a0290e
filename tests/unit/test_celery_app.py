"""The Celery adapter: configuration every broker client shares, and the hard-limit record."""

from __future__ import annotations

from typing import Any

import pytest
from celery.exceptions import TimeLimitExceeded

from videoforge.jobs import celery_app
from videoforge.models import JobState
from videoforge.settings import Settings

SETTINGS = Settings(
    _env_file=None,
    redis_url="redis://127.0.0.1:1/0",
    task_time_limit=600,
    task_soft_time_limit=500,
)


def test_long_job_settings() -> None:
    conf = celery_app.create_celery(SETTINGS).conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert (conf.task_time_limit, conf.task_soft_time_limit) == (600, 500)
    # Above the hard limit, so a healthy job is never redelivered while it runs.
    assert conf.broker_transport_options == {"visibility_timeout": 900}
    assert conf.task_ignore_result


class _Jobs:
    def __init__(self) -> None:
        self.updates: list[tuple[str, dict[str, Any]]] = []

    def update(self, task_id: str, **changes: Any) -> None:
        self.updates.append((task_id, changes))


def test_hard_time_limit_records_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    jobs = _Jobs()
    monkeypatch.setattr(celery_app, "_engine", lambda _settings: type("E", (), {"jobs": jobs}))
    task = celery_app.create_celery(SETTINGS).tasks[celery_app.TASK_NAME]
    task.on_failure(TimeLimitExceeded(600), "t-1", ["t-1"], {}, None)
    task.on_failure(ValueError("other"), "t-2", ["t-2"], {}, None)
    assert jobs.updates == [
        ("t-1", {"state": JobState.FAILURE, "error": "timeout: hard limit of 600 s reached"})
    ]
