"""Publishing a ladder while Shaka Packager cuts it (media.packaging, `live`): each pass
reads the manifests the packager wrote, stores the init segments and segments they name
that are not stored yet, then the manifests themselves: the media playlists and the MPD,
the master playlist last. Nothing is published before every track has its first segment,
and then the job is playable. At the end the playlists get EXT-X-ENDLIST and the MPD is
made static (segments.packaged)."""

from __future__ import annotations

from pathlib import Path

from videoforge.errors import MediaError
from videoforge.media import manifests, packaging
from videoforge.segments.live import Batch, Fence, OnPublished, Publisher
from videoforge.segments.packaged import (
    Track,
    ended_playlist,
    mpd_tracks,
    playlist_track,
    static_mpd,
    with_target,
    with_time_offset,
)
from videoforge.storage import Storage

# The media playlists' target duration from the first: a video segment is SEGMENT_S, but
# AAC frames do not divide it, so audio segments run a few ms over (6.016 s rounds up to 7).
LIVE_TARGET_S = packaging.SEGMENT_S + 1


class LadderPublisher(Publisher):
    """`with LadderPublisher(...) as live:` around the packaged encode, then
    `live.finish()` (see Publisher); reads the packager's output in `outdir`."""

    def __init__(self, outdir: Path, plan: packaging.PackagePlan, storage: Storage,
                 fence: Fence, on_published: OnPublished) -> None:  # fmt: skip
        super().__init__(outdir, storage, fence, on_published)
        self.plan = plan

    def _playlists(self) -> list[str]:
        stem = self.plan.stem
        names = [packaging.rendition_playlist(stem, n) for n in range(self.plan.rung_count)]
        return names + ([packaging.audio_playlist(stem)] if self.plan.has_audio else [])

    def _read(self, name: str) -> str | None:
        path = self.outdir / name
        return path.read_text() if path.is_file() else None

    def _snapshot(self) -> tuple[dict[str, str], list[Track]] | None:
        """The manifests as they are now, and the tracks they name; None while a track
        has no segment yet or a manifest is missing or cut short."""
        texts: dict[str, str] = {}
        tracks: list[Track] = []
        if self.plan.writes_hls:
            for name in self._playlists():
                text = self._read(name)
                track = playlist_track(text) if text is not None else None
                if text is None or track is None:
                    return None
                texts[name] = text
                tracks.append(track)
        if self.plan.writes_dash:
            name = packaging.mpd(self.plan.stem)
            text = self._read(name)
            found = mpd_tracks(text) if text is not None else None
            if text is None or found is None:
                return None
            texts[name] = text
            tracks += found
        if self.plan.writes_hls:  # the master last: it names the playlists
            name = packaging.master_playlist(self.plan.stem)
            text = self._read(name)
            if text is None or any(playlist not in text for playlist in self._playlists()):
                return None  # not yet written, or cut short
            texts[name] = text
        if not tracks or any(not track.segments for track in tracks):
            return None
        return texts, tracks

    def batch(self, ended: bool) -> Batch | None:
        """What the manifests name that is not stored yet, and the manifests as published
        (ended ones when `ended`); None while a track has no segment yet."""
        snapshot = self._snapshot()
        if snapshot is None:
            if ended:
                raise MediaError("Packager error: it wrote no complete manifest")
            return None
        texts, tracks = snapshot
        files = [f for t in tracks for f in ([t.init] if t.init else []) + t.segments]
        new = list(dict.fromkeys(f for f in files if f not in self.stored))
        if any(not (self.outdir / name).is_file() for name in new):
            raise MediaError("Packager error: a manifest names a segment it did not write")
        published = {name: _published(name, text, ended) for name, text in texts.items()}
        return Batch(new, published, min(len(track.segments) for track in tracks))


def _published(name: str, text: str, ended: bool) -> str:
    if name.endswith(".mpd"):
        aligned = with_time_offset(text)
        return static_mpd(aligned) if ended else aligned
    if name.endswith(".m3u8") and "#EXT-X-STREAM-INF" in text:  # the master
        return manifests.tidy_master(text)
    playlist = with_target(text, LIVE_TARGET_S)
    return ended_playlist(playlist) if ended else playlist
