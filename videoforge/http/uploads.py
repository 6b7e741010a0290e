"""Receive a multipart upload by streaming the request body to a temp file.

FastAPI's UploadFile parses the whole form before a handler runs, so the size limit could only
be checked afterwards. Here python-multipart's low-level parser sees each chunk as it arrives:
the limit is enforced while streaming and memory stays bounded by one chunk.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from videoforge import workspace
from videoforge.errors import InvalidRequest, RequestTimeout, UnsupportedMedia, UploadTooLarge

FIELD_NAME = b"file"
# Multipart framing and headers on top of the file itself.
ENVELOPE_BYTES = 64 * 1024


@dataclass
class ReceivedUpload:
    path: Path
    original_name: str
    size_bytes: int


@dataclass
class _Sink:
    """Parser callbacks: write the `file` part to `out`, count it, ignore other parts."""

    out: IO[bytes]
    max_bytes: int
    size_bytes: int = 0
    original_name: str | None = None
    _headers: dict[bytes, bytes] = field(default_factory=dict)
    _field: bytes = b""
    _value: bytes = b""
    _in_file: bool = False
    _done: bool = False

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda d, s, e: self._append("_field", d[s:e]),
            "on_header_value": lambda d, s, e: self._append("_value", d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._part_end,
        }

    def _append(self, name: str, data: bytes) -> None:
        setattr(self, name, getattr(self, name) + data)

    def _part_begin(self) -> None:
        self._headers = {}

    def _header_end(self) -> None:
        self._headers[self._field.strip().lower()] = self._value.strip()
        self._field = self._value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._in_file = options.get(b"name") == FIELD_NAME and not self._done
        if self._in_file:
            self.original_name = options.get(b"filename", b"").decode("utf-8", "replace")

    def _data(self, data: bytes, start: int, end: int) -> None:
        if not self._in_file:
            return
        self.size_bytes += end - start
        if self.size_bytes > self.max_bytes:
            raise UploadTooLarge(f"the upload exceeds the limit of {self.max_bytes} bytes")
        self.out.write(data[start:end])

    def _part_end(self) -> None:
        if self._in_file:
            self._done = True
        self._in_file = False

    @property
    def file_complete(self) -> bool:
        """True once the `file` part's closing boundary has been seen."""
        return self._done


def _boundary(request: Request) -> bytes:
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or not options.get(b"boundary"):
        raise InvalidRequest("send the video as multipart/form-data in a field named 'file'")
    return options[b"boundary"]


def _check_declared_length(request: Request, max_bytes: int) -> None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + ENVELOPE_BYTES:
        raise UploadTooLarge(f"the upload exceeds the limit of {max_bytes} bytes")


async def body_chunks(request: Request, idle_timeout_s: float) -> AsyncIterator[bytes]:
    """A request body chunk by chunk; RequestTimeout when nothing arrives for a while."""
    # Uvicorn has no body timeout: a client that stops sending would hold a temp file and a
    # connection forever.
    stream = request.stream().__aiter__()
    while True:
        try:
            yield await asyncio.wait_for(anext(stream), idle_timeout_s)
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise RequestTimeout(f"the upload sent nothing for {idle_timeout_s:g} s") from None


async def receive_upload(
    request: Request, temp_dir: Path, max_bytes: int, idle_timeout_s: float = 60.0
) -> ReceivedUpload:
    """Stream the `file` field to a new temp file; the caller deletes it."""
    boundary = _boundary(request)
    _check_declared_length(request, max_bytes)
    temp_dir.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed below, kept on success)
        dir=temp_dir, prefix=workspace.upload_prefix(), delete=False
    )
    path = Path(handle.name)
    body_bytes = 0
    try:
        with handle:
            sink = _Sink(out=handle, max_bytes=max_bytes)
            parser = MultipartParser(boundary, sink.callbacks())  # type: ignore[arg-type]
            async for chunk in body_chunks(request, idle_timeout_s):
                body_bytes += len(chunk)
                # Other fields count too, or a huge one would be read without limit.
                if body_bytes > max_bytes + ENVELOPE_BYTES:
                    raise UploadTooLarge(f"the upload exceeds the limit of {max_bytes} bytes")
                # Parsing writes to disk: keep it off the event loop.
                await run_in_threadpool(parser.write, chunk)
            parser.finalize()
    except MultipartParseError as exc:
        path.unlink(missing_ok=True)
        raise InvalidRequest(f"the multipart body is malformed: {exc}") from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if sink.original_name is None:
        path.unlink(missing_ok=True)
        raise InvalidRequest("the multipart field 'file' is missing")
    if not sink.file_complete:
        path.unlink(missing_ok=True)
        raise InvalidRequest("the upload ended before the file did (no closing boundary)")
    if sink.size_bytes == 0:
        path.unlink(missing_ok=True)
        raise UnsupportedMedia("the uploaded file is empty")
    return ReceivedUpload(path, sink.original_name, sink.size_bytes)
