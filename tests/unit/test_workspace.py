"""Scratch dirs: named by host and pid, swept when their owner is gone."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from videoforge import workspace


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_sweep_removes_only_what_dead_local_processes_left(tmp_path: Path) -> None:
    mine = workspace.create(tmp_path, "task-1")
    host = workspace._host()
    orphan = tmp_path / f"job-task-2-{host}-pid{dead_pid()}-abc"
    orphan.mkdir()
    (orphan / "source").write_bytes(b"x")
    orphan_upload = tmp_path / f"upload-{host}-pid{dead_pid()}-xyz"
    orphan_upload.write_bytes(b"partial")
    elsewhere = tmp_path / f"job-task-3-otherhost-pid{dead_pid()}-abc"
    elsewhere.mkdir()
    unrelated = tmp_path / "notes.txt"
    unrelated.write_text("keep")
    assert workspace.sweep_orphans(tmp_path) == 2
    assert mine.is_dir() and elsewhere.is_dir() and unrelated.exists()
    assert not orphan.exists() and not orphan_upload.exists()
    assert f"-{host}-pid{os.getpid()}-" in mine.name


def test_sweep_of_a_missing_dir_is_a_no_op(tmp_path: Path) -> None:
    assert workspace.sweep_orphans(tmp_path / "absent") == 0
