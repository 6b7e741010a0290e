"""Publishing an output while it is encoded. The tool that cuts segments (FFmpeg's hls
muxer here, Shaka Packager for ladders: segments.ladder_live) rewrites its manifests after
each segment and lists only complete ones; a thread reads them every POLL_S and, when they
list new segments: the lease is checked, the segments go to storage, then manifests naming
only published segments, then the record hears of it (the first time: the job is
playable). A listed segment is therefore always fetchable. `finish` publishes the rest and
ends the manifests (EXT-X-ENDLIST)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from videoforge.errors import MediaError, TransientError
from videoforge.segments.playlist import Segment, listed_segments, media_playlist
from videoforge.storage import Storage, output_key

log = logging.getLogger(__name__)

POLL_S = 0.5
# Called before each pass writes anything: it raises (the job was cancelled, the lease is
# lost or held by another attempt) to stop publishing.
Fence = Callable[[], None]
# Called after each playlist write with the number of segments it lists (the first time,
# the record points the job at the playlist and says it is playable).
OnPublished = Callable[[int], None]


class Publisher:
    """`with SomePublisher(...) as live:` around the encode, then `live.finish()`: a thread
    calls `publish_new` every POLL_S. A storage or Redis blip is tried again at the next
    pass; anything else stops the publisher, and `raise_if_failed` (called on FFmpeg's
    progress lines) stops the encode."""

    def __init__(self, storage: Storage, fence: Fence, on_published: OnPublished,
                 earlier_size_bytes: int = 0) -> None:  # fmt: skip
        self.storage = storage
        self.fence = fence
        self.on_published = on_published
        self.keys: list[str] = []  # what this attempt wrote
        self.size_bytes = earlier_size_bytes
        self._stop = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name="live-publish", daemon=True)

    def __enter__(self) -> Publisher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.ident is not None:  # started (finish() may come without it)
            self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(POLL_S):
            try:
                self.publish_new(ended=False)
            except TransientError as exc:  # storage or Redis away for a moment: next pass
                log.warning("live publishing waits: %s", exc.message)
            except BaseException as exc:  # raised again on the attempt's thread
                self._failure = exc
                return

    def raise_if_failed(self) -> None:
        if self._failure is not None:
            raise self._failure

    def publish_new(self, ended: bool) -> None:
        raise NotImplementedError

    def put(self, name: str, path: Path) -> None:
        """A media file of the output, stored and counted."""
        self.storage.put_file(output_key(name), path)
        self.keys.append(output_key(name))
        self.size_bytes += path.stat().st_size

    def put_manifest(self, name: str, text: str) -> None:
        self.storage.put_bytes(output_key(name), text.encode())
        if output_key(name) not in self.keys:
            self.keys.append(output_key(name))

    def finish(self) -> tuple[list[str], int]:
        """After the encode ended: the rest, and the manifests' end. The keys this attempt
        wrote and the size of the output's media."""
        self.__exit__()
        self.raise_if_failed()
        self.publish_new(ended=True)
        return self.keys, self.size_bytes


class LivePublisher(Publisher):
    """One rendition's HLS, as FFmpeg's hls muxer cuts it. `earlier`: the segments earlier
    attempts published (a resume), listed first and not uploaded."""

    def __init__(self, outdir: Path, playlist_name: str, storage: Storage, fence: Fence,
                 on_published: OnPublished, target_s: int, earlier: list[Segment] | None = None,
                 earlier_size_bytes: int = 0) -> None:  # fmt: skip
        super().__init__(storage, fence, on_published, earlier_size_bytes)
        self.outdir = outdir
        self.playlist_name = playlist_name
        self.target_s = target_s
        self.segments: list[Segment] = list(earlier or [])
        self._owed = False

    def publish_new(self, ended: bool) -> None:
        """Publish the segments FFmpeg has finished since the last pass, then the playlist
        (with EXT-X-ENDLIST when `ended`). Nothing new and not ended: nothing written."""
        made = self.outdir / self.playlist_name
        listed = listed_segments(made.read_text()) if made.is_file() else []
        known = {segment.uri for segment in self.segments}
        new = [segment for segment in listed if segment.uri not in known]
        if not new and not ended and not self._owed:
            return
        self._owed = True  # until the record has heard: a pass cut short is done again
        self.fence()
        for segment in new:
            self.put(segment.uri, self.outdir / segment.uri)
            self.segments.append(segment)
        if not self.segments:
            raise MediaError("FFmpeg error: it wrote no segment")
        text = media_playlist(self.segments, ended=ended, target_s=self.target_s)
        self.put_manifest(self.playlist_name, text)
        self.on_published(len(self.segments))
        self._owed = False
