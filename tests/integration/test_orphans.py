"""The orphan sweep on real parts (Valkey, local storage): what no record points to goes after
its grace period; committed outputs, old-style outputs and listed uploads always stay."""

from __future__ import annotations

import os
import time
import uuid

from tests.integration.conftest import EngineFactory
from videoforge import orphans
from videoforge.catalog import SourceCatalog
from videoforge.jobs.chunk_store import ChunkStore
from videoforge.jobs.names import PUBLISHED_KEY
from videoforge.models import MediaInfo, SourceFile
from videoforge.storage import chunk_key, meta_key, output_key, source_key

LONG_AGO = time.time() - 100_000


def test_the_sweep_removes_only_what_no_record_points_to(engine_for: EngineFactory) -> None:
    engine, _ = engine_for(task_time_limit_s=60, task_soft_time_limit_s=50)
    storage, root = engine.storage, engine.settings.data_dir / "objects"
    catalog = SourceCatalog(engine.jobs.client)

    def put(key: str, written_at: float = LONG_AGO) -> str:
        storage.put_bytes(key, b"x")
        os.utime(root / key, (written_at, written_at))
        return key

    stem = f"{uuid.uuid4().hex}_640x360_{uuid.uuid4().hex[:12]}"
    committed = [put(output_key(f"{stem}-aaaaaaaa.m3u8")),
                 put(output_key(f"{stem}-aaaaaaaa_00000.ts"))]  # fmt: skip
    engine.jobs.client.hset(PUBLISHED_KEY, f"{stem}.m3u8", f"{stem}-aaaaaaaa.m3u8")
    lost_race = [put(output_key(f"{stem}-bbbbbbbb.m3u8")),
                 put(output_key(f"{stem}-bbbbbbbb_00000.ts"))]  # fmt: skip
    other = f"{uuid.uuid4().hex}_320x240_{uuid.uuid4().hex[:12]}"
    crashed = put(output_key(f"{other}-cccccccc.mp4"))  # its job never finished
    publishing = put(output_key(f"{other}-dddddddd.webm"), written_at=time.time())
    old_style = put(output_key(f"{other}.mp4"))
    listed_id, unlisted_id, fresh_id = (uuid.uuid4().hex for _ in range(3))
    listed = [put(source_key(listed_id)), put(meta_key(listed_id))]
    media = MediaInfo(1.0, 2, 2, "h264", None, "mov,mp4", 1)
    catalog.add(SourceFile(listed_id, "a.mp4", "a.mp4", source_key(listed_id), media, 1.0))
    unlisted = [put(source_key(unlisted_id)), put(meta_key(unlisted_id))]
    fresh = put(source_key(fresh_id), written_at=time.time())
    # A split job's items: kept while the job's items are recorded, else swept (after grace).
    running, ended = str(uuid.uuid4()), str(uuid.uuid4())
    ChunkStore(engine.jobs.client).start(running, {"chunks": []})
    kept_items = [put(chunk_key(running, "aaaaaaaa-chunk_00000.mp4"))]
    ended_items = [put(chunk_key(ended, "bbbbbbbb-chunk_00000.mp4")),
                   put(chunk_key(ended, "cccccccc-audio.m4a"))]  # fmt: skip
    fresh_item = put(chunk_key(ended, "dddddddd-chunk_00001.mp4"), written_at=time.time())

    swept = orphans.sweep(engine, catalog)

    def stored(key: str) -> bool:
        return (root / key).is_file()

    assert all(map(stored, [*committed, publishing, old_style, *listed, fresh, *kept_items,
                            fresh_item]))  # fmt: skip
    assert not any(map(stored, [*lost_race, crashed, *unlisted, *ended_items]))
    assert swept == orphans.Swept(outputs=3, uploads=2, chunks=2)
    fields, _, _ = engine.metrics.snapshot()
    assert fields["orphans_swept|outputs"] >= 3 and fields["orphans_swept|uploads"] >= 2
    assert orphans.sweep(engine, catalog) == orphans.Swept()  # nothing left to do
