"""videoforge.pipeline.retry_delay_s: exponential backoff capped at a minute."""

from __future__ import annotations

import pytest

from videoforge.pipeline import retry_delay_s


@pytest.mark.parametrize(
    ("attempt", "delay"),
    [(1, 5.0), (2, 10.0), (3, 20.0), (4, 40.0), (5, 60.0), (6, 60.0), (20, 60.0), (1000, 60.0)],
)
def test_retry_delay(attempt: int, delay: float) -> None:
    result = retry_delay_s(attempt)
    assert result == delay
    assert isinstance(result, float)


def test_retry_delay_never_decreases() -> None:
    delays = [retry_delay_s(attempt) for attempt in range(1, 30)]
    assert delays == sorted(delays)
    assert max(delays) == 60.0
