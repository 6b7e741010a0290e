"""P4: a 2 GiB upload grows no server process by more than 100 MB, through multipart POST
(`/videos/upload`) and through tus (`/videos/tus/`, the CLI's client).

Starts `videoforge serve` (API, Celery worker, embedded Valkey) on a free port, then sends
one source of `--gib` GiB each way while it samples the resident memory (VmRSS) of every
process of the service every 20 ms. Growth is a process's peak during the upload minus its
resident size just before. The source is a short MPEG-TS clip repeated (MPEG-TS may be cut
and joined anywhere), so the service probes and keeps a real video at the end.

    python bench/upload_memory.py            # 2 GiB each way (make bench)
    python bench/upload_memory.py --gib 0.25
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from figures import Row, at_most
from served import ffmpeg

from tests.conftest import make_clip
from tests.e2e.service import Service
from videoforge.client import resumable

TARGET_GROWTH_MB = 100
SAMPLE_S = 0.02


def descendants(root_pid: int) -> list[int]:
    """`root_pid` and every process under it (Valkey, the Celery pool, ...)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def rss_bytes(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def process_name(pid: int) -> str:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return str(pid)
    words = [a.decode(errors="replace") for a in argv if a]
    shown = " ".join(w.rsplit("/", 1)[-1] for w in words[:4])
    return f"{pid} {shown[:60]}"


def growth_during(root_pid: int, send: Callable[[], object]) -> dict[int, tuple[str, int]]:
    """Each service process's name, and its peak RSS during `send()` minus its RSS before."""
    before = {pid: rss for pid in descendants(root_pid) if (rss := rss_bytes(pid)) is not None}
    peak = dict(before)
    names = {pid: process_name(pid) for pid in before}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for pid in descendants(root_pid):
                rss = rss_bytes(pid)
                if rss is not None:
                    peak[pid] = max(peak.get(pid, 0), rss)
                    names.setdefault(pid, process_name(pid))
            time.sleep(SAMPLE_S)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        send()
    finally:
        done.set()
        sampler.join()
    # A process born during the upload grew from nothing: all of it counts.
    return {pid: (names[pid], rss - before.get(pid, 0)) for pid, rss in peak.items()}


def build_source(folder: Path, size_bytes: int) -> Path:
    clip = make_clip(ffmpeg(), folder / "clip.ts", "1280x720", 10,
                     extra=("-b:v", "20M", "-f", "mpegts"))  # fmt: skip
    piece = clip.read_bytes()
    piece = piece[: len(piece) - len(piece) % 188]  # whole 188-byte packets
    source = folder / "big.ts"
    with source.open("wb") as out:
        written = 0
        while written < size_bytes:
            out.write(piece[: size_bytes - written])
            written += min(len(piece), size_bytes - written)
    return source


def via_multipart(url: str, source: Path) -> None:
    with httpx.Client(base_url=url, timeout=600) as client, source.open("rb") as handle:
        answer = client.post("/videos/upload", files={"file": ("big.ts", handle, "video/mp2t")})
    if answer.status_code != 200:
        raise SystemExit(f"multipart upload answered {answer.status_code}: {answer.text[:300]}")


def via_tus(url: str, source: Path) -> None:
    with httpx.Client(base_url=url, timeout=600) as client:
        resumable.send(client, source)


def measure(gib: float) -> dict[str, float]:
    """Print each way's rate and growth; the largest growth (bytes) by way of uploading."""
    size_bytes = int(gib * 2**30)
    largest: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="vf-bench-upload-") as scratch:
        root = Path(scratch)
        source = build_source(root, size_bytes)
        service = Service(root / "serve", MAX_UPLOAD_BYTES=str(size_bytes + 2**20)).start()
        assert service.process is not None
        try:
            print(f"P4: upload memory, {size_bytes / 2**30:.2f} GiB source "
                  f"(target: no process grows > {TARGET_GROWTH_MB} MB)")  # fmt: skip
            for way, send in (("multipart POST", via_multipart), ("tus", via_tus)):
                started = time.perf_counter()
                growth = growth_during(service.process.pid, partial(send, service.url, source))
                elapsed_s = time.perf_counter() - started
                name, most = max(growth.values(), key=lambda item: item[1])
                api_growth = growth[service.process.pid][1]  # the API runs in serve's process
                largest[way] = most
                print(f"{way:15} {size_bytes / elapsed_s / 1e6:5.0f} MB/s   API process "
                      f"+{api_growth / 1e6:5.1f} MB   largest +{most / 1e6:5.1f} MB "
                      f"({name})")  # fmt: skip
        finally:
            service.stop()
    return largest


def rows(quick: bool) -> list[Row]:
    gib = 0.25 if quick else 2.0
    return [at_most(f"P4 {gib:g} GiB {way}: largest process growth", most / 1e6,
                    TARGET_GROWTH_MB, " MB", digits=1)
            for way, most in measure(gib).items()]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=2.0)
    measure(parser.parse_args().gib)


if __name__ == "__main__":
    main()
