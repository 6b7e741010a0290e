"""A participant's loop over a split job's items (segments.chunk_work) on real parts: Valkey,
local storage, FFmpeg. Its item stays its own through a slow source fetch, since the fetch
runs under the item's lease."""

from __future__ import annotations

import time
from pathlib import Path

from tests.integration.conftest import EngineFactory
from videoforge import sources
from videoforge.jobs.celery_app import useful_helpers
from videoforge.jobs.chunk_store import ChunkStore
from videoforge.jobs.workers import WorkerInfo, WorkerRegistry
from videoforge.segments.chunk_work import Site, take_items
from videoforge.segments.chunks import CHUNKS_DIR, plan_chunks
from videoforge.segments.parallel import encode_plan
from videoforge.storage import source_key


def test_a_fetch_longer_than_the_lease_keeps_the_item(
    engine_for: EngineFactory, tmp_path: Path
) -> None:
    engine, job = engine_for(lease_ttl_s=1)
    media = sources.stored_media(engine, job.file_id)
    chunks = plan_chunks(media.duration_s, 30.0, 6, media.audio_codec is not None, 6)
    store = ChunkStore(engine.jobs.client)
    store.start(job.task_id, chunks.to_dict())
    source, folder = tmp_path / "source", tmp_path / CHUNKS_DIR
    folder.mkdir()

    def slow_fetch() -> Path:  # three lease lifetimes, as a big source on a slow link
        if not source.exists():
            time.sleep(3 * engine.settings.lease_ttl_s)
            engine.storage.fetch_file(source_key(job.file_id), source)
        return source

    plan = encode_plan(job, media, engine.settings, source, "t", chunks)
    site = Site(engine, job.task_id, chunks, plan, folder, "w1", lambda: None, locate=slow_fetch)
    assert take_items(site) == chunks.items == ["audio", "0"]
    state = store.state(job.task_id)
    assert state.claims == {"audio": 1, "0": 1}  # never lost, never claimed again
    assert {done["worker"] for done in state.done.values()} == {"w1"}
    stored = [key for done in state.done.values() for key in done["keys"].values()]
    assert len(stored) == 2 and all(engine.storage.size(key) > 0 for key in stored)


def test_a_split_job_asks_for_no_more_helpers_than_there_are_free_worker_slots(
    engine_for: EngineFactory,
) -> None:
    engine, _ = engine_for()
    registry = WorkerRegistry(engine.jobs.client)
    for name, slots, consuming in (("a@h", 4, True), ("b@h", 2, True), ("c@h", 8, False)):
        registry.beat(WorkerInfo(name, "h", 1, slots, consuming=consuming))
    assert useful_helpers(engine.jobs, 100) == 5  # 6 slots taking jobs, one is the attempt's
    assert useful_helpers(engine.jobs, 3) == 3
    registry.drain("a@h")  # draining: takes no new job
    assert useful_helpers(engine.jobs, 100) == 1
