"""Taking a split job's work items (segments.chunks) one at a time: claim, encode, store,
record. The job's own attempt and every helper run this same loop; the item's lease keeps
it theirs while they encode it, and is checked again when its result is recorded.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from videoforge.engine import Engine
from videoforge.errors import MediaError, TransientError
from videoforge.jobs.chunk_store import ChunkStore
from videoforge.jobs.lease import CANCEL_CHECK_INTERVAL_S, Renewal, check_job
from videoforge.media import run
from videoforge.media.progress import ProgressParser
from videoforge.segments.chunks import AUDIO_ITEM, ChunkPlan
from videoforge.segments.items import Split, item_argv, item_files, item_seconds
from videoforge.storage import chunk_key, discard

log = logging.getLogger(__name__)

REPORT_INTERVAL_S = 1.0


class ItemLost(Exception):
    """Raised inside an item's encode once its lease is lost (another claimant has it)."""


def item_lease(store: ChunkStore, task_id: str, item: str, token: str, ttl_s: float) -> Renewal:
    """A claimed item's lease, renewed while it is encoded. Released at the end: a no-op once
    its result is recorded (that ends the lease), and an item given up goes back at once."""
    return Renewal(lambda: store.renew(task_id, item, token, ttl_s),
                   lambda: store.release(task_id, item, token), ttl_s, f"chunk-{item}")  # fmt: skip


@dataclass
class Site:
    """What one participant works with: the job's plans, a scratch dir whose CHUNKS_DIR
    receives the items, who it is, and what it calls to stay in step with the job."""

    engine: Engine
    task_id: str
    chunks: ChunkPlan
    encode: Split  # one rendition's plan, or a ladder's
    folder: Path
    worker: str
    # Raises to stop at once: the job cancelled or ended, the worker shutting down.
    check: Callable[[], None]
    # Called on each progress line: the job's attempt turns the items' progress into the
    # job's there.
    on_progress: Callable[[], None] = lambda: None
    # Where the source is for the next item (None: where `encode` says). A helper reads
    # it in place: the local file, or ranges of it through a presigned URL (fresh for each
    # item: a helper may outlive one), and fetches it only from a backend with neither.
    locate: Callable[[], Path | str] | None = None
    # Keep the files of the items it finishes (the job's attempt joins them: stored, they
    # need not be fetched back); a helper's go once stored.
    keep: bool = False

    @functools.cached_property
    def store(self) -> ChunkStore:
        return ChunkStore(self.engine.jobs.client)


def take_items(site: Site) -> list[str]:
    """Claim and encode items until none is left to claim; return those this participant
    finished. An item another claimant holds is left to it (and taken over once its lease
    lapses)."""
    finished: list[str] = []
    token = f"{site.worker}/{uuid.uuid4().hex[:8]}"
    ttl_s = site.engine.settings.lease_ttl_s
    while True:
        site.check()
        item = site.store.claim(site.task_id, token, ttl_s, site.chunks.items)
        if item is None:
            return finished
        with item_lease(site.store, site.task_id, item, token, ttl_s) as lease:
            try:
                # Under the lease: a long fetch must not lose the item.
                where = site.locate() if site.locate is not None else site.encode.input_path
                result = _encode(site, replace(site.encode, input_path=where), item, lease)
            except ItemLost:  # taken over (this host was cut off a while): on to the next
                log.warning("task %s: item %s was taken over from %s", site.task_id, item,
                            site.worker)  # fmt: skip
                continue
            if site.store.finish(site.task_id, item, token, result):
                finished.append(item)
                log.info("task %s: item %s encoded on %s", site.task_id, item, site.worker)
            else:  # taken over meanwhile: the other claimant's result counts
                discard(site.engine.storage, list(result["keys"].values()))


def _encode(site: Site, plan: Split, item: str, lease: Renewal) -> dict[str, Any]:
    chunks, engine = site.chunks, site.engine
    argv = item_argv(engine.binaries.ffmpeg, plan, chunks, item)
    duration_s = item_seconds(chunks, item)
    parser, reported_at = ProgressParser(duration_s), 0.0

    def on_line(line: str) -> None:
        nonlocal reported_at
        if lease.lost:
            raise ItemLost
        site.check()
        snapshot = parser.feed(line)
        now = time.monotonic()
        if snapshot is not None and now - reported_at >= REPORT_INTERVAL_S:
            reported_at = now
            if item != AUDIO_ITEM:  # the job's progress counts video seconds
                with contextlib.suppress(TransientError):
                    site.store.report(site.task_id, item, snapshot.percent / 100 * duration_s)
            site.on_progress()

    timeout_s = float(engine.settings.task_soft_time_limit_s)
    run.run_ffmpeg(argv, site.folder, engine.binaries, on_line, timeout_s)
    paths = [site.folder / name for name in item_files(plan, item)]
    if not all(path.is_file() and path.stat().st_size > 0 for path in paths):
        raise MediaError(f"FFmpeg error: {item} of the split encode was not produced")
    # Named per claim: a claimant that lost its item never overwrites the winner's objects.
    claim, keys, size_bytes = uuid.uuid4().hex[:8], {}, 0
    try:
        for path in paths:
            keys[path.name] = chunk_key(site.task_id, f"{claim}-{path.name}")
            size_bytes += path.stat().st_size
            engine.storage.put_file(keys[path.name], path)
            if not site.keep:
                path.unlink()
    except BaseException:
        discard(engine.storage, list(keys.values()))
        raise
    return {"keys": keys, "worker": site.worker, "size_bytes": size_bytes}


def job_checker(engine: Engine, task_id: str) -> Callable[[], None]:
    """A helper's `check`: stop once the job is cancelled or has ended (it holds no lease
    of the job, so it reads the job's state, at most once a second)."""
    checked_at = 0.0

    def check() -> None:
        nonlocal checked_at
        now = time.monotonic()
        if now - checked_at < CANCEL_CHECK_INTERVAL_S:
            return
        checked_at = now
        check_job(engine.jobs, task_id)

    return check
