"""Publishing an HLS encode while FFmpeg runs. FFmpeg rewrites its own playlist after each
segment and lists only complete ones; a thread reads it every POLL_S and, for each new
segment: the segment goes to storage first, then our EVENT playlist naming every published
segment, then the record hears of it (the first time: the job is playable). A listed
segment is therefore always fetchable. `finish` publishes the rest and the VOD playlist."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from videoforge.segments.playlist import Segment, listed_segments, media_playlist
from videoforge.storage import Storage, discard, output_key

log = logging.getLogger(__name__)

POLL_S = 0.5
# Called after each playlist write with the number of segments it lists; it raises (the
# job was cancelled, or the lease lost) to stop publishing.
OnPublished = Callable[[int], None]


class LivePublisher:
    """`with LivePublisher(...) as live:` around FFmpeg, then `live.finish()`. `earlier`:
    the segments earlier attempts published (a resume), listed first and not uploaded."""

    def __init__(self, outdir: Path, playlist_name: str, storage: Storage,
                 on_published: OnPublished, earlier: list[Segment] | None = None,
                 earlier_size_bytes: int = 0) -> None:  # fmt: skip
        self.outdir = outdir
        self.playlist_name = playlist_name
        self.storage = storage
        self.on_published = on_published
        self.segments: list[Segment] = list(earlier or [])
        self.keys: list[str] = []  # what this attempt wrote
        self.size_bytes = earlier_size_bytes
        self._stop = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name="live-publish", daemon=True)

    def __enter__(self) -> LivePublisher:
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
            except BaseException as exc:  # raised again by finish(), on the attempt's thread
                self._failure = exc
                return

    def publish_new(self, ended: bool) -> None:
        """Publish the segments FFmpeg has finished since the last pass, then the playlist
        (VOD when `ended`). Nothing new and not ended: nothing written."""
        made = self.outdir / self.playlist_name
        listed = listed_segments(made.read_text()) if made.is_file() else []
        known = {segment.uri for segment in self.segments}
        new = [segment for segment in listed if segment.uri not in known]
        if not new and not ended:
            return
        for segment in new:
            path = self.outdir / segment.uri
            self.storage.put_file(output_key(segment.uri), path)
            self.keys.append(output_key(segment.uri))
            self.size_bytes += path.stat().st_size
            self.segments.append(segment)
        text = media_playlist(self.segments, ended=ended).encode()
        self.storage.put_bytes(output_key(self.playlist_name), text)
        if output_key(self.playlist_name) not in self.keys:
            self.keys.append(output_key(self.playlist_name))
        self.on_published(len(self.segments))

    def finish(self) -> tuple[list[str], int]:
        """After FFmpeg exited: the rest, and the playlist as VOD. The keys this attempt
        wrote and the size of the output's segments."""
        self.__exit__()
        if self._failure is not None:
            raise self._failure
        self.publish_new(ended=True)
        return self.keys, self.size_bytes

    def discard_own(self) -> None:
        """Remove what this attempt wrote (its segments; the playlist only if it made it)."""
        discard(self.storage, self.keys)
