"""videoforge.media.progress: ffmpeg `-progress pipe:1` blocks to Progress snapshots."""

from __future__ import annotations

from pathlib import Path

import pytest

from videoforge.media.progress import ProgressParser
from videoforge.models import Progress

FIXTURES = Path(__file__).parent / "fixtures"


def block(progress: str = "continue", **fields: str) -> list[str]:
    """One block as ffmpeg prints it: key=value lines, closed by progress=..."""
    return [f"{key}={value}\n" for key, value in fields.items()] + [f"progress={progress}\n"]


def feed_all(parser: ProgressParser, lines: list[str]) -> list[Progress]:
    return [snap for line in lines if (snap := parser.feed(line)) is not None]


def realistic(out_time_us: str, speed: str, fps: str = "25.00", frame: str = "50") -> list[str]:
    return block(
        frame=frame,
        fps=fps,
        stream_0_0_q="28.0",
        bitrate="N/A",
        total_size="N/A",
        out_time_us=out_time_us,
        out_time_ms=out_time_us,
        out_time="00:00:01.000000",
        dup_frames="0",
        drop_frames="0",
        speed=speed,
    )


@pytest.mark.parametrize(
    ("duration_s", "lines", "expected"),
    [
        # 4 s of 10 s at 2x: 40 %, 6 s left at 2x = 3 s.
        (10.0, realistic("4000000", "2x"), Progress(40.0, 25.0, 2.0, 3.0)),
        (10.0, realistic("4000000", "1.5x"), Progress(40.0, 25.0, 1.5, 4.0)),
        # ffmpeg pads speed with spaces.
        (10.0, realistic("5000000", "   1x"), Progress(50.0, 25.0, 1.0, 5.0)),
        # Before the first frame: N/A everywhere; no speed means no ETA.
        (10.0, realistic("N/A", "N/A", fps="N/A"), Progress(0.0, 0.0, 0.0, None)),
        (10.0, realistic("0", "   0x", fps="0.00"), Progress(0.0, 0.0, 0.0, None)),
        # Negative out_time (ffmpeg prints it for some inputs) means "unknown".
        (10.0, realistic("-40000", "1x"), Progress(0.0, 25.0, 1.0, 10.0)),
        # Only the misnamed out_time_ms (microseconds too).
        (10.0, block(out_time_ms="2500000", speed="5x"), Progress(25.0, 0.0, 5.0, 1.5)),
        # out_time_us N/A, out_time_ms known.
        (10.0, block(out_time_us="N/A", out_time_ms="1000000"), Progress(10.0, 0.0, 0.0, None)),
        # Rounded to 0.1 %.
        (3.0, block(out_time_us="1000000", speed="1x"), Progress(33.3, 0.0, 1.0, 2.0)),
        # Past the probed duration: capped below 100 until the end block, ETA never negative.
        (10.0, realistic("12000000", "2x"), Progress(99.9, 25.0, 2.0, 0.0)),
        (10.0, realistic("9999000", "1x"), Progress(99.9, 25.0, 1.0, 0.0)),
        # Unknown duration: no percent, no ETA.
        (0.0, realistic("4000000", "2x"), Progress(0.0, 25.0, 2.0, None)),
        # NaN speed and fps are "unknown".
        (10.0, realistic("1000000", "nanx", fps="nan"), Progress(10.0, 0.0, 0.0, None)),
    ],
)
def test_continue_block(duration_s: float, lines: list[str], expected: Progress) -> None:
    parser = ProgressParser(duration_s)
    assert feed_all(parser, lines) == [expected]


@pytest.mark.parametrize("out_time_us", ["0", "N/A", "3000000", "99000000"])
def test_end_block_is_100_percent_with_no_eta(out_time_us: str) -> None:
    parser = ProgressParser(10.0)
    snapshots = feed_all(parser, realistic(out_time_us, "3x"))
    snapshots += feed_all(parser, block("end", out_time_us=out_time_us, speed="3x", fps="30"))
    assert snapshots[-1] == Progress(100.0, 30.0, 3.0, 0.0)


def test_only_progress_lines_return_a_snapshot() -> None:
    parser = ProgressParser(10.0)
    lines = realistic("1000000", "1x")
    results = [parser.feed(line) for line in lines]
    assert results[:-1] == [None] * (len(lines) - 1)
    assert isinstance(results[-1], Progress)


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "\n",
        "   ",
        "no equals sign here",
        "[h264 @ 0x55d0] error while decoding MB 12 7",
        "Press [q] to stop",
        "\x00\xff binary junk",
    ],
)
def test_garbage_lines_are_ignored(garbage: str) -> None:
    parser = ProgressParser(10.0)
    lines = block(out_time_us="2000000", speed="1x")
    lines.insert(1, garbage)
    assert parser.feed(garbage) is None
    assert feed_all(parser, lines) == [Progress(20.0, 0.0, 1.0, 8.0)]


def test_fields_do_not_leak_between_blocks() -> None:
    parser = ProgressParser(10.0)
    first = feed_all(parser, block(out_time_us="5000000", speed="2x", fps="30"))
    second = feed_all(parser, block(frame="10"))
    assert first == [Progress(50.0, 30.0, 2.0, 2.5)]
    assert second == [Progress(0.0, 0.0, 0.0, None)]


def test_crlf_and_padded_values() -> None:
    parser = ProgressParser(8.0)
    lines = ["  out_time_us=2000000 \r\n", "speed= 2x\r\n", "progress=continue \r\n"]
    assert feed_all(parser, lines) == [Progress(25.0, 0.0, 2.0, 3.0)]


def read_recording() -> list[str]:
    return (FIXTURES / "progress_3s.txt").read_text().splitlines(keepends=True)


def test_recorded_ffmpeg_progress_stream() -> None:
    lines = read_recording()
    parser = ProgressParser(3.0)
    snapshots = feed_all(parser, lines)
    assert len(snapshots) == sum(line.startswith("progress=") for line in lines)
    assert len(snapshots) >= 3
    percents = [snap.percent for snap in snapshots]
    assert percents == sorted(percents)  # never goes backwards
    assert all(0.0 <= p <= 99.9 for p in percents[:-1])
    assert snapshots[-1].percent == 100.0 and snapshots[-1].eta_seconds == 0.0
    assert snapshots[0].percent == 0.0  # the first block is written before any output


def test_recorded_stream_percent_and_eta_match_out_time() -> None:
    parser = ProgressParser(3.0)
    fields: dict[str, str] = {}
    checked = 0
    for line in read_recording():
        key, _, value = line.strip().partition("=")
        snap = parser.feed(line)
        if snap is None:
            fields[key] = value.strip()
            continue
        if value.strip() == "continue":
            out_time_s = int(fields["out_time_us"]) / 1e6
            assert snap.percent == pytest.approx(round(100 * out_time_s / 3.0, 1))
            if snap.speed > 0:
                assert snap.eta_seconds == pytest.approx(round((3.0 - out_time_s) / snap.speed, 1))
            else:
                assert snap.eta_seconds is None
            checked += 1
        fields = {}
    assert checked >= 2
