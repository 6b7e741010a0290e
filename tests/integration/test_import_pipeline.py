"""An import through pipeline.run_job on real parts (Valkey, local storage, ffprobe) from a
real HTTP origin on loopback: success lists the file, a 503 is retried by the pipeline's
rules, a cancel stops the download and lists nothing."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import make_clip
from tests.integration.conftest import wait_until
from tests.origin import Origin, Route, origin
from videoforge import sources
from videoforge.catalog import SourceCatalog
from videoforge.engine import Engine
from videoforge.jobs.metrics import JobMetrics
from videoforge.jobs.names import QUEUE
from videoforge.jobs.store import JobStore
from videoforge.media.binaries import FFmpegBinaries
from videoforge.models import Job, JobKind, JobState, OutputFormat
from videoforge.pipeline import RetryLater, run_job
from videoforge.runtime.wiring import redis_client
from videoforge.settings import Settings
from videoforge.storage.local import LocalStorage


@pytest.fixture
def engine(valkey: str, tmp_path: Path, binaries: FFmpegBinaries) -> Iterator[Engine]:
    client = redis_client(valkey)
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", import_allow_private=True)
    storage = LocalStorage(settings.data_dir / "objects")
    yield Engine(settings, storage, JobStore(client), binaries, JobMetrics(client, QUEUE))
    client.close()


@pytest.fixture
def server() -> Iterator[Origin]:
    with origin() as served:
        yield served


def _import_job(engine: Engine, url: str) -> Job:
    job = Job(
        str(uuid.uuid4()), uuid.uuid4().hex, "", "", OutputFormat.MP4, 0, 0,
        kind=JobKind.IMPORT, source_url=url,
    )  # fmt: skip
    engine.jobs.create(job)
    return job


def test_an_import_becomes_a_listed_file(
    engine: Engine, server: Origin, tmp_path: Path, binaries: FFmpegBinaries
) -> None:
    clip = make_clip(binaries, tmp_path / "clip.mp4", "320x240", 2)
    job = _import_job(engine, server.serve("/v/clip.mp4", Route(body=clip.read_bytes())))
    assert run_job(job.task_id, engine) is None
    record = engine.jobs.get(job.task_id)
    assert record.state is JobState.SUCCESS, record.error
    assert record.result and record.result["file_id"] == job.file_id
    assert record.timings and list(record.timings) == [
        "queued", "download", "probe", "publish", "total"
    ]  # fmt: skip
    source = sources.lookup(engine, job.file_id)
    assert (source.original_name, source.media.width) == ("clip.mp4", 320)
    assert SourceCatalog(engine.jobs.client).has(job.file_id)
    assert list(engine.settings.temp_dir.iterdir()) == []


def test_a_busy_origin_is_tried_again_by_the_pipelines_rules(
    engine: Engine, server: Origin, tmp_path: Path, binaries: FFmpegBinaries
) -> None:
    url = server.serve("/busy.mp4", Route(503))
    job = _import_job(engine, url)
    assert run_job(job.task_id, engine) == RetryLater(5.0)
    record = engine.jobs.get(job.task_id)
    assert record.state is JobState.RETRY and "answered 503" in (record.error or "")
    clip = make_clip(binaries, tmp_path / "clip.mp4", "320x240", 2)
    server.serve("/busy.mp4", Route(body=clip.read_bytes()))
    assert run_job(job.task_id, engine) is None
    assert engine.jobs.get(job.task_id).state is JobState.SUCCESS


def test_a_cancel_stops_the_download_and_lists_nothing(engine: Engine, server: Origin) -> None:
    url = server.serve("/slow.mp4", Route(body=b"x" * 100_000, drip_s=0.001))
    job = _import_job(engine, url)
    runner = threading.Thread(target=run_job, args=(job.task_id, engine))
    runner.start()
    wait_until(lambda: engine.jobs.state(job.task_id) is JobState.PROGRESS, "the download")
    progress = engine.jobs.get(job.task_id).progress
    assert progress and progress.total_bytes == 100_000 and progress.received_bytes
    assert engine.jobs.update(job.task_id, state=JobState.REVOKED, error="cancelled")
    runner.join(timeout=60)
    assert not runner.is_alive()
    assert engine.jobs.get(job.task_id).state is JobState.REVOKED
    assert not SourceCatalog(engine.jobs.client).has(job.file_id)
    assert list(engine.settings.temp_dir.iterdir()) == []
