"""What the split-job host tests check: an output with every frame of its source one frame
apart and its audio as long as its video, an MP4 whose index comes first, per-frame VMAF
against another encode; and a split job's items (Redis keys, S3 objects) as they stand."""

from __future__ import annotations

import itertools
import json
import struct
import subprocess
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import redis

from tests.topology.hosts import HostsCluster
from videoforge.jobs.chunk_store import ChunkStore
from videoforge.jobs.names import chunk_lease_prefix, chunks_key
from videoforge.media.binaries import FFmpegBinaries
from videoforge.segments.chunks import ChunkPlan

FPS = 30
VMAF_MODEL = "vmaf_v0.6.1.json"  # the static build's `version=` (built-in models) crashes


def _packets(binaries: FFmpegBinaries, path: Path, stream: str) -> tuple[list[dict[str, Any]],
                                                                         Fraction]:  # fmt: skip
    """A stream's packets (pts and duration in ticks) and its time base."""
    argv = [binaries.ffprobe, "-v", "error", "-select_streams", stream, "-show_entries",
            "stream=time_base:packet=pts,duration", "-of", "json", str(path)]  # fmt: skip
    out = subprocess.run(argv, check=True, capture_output=True, env=binaries.process_env).stdout
    data = json.loads(out)
    return data["packets"], Fraction(data["streams"][0]["time_base"])


def video_frames(binaries: FFmpegBinaries, path: Path) -> tuple[int, float]:
    """The video's frame count and duration (s), checked to run one frame apart with none
    missing or doubled (pts sorted: packets are stored in decoding order)."""
    packets, base = _packets(binaries, path, "v:0")
    pts = sorted(int(p["pts"]) for p in packets)
    frame = Fraction(1, FPS) / base  # one frame, in ticks
    steps = {b - a for a, b in itertools.pairwise(pts)}
    if frame.denominator == 1:
        assert steps == {frame}, (path.name, sorted(steps), frame)
    else:  # a time base finer than, but not a multiple of, the frame rate: rounded ticks
        assert all(abs(step - frame) < 1 for step in steps), (path.name, sorted(steps), frame)
    return len(pts), float((pts[-1] - pts[0] + frame) * base)


def audio_seconds(binaries: FFmpegBinaries, path: Path) -> float:
    packets, base = _packets(binaries, path, "a:0")
    start = min(int(p["pts"]) for p in packets)
    end = max(int(p["pts"]) + int(p["duration"]) for p in packets)
    return float((end - start) * base)


def check_joined(binaries: FFmpegBinaries, output: Path, source: Path) -> None:
    """Every frame of the source, one frame apart, the video as long as the source's within
    a frame and the audio as long as the video within 0.1 s."""
    source_frames, source_s = video_frames(binaries, source)
    frames, video_s = video_frames(binaries, output)
    assert frames == source_frames, (frames, source_frames)
    assert abs(video_s - source_s) <= 1 / FPS + 1e-6, (video_s, source_s)
    audio_s = audio_seconds(binaries, output)
    assert abs(audio_s - video_s) < 0.1, (audio_s, video_s)


def top_boxes(path: Path) -> list[str]:
    """An MP4's top-level box types, in file order."""
    data, at, found = path.read_bytes(), 0, []
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        if size == 1:
            (size,) = struct.unpack(">Q", data[at + 8 : at + 16])
        elif size == 0:
            size = len(data) - at
        assert size >= 8, (path.name, at, size)
        found.append(kind.decode("latin-1"))
        at += size
    return found


def vmaf_model(binaries: FFmpegBinaries) -> Path | None:
    model = Path(binaries.ffmpeg).parent / "model" / VMAF_MODEL
    return model if model.is_file() else None


def vmaf(binaries: FFmpegBinaries, model: Path, distorted: Path, reference: Path) -> list[float]:
    """Per-frame VMAF of `distorted` against `reference`, frames paired in order."""
    log = distorted.with_name(f"{distorted.stem}-{reference.stem}.vmaf.json")
    graph = (
        "[0:v]setpts=PTS-STARTPTS[d];[1:v]setpts=PTS-STARTPTS[r];"
        f"[d][r]libvmaf=model=path={model}:log_fmt=json:log_path={log}:n_threads=2"
    )
    argv = [binaries.ffmpeg, "-hide_banner", "-nostats", "-loglevel", "error", "-i",
            str(distorted), "-i", str(reference), "-lavfi", graph, "-f", "null", "-"]  # fmt: skip
    run = subprocess.run(argv, capture_output=True, text=True, env=binaries.process_env)
    assert run.returncode == 0, run.stderr[-2000:]
    frames = json.loads(log.read_text())["frames"]
    return [float(f["metrics"]["vmaf"]) for f in sorted(frames, key=lambda f: f["frameNum"])]


def download(client: httpx.Client, output_name: str, path: Path) -> Path:
    answer = client.get(f"/videos/download/{output_name}")
    assert answer.status_code == 200, answer.text[:500]
    path.write_bytes(answer.content)
    return path


def leases(valkey: redis.Redis, task_id: str) -> dict[str, str]:
    """The items of a split job being encoded now, and the token of who holds each."""
    plan = ChunkStore(valkey).state(task_id).plan
    if plan is None:
        return {}
    items = ChunkPlan.from_dict(plan).items
    held = valkey.mget([chunk_lease_prefix(task_id) + item for item in items])
    return {item: str(token) for item, token in zip(items, held, strict=True) if token}


def leftovers(cluster: HostsCluster, valkey: redis.Redis, task_id: str) -> list[str]:
    """A split job's items still in Redis (its hash, any lease) or in S3 (their objects)."""
    keys = [str(key) for key in valkey.scan_iter(match=f"{chunks_key(task_id)}*")]
    keys += [str(key) for key in valkey.scan_iter(match=f"{chunk_lease_prefix(task_id)}*")]
    listed = cluster.s3.client().list_objects_v2(
        Bucket=cluster.settings["S3_BUCKET"], Prefix=f"chunks/{task_id}/"
    )
    return keys + [str(entry["Key"]) for entry in listed.get("Contents", [])]


def wait_no_leftovers(cluster: HostsCluster, valkey: redis.Redis, task_id: str) -> None:
    """The job's end removes its items just after SUCCESS is recorded: wait for that."""
    deadline = time.monotonic() + 60
    while left := leftovers(cluster, valkey, task_id):
        assert time.monotonic() < deadline, left
        time.sleep(0.2)
