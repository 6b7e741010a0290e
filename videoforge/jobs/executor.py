"""The Executor port: how a saved job gets run. Implementations: Celery (workers) and inline."""

from __future__ import annotations

from typing import Protocol


class Executor(Protocol):
    """Runs saved jobs somewhere; `submit` never blocks on the work itself."""

    def submit(self, task_id: str, priority: str = "normal") -> None:
        """Queue a job whose record is already saved; queued high jobs start before normal
        ones, normal before low."""

    def queue_position(self, task_id: str, priority: str) -> int | None:
        """Where a queued job stands, 1 = next to start; None when it is not waiting."""

    def make_storyboard(self, file_id: str, delay_s: float = 0.0) -> None:
        """Queue a file's storyboard, best effort (a GET asks again if it is lost), to start
        no sooner than `delay_s` from now."""

    def has_live_worker(self) -> bool:
        """True when something is ready to run jobs."""

    def close(self) -> None:
        """Release resources at shutdown."""
