"""Local-disk storage under DATA_DIR/objects, for one-machine installs."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from videoforge.errors import NotFound, TransientError

CHUNK_BYTES = 256 * 1024
# Why os.link may fail where a copy works: another filesystem, no hard links there, or too
# many links to one file (or `dest` is there already: the copy overwrites it).
_NO_HARD_LINK = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES, errno.EEXIST}


class LocalStorage:
    """Objects are files; writes go to a temp file in the same directory, then os.replace."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise NotFound(f"invalid storage key {key!r}")
        return path

    def _write_atomically(self, key: str, copy: Callable[[BinaryIO], object]) -> None:
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        except OSError as exc:
            raise TransientError(f"storage write failed: {exc.strerror or exc}") from exc
        try:
            with os.fdopen(fd, "wb") as out:
                copy(out)
            os.replace(tmp_name, target)
        except OSError as exc:
            Path(tmp_name).unlink(missing_ok=True)
            # Disk full, a read-only mount, a broken path: worth another attempt later.
            raise TransientError(f"storage write failed: {exc.strerror or exc}") from exc
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise

    def put_file(self, key: str, path: Path) -> None:
        """Store `path` under `key`: a hard link when both are on one filesystem (no bytes
        copied: a finished encode is published in a moment), else a copy. Either way the
        caller must not change the file afterwards, only delete it."""
        # Opened first: a missing local file is the caller's bug, not a storage outage.
        with path.open("rb") as src:
            if self._link_into_place(key, path):
                return
            self._write_atomically(key, lambda out: shutil.copyfileobj(src, out, CHUNK_BYTES))

    def _link_into_place(self, key: str, path: Path) -> bool:
        """Hard-link `path` to `key` (via a temporary name, then os.replace); False when the
        filesystem cannot (another device, no hard links): the caller copies instead."""
        target = self._path(key)
        tmp = target.parent / f".link-{os.getpid()}-{secrets.token_hex(6)}"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, tmp)
        except OSError:
            return False
        try:
            os.replace(tmp, target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise TransientError(f"storage write failed: {exc.strerror or exc}") from exc
        return True

    def put_bytes(self, key: str, data: bytes) -> None:
        self._write_atomically(key, lambda out: out.write(data))

    def fetch_file(self, key: str, dest: Path) -> None:
        """Put the object at `dest`: a hard link when the filesystem allows (a worker then
        reads the stored source in place), else a copy. Callers only read and delete it."""
        source = self._path(key)
        try:
            try:
                os.link(source, dest)
            except OSError as exc:
                if exc.errno not in _NO_HARD_LINK:
                    raise
                shutil.copyfile(source, dest)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise NotFound(f"{key} not found") from exc
        except OSError as exc:
            raise TransientError(f"storage read failed: {exc.strerror or exc}") from exc

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise NotFound(f"{key} not found") from exc

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        try:
            handle = self._path(key).open("rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise NotFound(f"{key} not found") from exc
        return _chunks(handle, start, end)

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        if path.parent.parent != self.root:
            # A file's own folder (sources/{file_id}) goes with its last object; top-level
            # folders stay, so concurrent writers never lose theirs.
            with contextlib.suppress(OSError):
                path.parent.rmdir()

    def list_keys(self, prefix: str) -> Iterator[tuple[str, float]]:
        # A prefix, as in S3: "outputs/" lists a folder, "outputs/abc" the keys starting so.
        folder = self.root / prefix.rpartition("/")[0]
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            key = path.relative_to(self.root).as_posix()
            # `.part-` files are writes in flight (see _write_atomically), not objects.
            if key.startswith(prefix) and path.is_file() and not path.name.startswith(".part-"):
                with contextlib.suppress(FileNotFoundError):  # deleted meanwhile
                    yield key, path.stat().st_mtime

    def presigned_url(
        self, key: str, expires_s: int, disposition: str | None = None, internal: bool = False
    ) -> str:
        raise NotImplementedError("local storage has no presigned URLs")  # settings forbid it

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        if not path.is_file():
            raise NotFound(f"{key} not found")
        return path

    def check(self) -> None:
        try:
            self.put_bytes(".readyz", b"ok")
            self.size(".readyz")
        except OSError as exc:
            raise TransientError(f"local storage is not writable: {exc}") from exc


def _chunks(handle: BinaryIO, start: int, end: int | None) -> Iterator[bytes]:
    with handle:
        handle.seek(start)
        remaining = None if end is None else end - start + 1
        while remaining is None or remaining > 0:
            want = CHUNK_BYTES if remaining is None else min(CHUNK_BYTES, remaining)
            chunk = handle.read(want)
            if not chunk:
                return
            if remaining is not None:
                remaining -= len(chunk)
            yield chunk
