"""A split job's work items on a real Valkey: the first plan stands, items are claimed in
order by one holder at a time, a lapsed lease lets another take the item over, only the
holder's result counts, nothing is claimed for a finished job, and the keys go away."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.conftest import wait_until
from videoforge.jobs.chunk_store import CHUNKS_TTL_S, ChunkStore
from videoforge.jobs.names import chunk_lease_prefix, chunks_key
from videoforge.jobs.store import JobStore
from videoforge.models import Job, JobState, OutputFormat

ITEMS = ["audio", "0", "1", "2"]
PLAN = {"fps": 30.0, "has_audio": True, "duration_s": 75.0,
        "chunks": [[0, 900], [900, 900], [1800, None]]}  # fmt: skip
LONG_S = 30.0  # a lease that outlives the test
SHORT_S = 0.3  # a lease that lapses while we wait


@pytest.fixture
def store(jobs: JobStore) -> Iterator[ChunkStore]:
    yield ChunkStore(jobs.client)


def created(jobs: JobStore) -> str:
    """A new unfinished job's id (claims read its record's state)."""
    file_id, task_id = uuid.uuid4().hex, str(uuid.uuid4())
    jobs.create(Job(task_id, file_id, f"{file_id}_640x360_x.mp4", "640:360",
                    OutputFormat.MP4, 640, 360, parallel=True))  # fmt: skip
    return task_id


def lease_gone(store: ChunkStore, task_id: str, item: str) -> bool:
    return not store.client.exists(chunk_lease_prefix(task_id) + item)


def test_the_first_plan_stands(jobs: JobStore, store: ChunkStore) -> None:
    task_id = created(jobs)
    assert store.state(task_id).plan is None
    assert store.start(task_id, PLAN) == PLAN
    other = {**PLAN, "duration_s": 99.0, "chunks": [[0, None]]}
    assert store.start(task_id, other) == PLAN  # a later attempt goes on with the first
    assert store.state(task_id).plan == PLAN


def test_the_chunks_hash_expires_after_a_week(jobs: JobStore, store: ChunkStore) -> None:
    task_id = created(jobs)
    store.start(task_id, PLAN)
    ttl_s = int(jobs.client.ttl(chunks_key(task_id)))
    assert CHUNKS_TTL_S - 60 < ttl_s <= CHUNKS_TTL_S


def test_items_are_claimed_in_order_by_one_holder_each(jobs: JobStore, store: ChunkStore) -> None:
    task_id = created(jobs)
    store.start(task_id, PLAN)
    claimed = [store.claim(task_id, f"w/{n}", LONG_S, ITEMS) for n in range(len(ITEMS))]
    assert claimed == ITEMS
    assert store.claim(task_id, "w/late", LONG_S, ITEMS) is None
    assert store.claim(task_id, "w/0", LONG_S, ITEMS) is None  # not even for a holder
    assert store.state(task_id).claims == dict.fromkeys(ITEMS, 1)


def test_racing_claimants_never_share_an_item(jobs: JobStore, store: ChunkStore) -> None:
    task_id = created(jobs)
    items = [str(n) for n in range(60)]
    store.start(task_id, {**PLAN, "chunks": [[n, 1] for n in range(60)]})

    def take_all(token: str) -> list[str]:
        taken = []
        while (item := store.claim(task_id, token, LONG_S, items)) is not None:
            taken.append(item)
        return taken

    with ThreadPoolExecutor(max_workers=6) as pool:
        takes = list(pool.map(take_all, [f"w/{n}" for n in range(6)]))
    assert sorted(item for taken in takes for item in taken) == sorted(items)
    assert store.state(task_id).claims == dict.fromkeys(items, 1)


def test_the_order_given_is_the_order_claimed(jobs: JobStore, store: ChunkStore) -> None:
    task_id = created(jobs)
    store.start(task_id, PLAN)
    order = ["2", "0", "audio", "1"]
    assert [store.claim(task_id, "w/1", LONG_S, order) for _ in order] == order


def test_a_lapsed_lease_lets_another_take_the_item(jobs: JobStore, store: ChunkStore) -> None:
    task_id = created(jobs)
    store.start(task_id, PLAN)
    assert store.claim(task_id, "w/dead", SHORT_S, ["0"]) == "0"
    wait_until(lambda: lease_gone(store, task_id, "0"), "the lease to lapse")
    assert store.claim(task_id, "w/2", LONG_S, ["0"]) == "0"
    assert store.state(task_id).claims == {"0": 2}
    # The first holder lost it: its renewal, result and release change nothing.
    assert not store.renew(task_id, "0", "w/dead", LONG_S)
    assert not store.finish(task_id, "0", "w/dead", {"size": 1})
    store.release(task_id, "0", "w/dead")
    assert store.state(task_id).done == {}
    assert store.claim(task_id, "w/3", LONG_S, ["0"]) is None  # w/2 still holds it
    assert store.finish(task_id, "0", "w/2", {"size": 2})
    assert store.state(task_id).done == {"0": {"size": 2}}


def test_a_renewed_lease_outlives_its_first_ttl(jobs: JobStore, store: ChunkStore) -> None:
    task_id = created(jobs)
    store.start(task_id, PLAN)
    assert store.claim(task_id, "w/1", 5.0, ["0"]) == "0"
    assert store.renew(task_id, "0", "w/1", LONG_S)
    assert jobs.client.pttl(chunk_lease_prefix(task_id) + "0") > 5000
    assert not store.renew(task_id, "0", "w/2", LONG_S)  # only its holder renews it
    assert store.claim(task_id, "w/2", LONG_S, ["0"]) is None


def test_a_finished_item_is_never_claimed_again(jobs: JobStore, store: ChunkStore) -> None:
    task_id = created(jobs)
    store.start(task_id, PLAN)
    assert store.claim(task_id, "w/1", LONG_S, ITEMS) == "audio"
    assert store.finish(task_id, "audio", "w/1", {"key": "chunks/audio.m4a"})
    assert lease_gone(store, task_id, "audio")  # the result replaces the lease
    assert store.claim(task_id, "w/2", LONG_S, ITEMS) == "0"
    assert store.claim(task_id, "w/3", LONG_S, ["audio"]) is None
    assert not store.finish(task_id, "audio", "w/1", {"key": "again"})  # its lease is gone
    assert store.state(task_id).done == {"audio": {"key": "chunks/audio.m4a"}}
    assert store.state(task_id).claims == {"audio": 1, "0": 1}


def test_a_released_item_is_free_at_once(jobs: JobStore, store: ChunkStore) -> None:
    task_id = created(jobs)
    store.start(task_id, PLAN)
    assert store.claim(task_id, "w/1", LONG_S, ITEMS) == "audio"
    store.release(task_id, "audio", "w/other")  # not its holder: nothing changes
    assert store.claim(task_id, "w/2", LONG_S, ["audio"]) is None
    store.release(task_id, "audio", "w/1")
    assert store.claim(task_id, "w/2", LONG_S, ITEMS) == "audio"
    assert store.state(task_id).claims == {"audio": 2}


@pytest.mark.parametrize("ending", [JobState.SUCCESS, JobState.FAILURE, JobState.REVOKED])
def test_nothing_is_claimed_for_a_finished_job(
    jobs: JobStore, store: ChunkStore, ending: JobState
) -> None:
    task_id = created(jobs)
    store.start(task_id, PLAN)
    assert store.claim(task_id, "w/1", LONG_S, ITEMS) == "audio"
    assert jobs.update(task_id, state=JobState.STARTED)
    assert store.claim(task_id, "w/1", LONG_S, ITEMS) == "0"  # running: still claimed
    assert jobs.update(task_id, state=ending)
    assert store.claim(task_id, "w/2", LONG_S, ITEMS) is None
    assert store.state(task_id).claims == {"audio": 1, "0": 1}
    assert lease_gone(store, task_id, "1")


def test_nothing_is_claimed_for_a_job_that_does_not_exist(store: ChunkStore) -> None:
    task_id = str(uuid.uuid4())
    store.start(task_id, PLAN)
    assert store.claim(task_id, "w/1", LONG_S, ITEMS) is None
    assert all(lease_gone(store, task_id, item) for item in ITEMS)
    assert store.state(task_id).claims == {}
    store.forget(task_id, ITEMS)


def test_progress_is_reported_per_item(jobs: JobStore, store: ChunkStore) -> None:
    task_id = created(jobs)
    store.start(task_id, PLAN)
    store.report(task_id, "0", 12.5)
    store.report(task_id, "1", 3.0)
    store.report(task_id, "0", 29.9996)
    assert store.state(task_id).progress_s == {"0": 30.0, "1": 3.0}


def test_forget_removes_the_hash_and_the_leases(jobs: JobStore, store: ChunkStore) -> None:
    task_id = created(jobs)
    store.start(task_id, PLAN)
    assert store.claim(task_id, "w/1", LONG_S, ITEMS) == "audio"
    assert store.finish(task_id, "audio", "w/1", {"size": 1})
    assert store.claim(task_id, "w/1", LONG_S, ITEMS) == "0"
    assert store.claim(task_id, "w/2", LONG_S, ITEMS) == "1"
    store.report(task_id, "0", 1.0)
    leases = [chunk_lease_prefix(task_id) + item for item in ITEMS]
    assert jobs.client.exists(chunks_key(task_id), *leases) == 3  # the hash, "0" and "1"
    store.forget(task_id, ITEMS)
    assert jobs.client.exists(chunks_key(task_id), *leases) == 0
    state = store.state(task_id)
    assert (state.plan, state.done, state.progress_s, state.claims) == (None, {}, {}, {})


def test_a_report_after_forget_leaves_no_key_without_expiry(
    jobs: JobStore, store: ChunkStore
) -> None:
    task_id = created(jobs)
    store.start(task_id, PLAN)
    assert store.claim(task_id, "w/1", LONG_S, ITEMS) == "audio"
    assert jobs.update(task_id, state=JobState.REVOKED)
    store.forget(task_id, ITEMS)  # the job's end (segments.parallel.drop_items)
    store.report(task_id, "0", 4.0)  # a helper's progress line, before it sees the end
    key = chunks_key(task_id)
    assert not jobs.client.exists(key)  # no hash brought back, so none without a TTL
