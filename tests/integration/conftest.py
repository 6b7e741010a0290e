"""Real parts for pipeline tests: a Valkey, local storage that can fail on purpose, ffmpeg."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import make_clip
from videoforge.engine import Engine
from videoforge.errors import TransientError
from videoforge.jobs.metrics import JobMetrics
from videoforge.jobs.names import QUEUE
from videoforge.jobs.store import JobStore
from videoforge.media import run
from videoforge.media.binaries import FFmpegBinaries
from videoforge.models import Job, OutputFormat, SourceFile
from videoforge.runtime.valkey import EmbeddedValkey
from videoforge.runtime.wiring import redis_client
from videoforge.settings import Settings
from videoforge.storage import meta_key, source_key
from videoforge.storage.local import LocalStorage

EngineFactory = Callable[..., tuple[Engine, Job]]


class FlakyStorage(LocalStorage):
    """Local storage whose writes fail `failures` times first, as an outage would."""

    def __init__(self, root: Path, failures: int) -> None:
        super().__init__(root)
        self.failures = failures

    def put_file(self, key: str, path: Path) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise TransientError("storage write failed: Connection refused")
        super().put_file(key, path)


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    """Poll a condition until it holds; fail naming `what` after a generous deadline."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def job_objects(engine: Engine, job: Job) -> list[str]:
    """Every stored output object of a job, whichever attempt wrote it (local storage)."""
    folder = engine.settings.data_dir / "objects" / "outputs"
    stem = job.output_name.rpartition(".")[0]
    return sorted(p.name for p in folder.glob(f"{stem}*")) if folder.is_dir() else []


@pytest.fixture(scope="module")
def valkey(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = EmbeddedValkey(tmp_path_factory.mktemp("valkey"))
    yield server.start()
    server.stop()


@pytest.fixture
def jobs(valkey: str) -> Iterator[JobStore]:
    """A job store on the module's Valkey."""
    client = redis_client(valkey)
    yield JobStore(client)
    client.close()


@pytest.fixture
def engine_for(valkey: str, tmp_path: Path, binaries: FFmpegBinaries) -> Iterator[EngineFactory]:
    clips = {
        "short": make_clip(binaries, tmp_path / "clip.mp4", "320x240", 2),
        "long": tmp_path / "long.mp4",
    }
    client = redis_client(valkey)

    def build(
        failures: int = 0, max_retries: int = 3, clip: str = "short", **settings_: object
    ) -> tuple[Engine, Job]:
        if clip == "long" and not clips["long"].exists():
            make_clip(binaries, clips["long"], "1280x720", 20)
        settings = Settings(
            _env_file=None, data_dir=tmp_path / "data", max_retries=max_retries, **settings_
        )
        storage = FlakyStorage(settings.data_dir / "objects", failures)
        file_id = uuid.uuid4().hex
        LocalStorage.put_file(storage, source_key(file_id), clips[clip])
        # The file's record, as an upload keeps it: a worker reads what the source is there.
        record = SourceFile(file_id, f"{file_id}.mp4", f"{clip}.mp4", source_key(file_id),
                            run.probe_media(binaries, clips[clip]), time.time())  # fmt: skip
        storage.put_bytes(meta_key(file_id), json.dumps(record.to_dict()).encode())
        metrics = JobMetrics(client, queue_name=QUEUE)
        engine = Engine(settings, storage, JobStore(client), binaries, metrics)
        job = Job(
            str(uuid.uuid4()),
            file_id,
            f"{file_id}_320x240_x.mp4",
            "320:240",
            OutputFormat.MP4,
            320,
            240,
        )
        engine.jobs.create(job)
        return engine, job

    yield build
    client.close()
