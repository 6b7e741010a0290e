"""Helpers for the child processes videoforge supervises (worker, Valkey, ffmpeg)."""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent() -> None:
    """preexec_fn: the kernel SIGKILLs the child when the thread that started it dies."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


_SETPRIV = shutil.which("setpriv")


def dying_with_parent(argv: list[str]) -> tuple[list[str], Callable[[], None] | None]:
    """argv and preexec_fn for a child that the kernel kills when its starter dies.

    Without this a SIGKILLed parent (hard time limit, OOM killer, kill -9) leaves its children
    running: Celery's hard limit alone does not stop ffmpeg (celery #2353). util-linux's
    `setpriv --pdeathsig` sets it without running Python between fork and exec, which the
    Python docs warn can deadlock in threaded programs; preexec_fn is the fallback.
    Either way the signal fires when the *thread* that started the child ends.
    """
    if _SETPRIV:
        return [_SETPRIV, "--pdeathsig", "KILL", "--", *argv], None
    return argv, die_with_parent


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def stop_group(process: subprocess.Popen[bytes], sig: int, grace_s: float) -> None:
    """Send `sig` to the child's process group; SIGKILL the group if it outlives `grace_s`."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        process.wait()
