"""Start-up time of the `videoforge` command, against a bare `python -c pass` in the same run.

A client command should answer at once: `videoforge jobs --help` loads typer and the client's
own modules, never the server stack (tests/unit/test_layout.py checks what it loads; this
measures how long it takes). Target: under 0.8 s on a 2-core machine.

    python bench/cli_startup.py --runs 15
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from figures import Row, below

COMMANDS = {
    "python -c pass (bare)": [sys.executable, "-c", "pass"],
    "videoforge jobs --help": [sys.executable, "-m", "videoforge.cli", "jobs", "--help"],
    "videoforge --help": [sys.executable, "-m", "videoforge.cli", "--help"],
    "import videoforge.worker": [sys.executable, "-c", "import videoforge.worker"],
}
TARGET_S = 0.8
CLIENT_COMMANDS = ("videoforge jobs --help", "videoforge --help")


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=_env())
    return time.perf_counter() - started


def _env() -> dict[str, str]:
    # The worker module builds its Celery app at import; nothing connects, any URL will do.
    return {**os.environ, "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:1/0")}


def measure(runs: int) -> dict[str, float]:
    """Print each command's median start-up; the medians by command."""
    timings: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):  # interleaved, so a busy moment hits every command alike
        for name, argv in COMMANDS.items():
            timings[name].append(timed(argv))
    medians = {name: statistics.median(seconds) for name, seconds in timings.items()}
    bare = medians["python -c pass (bare)"]
    print(f"start-up, median of {runs} runs (target for client commands < {TARGET_S} s)")
    for name, median in medians.items():
        print(f"{name:28s} {median:6.3f} s   {median / bare:5.1f}x bare")
    return medians


def rows(quick: bool) -> list[Row]:
    medians = measure(runs=5 if quick else 15)
    return [below(f"CLI start-up: {name}", medians[name], TARGET_S, " s")
            for name in CLIENT_COMMANDS]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    measure(parser.parse_args().runs)


if __name__ == "__main__":
    main()
