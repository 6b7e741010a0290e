"""`make bench`: every benchmark in turn, then one table of their figures, each with its
target and pass or FAIL. Each benchmark also runs alone (`python bench/NAME.py --help`).

    python bench/table.py            # the full run (P4 sends 2 GiB twice: minutes)
    python bench/table.py --quick    # smaller clips, fewer runs: a fast trial, noisier
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cli_startup
import first_segment
import ladder_vs_singles
import outbox_cost
import parallel_speedup
import passthrough_vs_encode
import start_latency
import status_rps
import throughput
import transcode_overhead
import upload_memory
from figures import Row

BENCHMARKS: list[tuple[str, Callable[[bool], list[Row]]]] = [
    ("CLI start-up", cli_startup.rows),
    ("P1 transcode overhead", transcode_overhead.rows),
    ("P2 ladder against singles", ladder_vs_singles.rows),
    ("P3 first segment", first_segment.rows),
    ("P4 upload memory", upload_memory.rows),
    ("P5 task status requests", status_rps.rows),
    ("P6 start latency", start_latency.rows),
    ("P7 one video across workers", parallel_speedup.rows),
    ("throughput on two slots", throughput.rows),
    ("passthrough against encode", passthrough_vs_encode.rows),
    ("outbox cost", outbox_cost.rows),
]


def table(rows: list[Row]) -> str:
    headers = ("figure", "measured", "target", "")
    lines = [headers, *((r.name, r.figure, r.target, r.verdict) for r in rows)]
    widths = [max(len(line[col]) for line in lines) for col in range(3)]
    rule = "-" * (sum(widths) + 6 + 4)
    shown = [rule]
    for n, (name, figure, target, verdict) in enumerate(lines):
        shown.append(f"{name:<{widths[0]}}  {figure:>{widths[1]}}  {target:<{widths[2]}}  "
                     f"{verdict}".rstrip())  # fmt: skip
        if n == 0:
            shown.append(rule)
    return "\n".join([*shown, rule])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer runs")
    parser.add_argument("--only", nargs="*", metavar="WORD",
                        help="run the benchmarks whose name has one of these words")  # fmt: skip
    args = parser.parse_args()
    rows: list[Row] = []
    started = time.perf_counter()
    for title, measure in BENCHMARKS:
        if args.only and not any(word.lower() in title.lower() for word in args.only):
            continue
        print(f"\n== {title}", flush=True)
        began = time.perf_counter()
        rows += measure(args.quick)
        print(f"({time.perf_counter() - began:.0f} s)", flush=True)
    kind = "quick" if args.quick else "full"
    print(f"\nvideoforge benchmarks ({kind} run, {time.perf_counter() - started:.0f} s)")
    print(table(rows))
    failed = [row.name for row in rows if row.passed is False]
    if failed:
        print(f"{len(failed)} of {len(rows)} figures miss their target")


if __name__ == "__main__":
    main()
