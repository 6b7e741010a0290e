"""Parse ffmpeg's `-progress pipe:1` key=value stream into Progress snapshots (pure)."""

from __future__ import annotations

from videoforge.models import Progress


class ProgressParser:
    """Feed lines one at a time; a snapshot comes out at the end of each block."""

    def __init__(self, duration_s: float, done_s: float = 0.0) -> None:
        # done_s: the output already made before this FFmpeg started (a resumed encode, whose
        # out_time counts from 0: -output_ts_offset does not move it).
        self.duration_s = duration_s
        self.done_s = done_s
        self._fields: dict[str, str] = {}

    def feed(self, line: str) -> Progress | None:
        """Take one line; return a Progress when the line closes a block."""
        key, sep, value = line.strip().partition("=")
        if not sep:
            return None
        if key != "progress":
            self._fields[key] = value.strip()
            return None
        snapshot = self._snapshot(finished=value.strip() == "end")
        self._fields = {}
        return snapshot

    def _snapshot(self, finished: bool) -> Progress:
        out_time_s = self.done_s + _out_time_s(self._fields)
        speed = _number(self._fields.get("speed", "").rstrip("x"))
        fps = _number(self._fields.get("fps", ""))
        if finished:
            return Progress(percent=100.0, fps=fps, speed=speed, eta_seconds=0.0)
        percent = 0.0
        if self.duration_s > 0:
            percent = min(99.9, max(0.0, 100.0 * out_time_s / self.duration_s))
        eta: float | None = None
        if speed > 0 and self.duration_s > 0:
            eta = round(max(0.0, self.duration_s - out_time_s) / speed, 1)
        return Progress(percent=round(percent, 1), fps=fps, speed=speed, eta_seconds=eta)


def _out_time_s(fields: dict[str, str]) -> float:
    # ffmpeg names microseconds `out_time_ms` as well as `out_time_us` (a long-standing
    # misnomer), and prints N/A before the first frame is written.
    for key in ("out_time_us", "out_time_ms"):
        value = _number(fields.get(key, ""))
        if value > 0:
            return value / 1_000_000
    return 0.0


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        return 0.0
    return value if value == value and value >= 0 else 0.0  # NaN and negatives mean "unknown"
