"""videoforge.jobs.timings: an attempt's phase clock and a finished job's timings, as data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from videoforge.jobs.timings import PhaseClock, job_timings


def ticking(*readings: float) -> Iterator[float]:
    yield from readings


def clock_reading(*readings: float) -> PhaseClock:
    """A clock whose `now` returns these readings in turn."""
    it = ticking(*readings)
    return PhaseClock(now=lambda: next(it))


def test_phases_are_named_durations() -> None:
    clock = clock_reading(10.0, 10.5, 10.5, 12.0)
    with clock.phase("fetch"):
        pass
    with clock.phase("encode"):
        pass
    assert clock.durations_s == {"fetch": 0.5, "encode": 1.5}


def test_a_phase_timed_twice_adds_up() -> None:
    clock = clock_reading(0.0, 0.25, 1.0, 1.5)
    for _ in range(2):
        with clock.phase("probe"):
            pass
    assert clock.durations_s == {"probe": 0.75}


def test_a_phase_that_raises_is_still_timed() -> None:
    clock = clock_reading(3.0, 4.0)
    with pytest.raises(RuntimeError), clock.phase("publish"):
        raise RuntimeError("storage down")
    assert clock.durations_s == {"publish": 1.0}


def test_the_real_clock_measures_something_not_negative() -> None:
    clock = PhaseClock()
    with clock.phase("fetch"):
        pass
    assert clock.durations_s["fetch"] >= 0


@pytest.mark.parametrize(
    ("created_at", "started_at", "finished_at", "phases_s", "expected"),
    [
        pytest.param(
            1000.0, 1002.5, 1010.0,
            {"fetch": 0.1234, "probe": 0.05, "encode": 6.0, "publish": 0.7},
            {"queued": 2.5, "fetch": 0.123, "probe": 0.05, "encode": 6.0, "publish": 0.7,
             "total": 10.0},
            id="transcode",
        ),
        pytest.param(
            1000.0, 1000.0, 1004.0,
            {"download": 3.0, "probe": 0.2, "publish": 0.3},
            {"queued": 0.0, "download": 3.0, "probe": 0.2, "publish": 0.3, "total": 4.0},
            id="import",
        ),
        pytest.param(
            # A retried job: its first attempt and the wait for the retry count as queued.
            1000.0, 1040.0, 1045.0,
            {"fetch": 1.0, "probe": 1.0, "encode": 2.0, "publish": 0.5},
            {"queued": 40.0, "fetch": 1.0, "probe": 1.0, "encode": 2.0, "publish": 0.5,
             "total": 45.0},
            id="retried",
        ),
        pytest.param(
            # Hosts' clocks disagree: a worker's started_at before the API's created_at.
            1000.0, 999.9, 1001.0, {},
            {"queued": 0.0, "total": 1.0},
            id="skewed-clocks",
        ),
        pytest.param(
            1000.0, 1000.0004, 1000.0006, {"fetch": 0.0001},
            {"queued": 0.0, "fetch": 0.0, "total": 0.001},
            id="milliseconds",
        ),
    ],
)  # fmt: skip
def test_job_timings(
    created_at: float,
    started_at: float,
    finished_at: float,
    phases_s: dict[str, float],
    expected: dict[str, float],
) -> None:
    assert job_timings(created_at, started_at, finished_at, phases_s) == expected


def test_timings_keep_the_phases_in_order() -> None:
    phases_s = {"fetch": 1.0, "probe": 1.0, "encode": 1.0, "publish": 1.0}
    timings = job_timings(0.0, 1.0, 9.0, phases_s)
    assert list(timings) == ["queued", "fetch", "probe", "encode", "publish", "total"]
