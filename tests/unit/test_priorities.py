"""Priorities as data: kombu numbers, the Redis lists, a job's place in line; and how a
worker's record reads in answers and on the command line."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from videoforge.client.workers import worker_doing
from videoforge.errors import InvalidRequest
from videoforge.http.orders import TranscodeRequest
from videoforge.http.workers import worker_status
from videoforge.jobs import queues
from videoforge.jobs.broker import broker_transport_options
from videoforge.jobs.names import PRIORITY_SEP, QUEUE
from videoforge.jobs.workers import WorkerInfo
from videoforge.settings import Settings


def test_high_is_kombus_highest_and_each_priority_has_a_list_of_its_own() -> None:
    numbers = [queues.priority_number(p) for p in ("high", "normal", "low")]
    assert numbers == sorted(numbers) and numbers[0] == 0  # Redis: lower runs first
    assert len(set(numbers)) == 3
    assert queues.priority_steps() == numbers  # one step each: no two share a list
    assert queues.queue_lists() == [
        QUEUE,
        f"{QUEUE}{PRIORITY_SEP}{numbers[1]}",
        f"{QUEUE}{PRIORITY_SEP}{numbers[2]}",
    ]


def test_every_broker_client_shares_the_steps_and_separator() -> None:
    options = broker_transport_options(Settings(_env_file=None))
    assert options["priority_steps"] == queues.priority_steps()
    assert options["sep"] == PRIORITY_SEP
    assert options["queue_order_strategy"] == "priority"


def test_an_unknown_priority_is_refused_with_the_allowed_ones() -> None:
    with pytest.raises(InvalidRequest, match="high, normal, low"):
        queues.priority_number("urgent")


@pytest.mark.parametrize(
    ("higher", "from_the_right", "expected"),
    [
        ([], 0, 1),  # a high job at the popping end: next
        ([], 4, 5),
        ([2], 0, 3),  # a normal job behind two high ones
        ([2, 3], 1, 7),  # a low job: all high and normal ones, then one low
        ([0, 0], 0, 1),
    ],
)
def test_queue_position_counts_higher_lists_then_its_own(
    higher: list[int], from_the_right: int, expected: int
) -> None:
    assert queues.position(higher, from_the_right) == expected


def test_a_transcode_request_takes_a_priority_default_normal() -> None:
    assert TranscodeRequest(format="mp4", resolution="640:360").order().priority == "normal"
    order = TranscodeRequest(format="mp4", resolution="640:360", priority="low").order()
    assert order.priority == "low"
    with pytest.raises(ValidationError, match="priority"):
        TranscodeRequest(format="mp4", resolution="640:360", priority="urgent")  # type: ignore[arg-type]


def test_a_worker_shows_busy_with_its_first_job_and_its_drain() -> None:
    info = WorkerInfo("w1@host", "host", 7, 2, tasks=["t-1", "t-2"], busy=True, draining=True)
    shown = worker_status(info)
    assert (shown.status, shown.task_id, shown.tasks, shown.draining) == (
        "busy", "t-1", ["t-1", "t-2"], True,
    )  # fmt: skip
    assert worker_doing(shown.model_dump()) == "busy: t-1"
    idle = worker_status(WorkerInfo("w2@host", "host", 8, 1))
    assert (idle.status, idle.task_id, worker_doing(idle.model_dump())) == ("idle", None, "idle")
    # A storyboard makes a worker busy without a job of its own.
    assert worker_doing(worker_status(WorkerInfo("w", "h", 1, 1, busy=True)).model_dump()) == "busy"
