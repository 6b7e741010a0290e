"""The Celery adapter: configuration every broker client shares, and the hard-limit record."""

from __future__ import annotations

from typing import Any

from celery.exceptions import TimeLimitExceeded

from videoforge.engine import Engine
from videoforge.errors import NotFound
from videoforge.jobs import broker, celery_app
from videoforge.jobs.names import TASK_NAME
from videoforge.models import JobState
from videoforge.settings import Settings

SETTINGS = Settings(
    _env_file=None,
    redis_url="redis://127.0.0.1:1/0",
    task_time_limit_s=600,
    task_soft_time_limit_s=500,
)


def _unbuildable(_settings: Settings, _timeouts: tuple[type[BaseException], ...]) -> Engine:
    raise AssertionError("no engine is built to configure an app")


def test_long_job_settings() -> None:
    for app in (broker.celery_client(SETTINGS), celery_app.create_celery(SETTINGS, _unbuildable)):
        conf = app.conf
        assert conf.task_acks_late and conf.task_reject_on_worker_lost
        assert conf.worker_prefetch_multiplier == 1
        assert (conf.task_time_limit, conf.task_soft_time_limit) == (600, 500)
        # Above the hard limit, so a healthy job is never redelivered while it runs.
        assert conf.broker_transport_options["visibility_timeout"] == 900
        assert conf.task_ignore_result


def test_senders_register_no_task() -> None:
    # The API sends with a bare client; only the worker's app has the task (and its pipeline).
    assert TASK_NAME not in broker.celery_client(SETTINGS).tasks
    assert TASK_NAME in celery_app.create_celery(SETTINGS, _unbuildable).tasks


class _Jobs:
    def __init__(self) -> None:
        self.updates: list[tuple[str, dict[str, Any]]] = []
        self.looked_up: list[str] = []

    def update(self, task_id: str, **changes: Any) -> None:
        self.updates.append((task_id, changes))

    def get(self, task_id: str) -> Any:
        # After a hard limit, the job's partial output is looked for (segments.resume).
        self.looked_up.append(task_id)
        raise NotFound(f"no task {task_id}")


def test_hard_time_limit_records_failure() -> None:
    jobs = _Jobs()
    built: list[tuple[type[BaseException], ...]] = []

    def build(_settings: Settings, timeouts: tuple[type[BaseException], ...]) -> Any:
        built.append(timeouts)
        return Engine(SETTINGS, storage=None, jobs=jobs, binaries=None, metrics=None)  # type: ignore[arg-type]

    task = celery_app.create_celery(SETTINGS, build).tasks[TASK_NAME]
    task.on_failure(TimeLimitExceeded(600), "t-1", ["t-1"], {}, None)
    task.on_failure(ValueError("other"), "t-2", ["t-2"], {}, None)
    assert jobs.updates == [
        ("t-1", {"state": JobState.FAILURE, "error": "timeout: hard limit of 600 s reached"})
    ]
    assert jobs.looked_up == ["t-1"]
    # The engine is built once per process, with Celery's soft limit as its timeout error.
    assert len(built) == 1 and built[0][0].__name__ == "SoftTimeLimitExceeded"
