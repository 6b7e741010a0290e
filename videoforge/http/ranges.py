"""HTTP Range header parsing (RFC 9110), pure. One range per request; browsers never send more."""

from __future__ import annotations

import re

from videoforge.errors import RangeNotSatisfiable

# ASCII digits, at most 30 (far past any file size): no huge int() on hostile input.
_SINGLE = re.compile(r"^bytes=([0-9]{0,30})-([0-9]{0,30})$", re.IGNORECASE)


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Inclusive (start, end) for a Range header, or None to send the whole file.

    Multi-range and malformed headers are ignored (the whole file is sent), as RFC 9110
    allows; that also keeps a header with a thousand ranges cheap.
    """
    if not header:
        return None
    match = _SINGLE.match(header.strip().replace(" ", ""))
    if not match:
        return None
    first, last = match.group(1), match.group(2)
    if not first and not last:
        return None
    if not first:  # suffix range: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise RangeNotSatisfiable(f"range {header} is empty", size)
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size:
        raise RangeNotSatisfiable(f"range {header} starts past the end ({size} bytes)", size)
    if last and int(last) < start:
        return None  # an invalid range-spec: ignore the header
    return start, end
