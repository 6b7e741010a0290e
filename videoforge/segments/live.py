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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Batch:
    """What one publishing pass writes: media files (named in the output folder) not
    stored yet, then the manifests naming them and what was stored before (in order, the
    main one last), and how many segments the manifests list."""

    media: list[str]
    manifests: dict[str, str]
    listed: int


class Publisher:
    """`with SomePublisher(...) as live:` around the encode, then `live.finish()`: a thread
    calls `publish_new` every POLL_S. A storage or Redis blip is tried again at the next
    pass; anything else stops the publisher, and `raise_if_failed` (called on FFmpeg's
    progress lines) stops the encode."""

    def __init__(self, outdir: Path, storage: Storage, fence: Fence,
                 on_published: OnPublished, earlier_size_bytes: int = 0) -> None:  # fmt: skip
        self.outdir = outdir
        self.storage = storage
        self.fence = fence
        self.on_published = on_published
        self.keys: list[str] = []  # what this attempt wrote
        self.size_bytes = earlier_size_bytes
        self.stored: set[str] = set()  # media files this attempt stored
        self._owed = False
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

    def batch(self, ended: bool) -> Batch | None:
        """What this pass would publish (the manifests ended when `ended`); None when there
        is nothing to publish yet."""
        raise NotImplementedError

    def publish_new(self, ended: bool) -> None:
        """One pass: the lease checked, new media stored, then the manifests, then the
        record told. Nothing new and not ended: nothing written."""
        batch = self.batch(ended)
        if batch is None or (not batch.media and not ended and not self._owed):
            return
        self._owed = True  # until the record has heard: a pass cut short is done again
        self.fence()
        for name in batch.media:
            path = self.outdir / name
            self.storage.put_file(output_key(name), path)
            self.keys.append(output_key(name))
            self.size_bytes += path.stat().st_size
            self.stored.add(name)
        for name, text in batch.manifests.items():
            self.storage.put_bytes(output_key(name), text.encode())
            if output_key(name) not in self.keys:
                self.keys.append(output_key(name))
        self.on_published(batch.listed)
        self._owed = False

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
        super().__init__(outdir, storage, fence, on_published, earlier_size_bytes)
        self.playlist_name = playlist_name
        self.target_s = target_s
        self.earlier: list[Segment] = list(earlier or [])

    def batch(self, ended: bool) -> Batch:
        """The segments FFmpeg has finished that are not stored, and our playlist of every
        segment stored by then (with EXT-X-ENDLIST when `ended`)."""
        made = self.outdir / self.playlist_name
        listed = listed_segments(made.read_text()) if made.is_file() else []
        earlier = {segment.uri for segment in self.earlier}
        segments = self.earlier + [s for s in listed if s.uri not in earlier]
        if ended and not segments:
            raise MediaError("FFmpeg error: it wrote no segment")
        text = media_playlist(segments, ended=ended, target_s=self.target_s)
        new = [s.uri for s in segments if s.uri not in earlier and s.uri not in self.stored]
        return Batch(new, {self.playlist_name: text}, len(segments))
