"""The API's asyncio job reads (jobs.reads, on jobs.pipelined's shared connection) on a real
Valkey: a record as JobStore reads it, 404 and 503 in words, concurrent reads each answered
with their own record, the URL's user, password and database, a Valkey restart ridden out,
and a stalled Valkey timed out."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from pathlib import Path

import pytest

from videoforge.errors import NotFound, TransientError, VideoforgeError
from videoforge.jobs.pipelined import PipelinedRedis
from videoforge.jobs.reads import AsyncJobReads
from videoforge.jobs.store import JobStore
from videoforge.models import Job, OutputFormat
from videoforge.runtime.valkey import EmbeddedValkey
from videoforge.runtime.wiring import redis_client


def new_job() -> Job:
    file_id = uuid.uuid4().hex
    return Job(str(uuid.uuid4()), file_id, f"{file_id}_320x240_x.mp4", "320:240",
               OutputFormat.MP4, 320, 240)  # fmt: skip


def test_a_record_reads_as_the_store_reads_it(valkey: str) -> None:
    store = JobStore(redis_client(valkey))
    job = new_job()
    store.create(job)

    async def read() -> Job:
        reads = AsyncJobReads.from_url(valkey)
        try:
            return await reads.get(job.task_id)
        finally:
            await reads.close()

    assert asyncio.run(read()) == store.get(job.task_id)


def test_unknown_and_overlong_ids_are_not_found(valkey: str) -> None:
    async def read(task_id: str) -> None:
        reads = AsyncJobReads.from_url(valkey)
        try:
            await reads.get(task_id)
        finally:
            await reads.close()

    with pytest.raises(NotFound, match="no task nothing-here"):
        asyncio.run(read("nothing-here"))
    with pytest.raises(NotFound, match="no such task"):
        asyncio.run(read("x" * 65))


def test_a_valkey_restart_is_ridden_out_and_an_outage_is_a_transient_error(
    tmp_path: Path,
) -> None:
    server = EmbeddedValkey(tmp_path / "valkey")
    url = server.start()
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    job = new_job()
    JobStore(redis_client(url)).create(job)

    async def scenario() -> tuple[str, str, str]:
        reads = AsyncJobReads.from_url(url)
        try:
            before = (await reads.get(job.task_id)).task_id
            server.stop()  # the pooled connection is now dead, and nothing has noticed
            server.start(port=port)  # the AOF brings the record back
            after = (await reads.get(job.task_id)).task_id
            server.stop()
            try:
                await reads.get(job.task_id)
                down = "answered"
            except TransientError as exc:
                down = exc.message
            return before, down, after
        finally:
            await reads.close()

    try:
        before, down, after = asyncio.run(scenario())
    finally:
        server.stop()
    assert before == after == job.task_id
    assert down == "job store unavailable, try again shortly"  # no address in it


def test_concurrent_reads_on_one_connection_each_get_their_own_record(valkey: str) -> None:
    store = JobStore(redis_client(valkey))
    jobs = [new_job() for _ in range(300)]
    for job in jobs:
        store.create(job)

    async def read_all() -> tuple[list[str], int]:
        reads = AsyncJobReads.from_url(valkey)
        try:
            # Unknown ids among them: a 404 answer must not shift the replies after it.
            asked = [job.task_id if i % 7 else f"missing-{i}" for i, job in enumerate(jobs)]
            answers = await asyncio.gather(*(reads.get(t) for t in asked), return_exceptions=True)
            assert isinstance(reads.client, PipelinedRedis)
            connections = 1 if reads.client._replies is not None else 0
            return [
                a.task_id if isinstance(a, Job) else type(a).__name__ for a in answers
            ], connections
        finally:
            await reads.close()

    got, connections = asyncio.run(read_all())
    assert got == [job.task_id if i % 7 else "NotFound" for i, job in enumerate(jobs)]
    assert connections == 1


def test_a_password_user_and_database_in_the_url_are_used(tmp_path: Path) -> None:
    server = EmbeddedValkey(tmp_path / "valkey")
    url = server.start()
    admin = redis_client(url)
    admin.execute_command("ACL", "SETUSER", "reader", "on", ">s3cret p@ss", "~*", "+@all")
    admin.config_set("requirepass", "admin-pw")
    port = url.rsplit(":", 1)[1].split("/")[0]
    job = new_job()
    JobStore(redis_client(f"redis://:admin-pw@127.0.0.1:{port}/3")).create(job)

    async def read(url: str) -> str:
        reads = AsyncJobReads.from_url(url)
        try:
            return (await reads.get(job.task_id)).task_id
        except VideoforgeError as exc:
            return exc.message
        finally:
            await reads.close()

    try:
        as_user = asyncio.run(read(f"redis://reader:s3cret%20p%40ss@127.0.0.1:{port}/3"))
        other_db = asyncio.run(read(f"redis://reader:s3cret%20p%40ss@127.0.0.1:{port}/0"))
        wrong = asyncio.run(read(f"redis://reader:wrong@127.0.0.1:{port}/3"))
    finally:
        server.stop()
    assert as_user == job.task_id
    assert other_db == f"no task {job.task_id}"
    assert wrong == "job store unavailable, try again shortly"


def test_a_stalled_valkey_times_out_and_the_next_read_reconnects(tmp_path: Path) -> None:
    server = EmbeddedValkey(tmp_path / "valkey")
    url = server.start()
    job = new_job()
    JobStore(redis_client(url)).create(job)
    assert server.process is not None
    pid = server.process.pid

    async def scenario() -> tuple[str, str]:
        reads = AsyncJobReads(PipelinedRedis(url, timeout_s=0.5, connect_timeout_s=0.5, attempts=2))
        try:
            await reads.get(job.task_id)  # connected
            os.kill(pid, signal.SIGSTOP)  # answers nothing, closes nothing
            try:
                await reads.get(job.task_id)
                stalled = "answered"
            except TransientError as exc:
                stalled = exc.message
            finally:
                os.kill(pid, signal.SIGCONT)
            return stalled, (await reads.get(job.task_id)).task_id
        finally:
            await reads.close()

    try:
        stalled, after = asyncio.run(scenario())
    finally:
        server.stop()
    assert stalled == "job store unavailable, try again shortly"
    assert after == job.task_id
