"""The API's asyncio job reads (jobs.reads) on a real Valkey: a record as JobStore reads it,
404 and 503 in words, and a Valkey restart ridden out by the pooled connections."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from videoforge.errors import NotFound, TransientError
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
