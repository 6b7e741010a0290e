"""Sources: the videos users upload (the API calls them files, by `file_id`). Accepting a
probed upload into storage, probing under the input rules, looking one up, making images of
one (previews, the storyboard), and deleting one with everything made from it."""

from __future__ import annotations

import json
import re
import shutil
import time
import unicodedata
import uuid
from collections.abc import Callable
from pathlib import Path

from videoforge import workspace
from videoforge.catalog import SourceCatalog
from videoforge.engine import Engine
from videoforge.errors import Conflict, NotFound
from videoforge.media import probe, run, storyboard
from videoforge.media.filters import VideoPrep
from videoforge.models import JobKind, JobState, MediaInfo, SourceFile
from videoforge.outputs import remove_output
from videoforge.settings import Settings
from videoforge.storage import (
    Storage,
    discard,
    meta_key,
    preview_key,
    preview_prefix,
    source_key,
)

FILE_ID = re.compile(r"^[0-9a-f]{32}$")
# ffmpeg reads an S3 source through a presigned URL valid this long (seeks need minutes).
SOURCE_URL_TTL_S = 900
_SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")
# Where the original name has no usable suffix, one from the probed container.
_SUFFIX_BY_FORMAT = {"mov,mp4,m4a,3gp,3g2,mj2": ".mp4", "matroska,webm": ".mkv", "avi": ".avi"}


def accept(
    engine: Engine, path: Path, original_name: str, file_id: str | None = None
) -> SourceFile:
    """Probe a received file and store it with its record; UnsupportedMedia if not a video.
    `file_id`: one chosen beforehand (an import's, named when it was queued)."""
    return keep_probed(engine, path, probe_checked(engine, path), original_name, file_id)


def keep_probed(
    engine: Engine, path: Path, media: MediaInfo, original_name: str, file_id: str | None = None
) -> SourceFile:
    """Store a local file already probed (see probe_checked) with its record."""

    def store(key: str) -> None:
        engine.storage.put_file(key, path)

    return _keep(engine, media, original_name, store, file_id)


def accept_stored(
    engine: Engine, key: str, original_name: str, copy: Callable[[str, str], None]
) -> SourceFile:
    """The same for an object a client put in storage itself (a direct upload): probed in
    place through a presigned URL, under the same rules, then copied to its source key."""
    head = b"".join(engine.storage.read(key, 0, 63))
    url = engine.storage.presigned_url(key, SOURCE_URL_TTL_S, internal=True)  # our ffprobe
    media = run.probe_stored(engine.binaries, url, head, engine.settings.max_input_pixels)
    probe.check_limits(media, input_limits(engine.settings))
    return _keep(engine, media, original_name, lambda dest: copy(key, dest))


def _keep(
    engine: Engine,
    media: MediaInfo,
    original_name: str,
    store: Callable[[str], None],
    file_id: str | None = None,
) -> SourceFile:
    file_id = file_id or uuid.uuid4().hex
    source = SourceFile(
        file_id=file_id,
        filename=file_id + _suffix(original_name, media.format_name),
        original_name=safe_original_name(original_name),
        storage_key=source_key(file_id),
        media=media,
        created_at=time.time(),
    )
    store(source.storage_key)
    # The record goes last: a file is known only once its bytes are stored.
    engine.storage.put_bytes(meta_key(file_id), json.dumps(source.to_dict()).encode())
    return source


def probe_checked(engine: Engine, path: Path) -> MediaInfo:
    """Probe a local file under the input rules, when it is received."""
    media = run.probe_media(engine.binaries, path, engine.settings.max_input_pixels)
    probe.check_limits(media, input_limits(engine.settings))
    return media


def input_limits(settings: Settings) -> probe.InputLimits:
    """The input rules from settings."""
    return probe.InputLimits(
        max_pixels=settings.max_input_pixels,
        max_duration_s=settings.max_input_duration_s,
        max_fps=settings.max_input_fps,
        max_streams=settings.max_input_streams,
    )


def stored_media(engine: Engine, file_id: str) -> MediaInfo:
    """What the file's probe found when it was received (kept in its record, and stored
    objects never change), checked against today's input rules: they may have tightened
    since. An encode also passes ffmpeg the pixel limit and the formats allowed."""
    media = lookup(engine, file_id).media
    probe.check_limits(media, input_limits(engine.settings))
    return media


def lookup(engine: Engine, file_id: str) -> SourceFile:
    """The record of an accepted upload; NotFound for unknown or malformed ids."""
    if not FILE_ID.match(file_id):
        raise NotFound(f"no file {file_id[:64]}")
    try:
        raw = b"".join(engine.storage.read(meta_key(file_id)))
    except NotFound:
        raise NotFound(f"no file {file_id}") from None
    return SourceFile.from_dict(json.loads(raw))


def delete(engine: Engine, catalog: SourceCatalog, file_id: str) -> None:
    """Remove a file, its outputs and its job records; Conflict while a job is unfinished.

    The file stops taking jobs first. Its record in storage goes last: if anything fails
    half-way, the file is still there and a second DELETE finishes the work."""
    lookup(engine, file_id)
    unfinished = engine.jobs.close_file(file_id)
    if unfinished:
        raise Conflict(
            f"file {file_id} has {len(unfinished)} unfinished job(s) ({', '.join(unfinished)}): "
            "cancel them or wait for them to end"
        )
    jobs = engine.jobs.jobs_for_file(file_id)
    for job in jobs:
        if job.state is JobState.SUCCESS and job.kind is JobKind.TRANSCODE:
            remove_output(engine.storage, job.published_name or job.output_name)
    engine.storage.delete(source_key(file_id))
    _delete_previews(engine, file_id)
    catalog.remove(file_id)
    engine.jobs.delete_finished(file_id, jobs)
    engine.storage.delete(meta_key(file_id))
    # Again: a storyboard made meanwhile by a worker that still saw the file. One written
    # after this looks for the file once it is written, and removes itself.
    _delete_previews(engine, file_id)


def _delete_previews(engine: Engine, file_id: str) -> None:
    """Thumbnails, animations and the storyboard (listed first: deleting while paging)."""
    for key in [key for key, _ in engine.storage.list_keys(preview_prefix(file_id))]:
        engine.storage.delete(key)


def in_place(storage: Storage, source: SourceFile) -> Path | str | None:
    """Where ffmpeg can read a stored source without copying it: the local file, or a
    presigned URL (S3) on the endpoint this process reaches (our own FFmpeg reads it, not
    a client). None: it must be fetched first (a backend with neither)."""
    path = storage.local_path(source.storage_key)
    if path is not None:
        return path
    try:
        return storage.presigned_url(source.storage_key, SOURCE_URL_TTL_S, internal=True)
    except NotImplementedError:
        return None


def render(
    engine: Engine,
    source: SourceFile,
    where: Path | str | None,
    name: str,
    argv_for: Callable[[Path | str], list[str]],
    timeout_s: float,
) -> bytes:
    """Make one image of a source (a preview, a storyboard sprite) in a scratch dir: ffmpeg
    reads the source `where` in_place said, or a scratch copy."""
    settings = engine.settings
    settings.temp_dir.mkdir(parents=True, exist_ok=True)
    scratch = workspace.create(settings.temp_dir, f"image-{source.file_id}")
    try:
        if where is None:
            where = scratch / "source"
            engine.storage.fetch_file(source.storage_key, where)
        return run.render_image(argv_for(where), scratch, name, engine.binaries, timeout_s)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def make_storyboard(engine: Engine, file_id: str) -> bool:
    """Make a file's storyboard (sprite, then its layout) unless it exists; a worker does
    this right after the upload. Returns whether it was made."""
    storage = engine.storage
    if _stored(storage, preview_key(file_id, storyboard.LAYOUT)):
        return False
    source = lookup(engine, file_id)
    board = storyboard.plan_storyboard(source.media)
    prep, ffmpeg = VideoPrep.of(source.media), engine.binaries.ffmpeg
    max_pixels = engine.settings.max_input_pixels
    body = render(
        engine, source, in_place(storage, source), storyboard.SPRITE,
        lambda where: storyboard.storyboard_argv(ffmpeg, where, board, prep, max_pixels),
        float(engine.settings.task_soft_time_limit_s),
    )  # fmt: skip
    keys = [preview_key(file_id, storyboard.SPRITE), preview_key(file_id, storyboard.LAYOUT)]
    storage.put_bytes(keys[0], body)
    # The layout last: once it is there, the storyboard is whole.
    storage.put_bytes(keys[1], json.dumps(storyboard.layout(board)).encode())
    if not _stored(storage, meta_key(file_id)):  # the file was deleted meanwhile
        discard(storage, keys)
        return False
    return True


def _stored(storage: Storage, key: str) -> bool:
    try:
        storage.size(key)
    except NotFound:
        return False
    return True


def discard_upload(engine: Engine, file_id: str) -> None:
    """Best effort: remove a just-stored upload that could not be listed."""
    discard(engine.storage, [meta_key(file_id), source_key(file_id)])


def _suffix(original_name: str, format_name: str) -> str:
    suffix = Path(original_name).suffix.lower()
    if _SUFFIX.match(suffix):
        return suffix
    return _SUFFIX_BY_FORMAT.get(format_name, ".bin")


def safe_original_name(name: str, limit: int = 120) -> str:
    """An uploaded file's name as metadata: no path, no control characters, capped length."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip(" .-") or "video"
    return name[-limit:]
