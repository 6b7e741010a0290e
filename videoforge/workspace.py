"""Per-attempt scratch directories under DATA_DIR/tmp, and the sweep of abandoned ones.

A directory's name carries the pid of the process that made it. A process killed outright
(SIGKILL, OOM, power loss) cannot clean up, so every worker sweeps, at start, the directories
whose owner is no longer alive.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

_OWNER = re.compile(r"^job-.+-pid(\d+)-")


def create(temp_dir: Path, task_id: str) -> Path:
    """A new scratch directory for one attempt of one job."""
    temp_dir.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"job-{task_id}-pid{os.getpid()}-", dir=temp_dir))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_orphans(temp_dir: Path) -> int:
    """Remove scratch directories whose owning process is gone; return how many."""
    if not temp_dir.is_dir():
        return 0
    removed = 0
    for path in temp_dir.iterdir():
        match = _OWNER.match(path.name)
        if match and path.is_dir() and not _alive(int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    if removed:
        log.info("removed %d abandoned job directories from %s", removed, temp_dir)
    return removed
