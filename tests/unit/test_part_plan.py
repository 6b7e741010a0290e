"""The part plan of a direct upload: at least 16 MiB parts, never more than S3's 10,000."""

from __future__ import annotations

import pytest

from videoforge.storage.multipart import MAX_PARTS, MIB, MIN_PART_BYTES, plan_parts


@pytest.mark.parametrize(
    ("size", "part", "count"),
    [
        (1, MIN_PART_BYTES, 1),
        (MIN_PART_BYTES, MIN_PART_BYTES, 1),
        (MIN_PART_BYTES + 1, MIN_PART_BYTES, 2),
        (10 * 1024**3, MIN_PART_BYTES, 640),
        (MAX_PARTS * MIN_PART_BYTES + 1, MIN_PART_BYTES + MIB, 9412),
        (5 * 1024**4, 525 * MIB, 9987),
    ],
)
def test_parts_cover_the_size_within_s3_limits(size: int, part: int, count: int) -> None:
    plan = plan_parts(size)
    assert (plan.part_bytes, plan.count) == (part, count)
    assert plan.part_bytes % MIB == 0 and plan.count <= MAX_PARTS
    assert (plan.count - 1) * plan.part_bytes < size <= plan.count * plan.part_bytes
