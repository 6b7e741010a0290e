"""videoforge.http.ranges.parse_range: one inclusive byte range, or None for the whole file."""

from __future__ import annotations

import pytest

from videoforge.errors import RangeNotSatisfiable
from videoforge.http.ranges import parse_range


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        ("bytes=0-99", 1000, (0, 99)),
        ("bytes=0-0", 1000, (0, 0)),
        ("bytes=999-999", 1000, (999, 999)),
        ("bytes=100-", 1000, (100, 999)),
        ("bytes=0-", 1000, (0, 999)),
        ("bytes=-500", 1000, (500, 999)),
        ("bytes=-1", 1000, (999, 999)),
        ("bytes=-1000", 1000, (0, 999)),
        ("bytes=-5000", 1000, (0, 999)),  # suffix longer than the file: the whole file
        ("bytes=900-5000", 1000, (900, 999)),  # end past the size is clamped
        ("bytes=0-99999999999999999999", 1000, (0, 999)),
        (" bytes = 10 - 20 ", 1000, (10, 20)),  # spaces are tolerated
        ("bytes=0-0", 1, (0, 0)),
        ("bytes=-1", 1, (0, 0)),
    ],
)
def test_satisfiable_range(header: str, size: int, expected: tuple[int, int]) -> None:
    start, end = expected
    assert parse_range(header, size) == expected
    assert 0 <= start <= end < size


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "bytes=0-1,5-6",  # multi-range: the whole file is sent
        "bytes=0-1, 5-6",
        "bytes=5-2",  # last < first: an invalid range-spec is ignored
        "bytes=",
        "bytes=-",
        "bytes=a-b",
        "bytes=-1-2",
        "bytes=0.5-1",
        "items=0-99",
        "0-99",
        "bytes 0-99/1000",
        "garbage",
        "bytes=0-1" * 1000,
    ],
)
def test_header_ignored(header: str | None) -> None:
    assert parse_range(header, 1000) is None


@pytest.mark.parametrize(
    ("header", "size"),
    [
        ("bytes=1000-", 1000),  # starts exactly at the end
        ("bytes=1000-2000", 1000),
        ("bytes=5000-6000", 1000),
        ("bytes=-0", 1000),  # an empty suffix
        ("bytes=0-", 0),  # nothing in an empty file can be satisfied
        ("bytes=0-0", 0),
        ("bytes=-5", 0),
        ("bytes=-0", 0),
    ],
)
def test_not_satisfiable(header: str, size: int) -> None:
    with pytest.raises(RangeNotSatisfiable) as exc_info:
        parse_range(header, size)
    # The size is kept for the Content-Range: bytes */{size} answer.
    assert exc_info.value.size == size
    assert exc_info.value.http_status == 416


def test_zero_size_file_without_a_range_is_sent_whole() -> None:
    assert parse_range(None, 0) is None
    assert parse_range("bytes=0-1,2-3", 0) is None


def test_hostile_digit_strings_are_ignored_not_parsed() -> None:
    # Over 30 digits, or digits int() accepts but the header grammar does not.
    assert parse_range("bytes=" + "9" * 5000 + "-", 100) is None
    assert parse_range("bytes=\u00b2-", 100) is None
