"""The job queue's priorities on Redis: which list holds each, how deep each is, and where a
queued job stands.

kombu's Redis transport keeps one list per priority step of a queue (`priority_steps` in
the broker's transport options): `videoforge` for kombu's priority 0, then `videoforge` +
sep + step. A message goes to the list of its `priority`; a worker asks for all of them in
one BRPOP, highest first, and Redis pops from the first list that is not empty. So every
queued high job starts before any normal one, and normal before low; FIFO within a list
(LPUSH at the left, BRPOP at the right). Separate queues would have needed the same strict
order from every worker's consumer (`queue_order_strategy`), kept through each drain and
resume; one queue with steps keeps draining to one consumer.

A worker takes a message only when it has room (acks_late with a prefetch multiplier of 1:
the running job's unacked message fills its one slot), so a busy worker never holds a low
job back from a later high one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import redis

from videoforge.errors import InvalidRequest
from videoforge.jobs.names import PRIORITY_NUMBERS, PRIORITY_SEP, QUEUE
from videoforge.models import PRIORITIES

# Reading a list for a job's place stops after this many messages (position unknown: None).
POSITION_SCAN_LIMIT = 20_000
PAGE = 500


def priority_number(priority: str) -> int:
    """kombu's priority for a job priority (lower runs first on Redis)."""
    try:
        return PRIORITY_NUMBERS[priority]
    except KeyError:
        allowed = ", ".join(PRIORITIES)
        raise InvalidRequest(f"priority must be one of {allowed}, not {priority!r}") from None


def priority_steps() -> list[int]:
    """The broker's `priority_steps`: one per priority, so each has a list of its own."""
    return sorted(PRIORITY_NUMBERS.values())


def queue_list(priority: str, queue: str = QUEUE) -> str:
    """The Redis list that holds a queue's messages of one priority (as kombu names it)."""
    number = priority_number(priority)
    return f"{queue}{PRIORITY_SEP}{number}" if number else queue


def queue_lists(queue: str = QUEUE) -> list[str]:
    """Every list of a queue, in the order workers pop them (highest priority first)."""
    return [queue_list(priority, queue) for priority in PRIORITIES]


def depths(client: redis.Redis, queue: str = QUEUE) -> dict[str, int]:
    """Messages waiting, per priority."""
    pipe = client.pipeline(transaction=False)
    for name in queue_lists(queue):
        pipe.llen(name)
    return {p: int(n) for p, n in zip(PRIORITIES, pipe.execute(), strict=True)}


def position(ahead_in_higher_lists: Sequence[int], from_the_right: int) -> int:
    """A message's place in line (1 = next): every message of a higher priority, then those
    nearer the popping end of its own list (`from_the_right`, 0 for the very next)."""
    return sum(ahead_in_higher_lists) + from_the_right + 1


def queue_position(client: redis.Redis, task_id: str, priority: str,
                   queue: str = QUEUE) -> int | None:  # fmt: skip
    """Where a job's message stands, 1 = next to start; None when it is not in its list
    (a worker holds it, or it was lost) or lies deeper than POSITION_SCAN_LIMIT."""
    lists = queue_lists(queue)
    own = queue_list(priority, queue)
    higher = lists[: lists.index(own)]
    pipe = client.pipeline(transaction=True)  # one moment: counts and first page agree
    for name in higher:
        pipe.llen(name)
    pipe.lrange(own, -PAGE, -1)
    *ahead, page = pipe.execute()
    scanned = 0
    while page:
        # The page's rightmost message is the one popped first.
        for offset, raw in enumerate(reversed(page)):
            if message_id(raw) == task_id:
                return position([int(n) for n in ahead], scanned + offset)
        scanned += len(page)
        if len(page) < PAGE or scanned >= POSITION_SCAN_LIMIT:
            return None
        page = client.lrange(own, -scanned - PAGE, -scanned - 1)
    return None


def message_id(raw: bytes | str) -> str | None:
    """The task id of a kombu message as Redis holds it (its `id` header)."""
    try:
        return str(json.loads(raw)["headers"]["id"])
    except (ValueError, KeyError, TypeError):
        return None


def positions(client: redis.Redis, queue: str = QUEUE) -> dict[str, int]:
    """Every waiting message's place in line at once (1 = next), reading each priority's
    list in pages from its popping end, up to POSITION_SCAN_LIMIT per list. One pass serves
    every job a listing or event stream shows."""
    found: dict[str, int] = {}
    ahead = 0
    for name in queue_lists(queue):
        length = int(client.llen(name))
        scanned = 0
        while scanned < min(length, POSITION_SCAN_LIMIT):
            page: Any = client.lrange(name, -scanned - PAGE, -scanned - 1)
            for offset, raw in enumerate(reversed(page)):
                if (task_id := message_id(raw)) is not None:
                    found.setdefault(task_id, ahead + scanned + offset + 1)
            scanned += len(page)
            if len(page) < PAGE:
                break
        ahead += length
    return found
