"""The file catalog and the job store's listing and deletion, against a real Valkey."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
import redis

from videoforge.catalog import SourceCatalog
from videoforge.errors import NotFound
from videoforge.http.app import create_app
from videoforge.jobs.store import JobStore
from videoforge.models import Job, JobState, MediaInfo, OutputFormat, SourceFile
from videoforge.runtime.processes import free_port
from videoforge.runtime.wiring import build_services, redis_client
from videoforge.settings import Settings


@pytest.fixture
def client(valkey: str) -> Iterator[redis.Redis]:
    connection = redis_client(valkey)
    connection.flushdb()
    yield connection
    connection.close()


def source(created_at: float) -> SourceFile:
    file_id = uuid.uuid4().hex
    media = MediaInfo(4.0, 640, 360, "h264", "aac", "mov,mp4", 1000, fps=30.0, stream_count=2)
    return SourceFile(file_id, f"{file_id}.mp4", "clip.mp4", "k", media, created_at)


def job(file_id: str) -> Job:
    task_id = str(uuid.uuid4())
    return Job(
        task_id,
        file_id,
        f"{file_id}_640x360_{task_id[:8]}.mp4",
        "640:360",
        OutputFormat.MP4,
        640,
        360,
    )


def test_the_catalog_pages_newest_first(client: redis.Redis) -> None:
    catalog = SourceCatalog(client)
    files = [source(1000.0 + n) for n in range(5)]
    for added in files:
        catalog.add(added)
    page, total = catalog.page(offset=1, limit=2)
    assert total == 5
    assert [f.file_id for f in page] == [files[3].file_id, files[2].file_id]
    assert page[0] == files[3]  # the whole record comes back, media included
    catalog.remove(files[3].file_id)
    page, total = catalog.page(offset=0, limit=10)
    assert total == 4 and files[3].file_id not in [f.file_id for f in page]
    assert catalog.page(offset=10, limit=10) == ([], 4)


def test_recent_jobs_are_newest_first_and_deleted_ones_vanish(client: redis.Redis) -> None:
    jobs = JobStore(client)
    file_id = uuid.uuid4().hex
    made = []
    for _ in range(3):
        made.append(job(file_id))
        jobs.create(made[-1])
        time.sleep(0.01)
    listed, total = jobs.recent(offset=0, limit=2)
    assert total == 3 and [j.task_id for j in listed] == [made[2].task_id, made[1].task_id]
    assert [j.task_id for j in jobs.jobs_for_file(file_id)] == [j.task_id for j in made]
    jobs.delete_finished(file_id, made)
    assert jobs.recent(offset=0, limit=10) == ([], 0)
    assert jobs.jobs_for_file(file_id) == []
    with pytest.raises(NotFound):
        jobs.get(made[0].task_id)


def test_a_file_with_unfinished_jobs_cannot_be_closed(client: redis.Redis) -> None:
    jobs = JobStore(client)
    running = job(uuid.uuid4().hex)
    jobs.create(running)
    assert jobs.close_file(running.file_id) == [running.task_id]
    jobs.create(job(running.file_id))  # not closed: it still takes jobs
    for task in jobs.jobs_for_file(running.file_id):
        assert jobs.update(task.task_id, state=JobState.SUCCESS)
    assert jobs.close_file(running.file_id) == []


def test_a_closed_file_takes_no_new_job(client: redis.Redis) -> None:
    jobs = JobStore(client)
    file_id = uuid.uuid4().hex
    assert jobs.close_file(file_id) == []  # no jobs at all
    late = job(file_id)
    with pytest.raises(NotFound, match="being deleted"):
        jobs.create(late)
    assert jobs.recent(offset=0, limit=10) == ([], 0)
    with pytest.raises(NotFound):
        jobs.get(late.task_id)


def test_an_upload_that_cannot_be_listed_is_not_kept(
    valkey: str, tmp_path: Path, clips: dict[str, Path]
) -> None:
    settings = Settings(
        _env_file=None, redis_url=valkey, data_dir=tmp_path, videoforge_executor="inline"
    )
    services = build_services(settings)
    # The catalog's Redis is gone (say, it restarted between the two writes).
    dead = redis_client(f"redis://127.0.0.1:{free_port()}/0")
    app = create_app(settings, dataclasses.replace(services, catalog=SourceCatalog(dead)))

    async def upload() -> httpx.Response:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://api") as http,
        ):
            body = clips["noaudio"].read_bytes()
            return await http.post("/videos/upload", files={"file": ("clip.mp4", body)})

    response = anyio.run(upload)
    assert response.status_code == 503
    assert response.json() == {"detail": "job store unavailable, try again shortly"}
    assert list((tmp_path / "objects" / "sources").iterdir()) == []


def test_only_the_lease_holder_commits_and_the_commit_names_its_objects(
    client: redis.Redis,
) -> None:
    jobs = JobStore(client)
    made = job(uuid.uuid4().hex)
    jobs.create(made)
    assert jobs.acquire_lease(made.task_id, "w/winner", ttl_s=30)
    result = {"status": "completed"}
    assert not jobs.commit(made, "w/loser", "loser.mp4", result)  # not the holder
    assert jobs.published_name(made.output_name) is None
    assert jobs.commit(made, "w/winner", "winner.mp4", result)
    record = jobs.get(made.task_id)
    assert (record.state, record.published_name) == (JobState.SUCCESS, "winner.mp4")
    assert jobs.published_name(made.output_name) == "winner.mp4"
    assert made.task_id not in jobs.active_task_ids()
    assert not jobs.commit(made, "w/winner", "again.mp4", result)  # finished records stay
    jobs.delete_finished(made.file_id, [record])
    assert jobs.published_name(made.output_name) is None


def test_counting_an_attempt_never_recreates_a_deleted_job(client: redis.Redis) -> None:
    jobs = JobStore(client)
    made = job(uuid.uuid4().hex)
    jobs.create(made)
    jobs.delete_finished(made.file_id, [made])
    assert jobs.start_attempt(made.task_id) is None
    with pytest.raises(NotFound):
        jobs.get(made.task_id)
    assert not client.exists(f"videoforge:job:{made.task_id}")
