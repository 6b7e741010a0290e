"""The chaos soak, short and seeded: about 3 minutes of faults on real processes with default
lease settings. `make soak` runs the long one."""

from __future__ import annotations

from pathlib import Path

from tests.soak.chaos import FAULTS, report, soak


def test_a_short_seeded_soak_loses_nothing_and_leaves_nothing(tmp_path: Path) -> None:
    run, verdict = soak(tmp_path, jobs=10, faults=len(FAULTS), seed=7)
    print(report(run, verdict))
    assert verdict.ok, "\n".join(verdict.problems)
    assert verdict.succeeded == 10
    injected = {kind for _, kind, detail in run.faults if "skipped" not in detail}
    assert len(injected) >= 3, run.faults  # the faults really happened
