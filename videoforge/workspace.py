"""Per-attempt scratch directories under DATA_DIR/tmp, and the sweep of abandoned ones.

A directory's name carries the host and pid of the process that made it. A process killed
outright (SIGKILL, OOM, power loss) cannot clean up, so every worker sweeps, at start, the
directories of its own host whose owner is no longer alive. Other hosts' (or containers')
directories on a shared DATA_DIR are left alone: their pids mean nothing here.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import socket
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

_OWNER = re.compile(r"^(?:job-.+|upload)-(?P<host>[A-Za-z0-9.]+)-pid(?P<pid>\d+)-")


def create(temp_dir: Path, task_id: str) -> Path:
    """A new scratch directory for one attempt of one job."""
    temp_dir.mkdir(parents=True, exist_ok=True)
    prefix = f"job-{task_id}-{_host()}-pid{os.getpid()}-"
    return Path(tempfile.mkdtemp(prefix=prefix, dir=temp_dir))


def upload_prefix() -> str:
    """Name prefix for an upload's temp file, swept like job directories."""
    return f"upload-{_host()}-pid{os.getpid()}-"


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9.]", "", socket.gethostname())[:64] or "host"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_orphans(temp_dir: Path) -> int:
    """Remove scratch dirs and upload files whose owning process is gone; return how many."""
    if not temp_dir.is_dir():
        return 0
    removed = 0
    for path in temp_dir.iterdir():
        match = _OWNER.match(path.name)
        if not match or match["host"] != _host() or _alive(int(match["pid"])):
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed += 1
    if removed:
        log.info("removed %d abandoned scratch entries from %s", removed, temp_dir)
    return removed
