"""Sweeping what no record points to, after a grace period:
- outputs of attempts that never committed (a worker killed between publishing and its
  SUCCESS record, or an attempt that lost the race and could not clean up);
- uploads stored but never listed (a crash between the upload's put and the catalog);
- a split job's items whose job ended without removing them (Redis or storage away then).

Only names videoforge made are touched. An output is swept only if it carries an attempt
tag and is not the one its job's record points to (at SUCCESS, or while a live HLS output
is made); outputs named before attempts had tags are always kept. Each removal is logged
and counted in /metrics.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from videoforge.catalog import SourceCatalog
from videoforge.engine import Engine
from videoforge.jobs.chunk_store import ChunkStore
from videoforge.outputs import attempt_owner, attempt_stem
from videoforge.storage import file_id_of_source

log = logging.getLogger(__name__)

# Far longer than any upload takes from its put to its listing (probing comes first).
UPLOAD_GRACE_S = 3600.0
# Past the hard time limit no attempt is still publishing; a margin for clocks and uploads.
OUTPUT_GRACE_MARGIN_S = 600.0


@dataclass(frozen=True)
class Swept:
    outputs: int = 0
    uploads: int = 0
    chunks: int = 0


def sweep(engine: Engine, catalog: SourceCatalog, now: float | None = None) -> Swept:
    """One pass over storage; returns how many objects it removed."""
    now = time.time() if now is None else now
    output_grace_s = engine.settings.task_time_limit_s + OUTPUT_GRACE_MARGIN_S
    swept = Swept(_sweep_outputs(engine, now - output_grace_s), _sweep_uploads(engine, catalog,
                  now - UPLOAD_GRACE_S), _sweep_chunks(engine, now - output_grace_s))  # fmt: skip
    for kind, count in (("outputs", swept.outputs), ("uploads", swept.uploads),
                        ("chunks", swept.chunks)):  # fmt: skip
        if count:
            engine.metrics.count("orphans_swept", kind, count)
    return swept


def _sweep_outputs(engine: Engine, written_before: float) -> int:
    committed: dict[str, str | None] = {}
    removed = 0
    for key, modified in engine.storage.list_keys("outputs/"):
        found = attempt_owner(key.removeprefix("outputs/"))
        if found is None or modified > written_before:
            continue
        publics, stem = found
        for public in publics:
            if public not in committed:
                published = engine.jobs.published_name(public)
                committed[public] = attempt_stem(published) if published else None
        if stem in (committed[public] for public in publics):
            continue
        engine.storage.delete(key)
        log.warning("swept %s: no finished job points to it", key)
        removed += 1
    return removed


def _sweep_chunks(engine: Engine, written_before: float) -> int:
    """A split job's item is kept while its job's items are recorded (segments.parallel);
    the job's end forgets them and removes their objects, or leaves them here."""
    removed, recorded = 0, {}
    store = ChunkStore(engine.jobs.client)
    for key, modified in engine.storage.list_keys("chunks/"):
        task_id = key.split("/")[1]
        if modified > written_before:
            continue
        if task_id not in recorded:
            recorded[task_id] = store.state(task_id).plan is not None
        if not recorded[task_id]:
            engine.storage.delete(key)
            log.warning("swept %s: an item of a split job that has ended", key)
            removed += 1
    return removed


def _sweep_uploads(engine: Engine, catalog: SourceCatalog, written_before: float) -> int:
    removed = 0
    for key, modified in engine.storage.list_keys("sources/"):
        file_id = file_id_of_source(key)
        if file_id is None or modified > written_before or catalog.has(file_id):
            continue
        engine.storage.delete(key)
        log.warning("swept %s: an upload that was never listed", key)
        removed += 1
    return removed
