"""The bags of ports that processes pass around, built once per process by `runtime.wiring`:
Engine is what a job needs (workers and the API alike); Services adds what only the API needs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from videoforge.auth import KeyStore
from videoforge.catalog import SourceCatalog
from videoforge.jobs.executor import Executor
from videoforge.jobs.metrics import JobMetrics
from videoforge.jobs.presets import PresetStore
from videoforge.jobs.store import JobStore
from videoforge.media.binaries import FFmpegBinaries
from videoforge.settings import Settings
from videoforge.storage import Storage

if TYPE_CHECKING:  # boto3 is loaded only where S3 storage is used
    from videoforge.storage.multipart import S3Multipart


@dataclass(frozen=True)
class Engine:
    """What a pipeline run needs: settings, storage, the job store, ffmpeg and metrics."""

    settings: Settings
    storage: Storage
    jobs: JobStore
    binaries: FFmpegBinaries
    metrics: JobMetrics
    # Exceptions an executor raises into a job when its own time limit expires.
    timeout_errors: tuple[type[BaseException], ...] = ()
    # Queues `count` helpers for a split job (task id, priority, count): the executor's
    # (see segments.parallel); None: the job's own attempt does every item.
    ask_helpers: Callable[[str, str, int], None] | None = None


@dataclass(frozen=True)
class Services:
    """What the API needs: the engine, an executor, API keys and the source catalog."""

    engine: Engine
    executor: Executor
    keys: KeyStore
    catalog: SourceCatalog
    auth_required: bool
    presets: PresetStore
    # Direct uploads' S3 multipart calls (S3 storage only).
    multipart: S3Multipart | None = None
