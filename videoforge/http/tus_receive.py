"""Receiving a tus body: checked against the upload's state, then staged on disk under the
upload's lock, and the finished file sent to the accept path. Used by `http/tus.py`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import BinaryIO

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request

from videoforge import sources
from videoforge.engine import Services
from videoforge.errors import Conflict, TransientError, UploadTooLarge, VideoforgeError
from videoforge.http.deps import in_storage_threads
from videoforge.http.uploads import body_chunks
from videoforge.http.videos import list_accepted
from videoforge.resumable import protocol
from videoforge.resumable.store import DONE, RECEIVING, REFUSED, Upload, UploadStore

LOCK_TTL_S = 30.0  # a writer that dies frees its upload this soon; live ones renew it


def _check_offset(upload: Upload, at: int) -> None:
    if upload.state != RECEIVING:
        raise Conflict(f"upload {upload.upload_id} is {upload.state}: it takes no more bytes")
    if at != upload.offset:
        raise Conflict(f"Upload-Offset is {at}, but the upload is at {upload.offset}")


async def receive(
    request: Request,
    services: Services,
    uploads: UploadStore,
    upload: Upload,
    at: int,
    declared: int | None,
) -> tuple[int, float]:
    """Check, then stage the body at `at` under the upload's lock; the new offset and expiry.
    The last byte sends the file to the accept path."""
    _check_offset(upload, at)
    protocol.check_room(at, upload.length, declared)
    async with locked(uploads, upload.upload_id) as token:
        upload = await run_in_threadpool(uploads.get, upload.upload_id)  # as of the lock
        _check_offset(upload, at)
        received = await _stage(request, services, uploads, upload, token)
        expires_at = await run_in_threadpool(uploads.advance, upload.upload_id, token, received)
        if received == upload.length:
            await _complete(request, services, uploads, upload)
    return received, expires_at


async def _stage(
    request: Request, services: Services, uploads: UploadStore, upload: Upload, token: str
) -> int:
    """Write the body after the recorded offset; the offset it reaches. Bytes past the
    length refuse the whole body (nothing of it is kept); a dropped body keeps what came."""
    idle_timeout_s = services.engine.settings.upload_idle_timeout_s
    room = upload.length - upload.offset
    written = 0
    # Unbuffered: what a write returned for is in the file, so an offset never counts bytes
    # left in a buffer (chunks arrive in tens of KiB: no extra system calls).
    with uploads.path(upload.upload_id).open("r+b", buffering=0) as handle:
        handle.seek(upload.offset)
        handle.truncate()  # whatever a writer that died left past the recorded offset
        try:
            async for chunk in body_chunks(request, idle_timeout_s):
                if written + len(chunk) > room:
                    protocol.raise_past_length(upload.length)
                await run_in_threadpool(_write_all, handle, chunk)
                written += len(chunk)
        except (ClientDisconnect, VideoforgeError) as exc:
            if isinstance(exc, UploadTooLarge) or not written:
                await run_in_threadpool(handle.truncate, upload.offset)
            else:  # a dropped or stalled body: keep what came, so the client resumes there
                await run_in_threadpool(
                    uploads.advance, upload.upload_id, token, upload.offset + written
                )
            raise
    return upload.offset + written


def _write_all(handle: BinaryIO, data: bytes) -> None:
    view = memoryview(data)
    while view:  # a raw write may take less than it was given
        view = view[handle.write(view) :]


async def _complete(
    request: Request, services: Services, uploads: UploadStore, upload: Upload
) -> None:
    """Probe and keep the finished upload as POST /videos/upload does, or record why not."""
    path = uploads.path(upload.upload_id)
    name = upload.filename or "upload"
    try:
        source = await in_storage_threads(
            request, lambda: sources.accept(services.engine, path, name)
        )
        await list_accepted(request, services, source, upload.length)
    except TransientError:
        raise  # the bytes stay: a PATCH of no bytes at the end tries again
    except VideoforgeError as exc:
        await run_in_threadpool(uploads.finish, upload.upload_id, REFUSED, "", exc.message)
        return
    await run_in_threadpool(uploads.finish, upload.upload_id, DONE, source.file_id)


@asynccontextmanager
async def locked(uploads: UploadStore, upload_id: str) -> AsyncIterator[str]:
    """Hold the upload's lock (409 if another request writes to it), renewed meanwhile."""
    token = await run_in_threadpool(uploads.lock, upload_id)
    if token is None:
        raise Conflict(f"another request is writing to upload {upload_id}")
    renewer = asyncio.create_task(_renew(uploads, upload_id, token))
    try:
        yield token
    finally:
        renewer.cancel()
        await run_in_threadpool(uploads.unlock, upload_id, token)


async def _renew(uploads: UploadStore, upload_id: str, token: str) -> None:
    while True:
        await asyncio.sleep(LOCK_TTL_S / 3)
        await run_in_threadpool(uploads.renew, upload_id, token)
