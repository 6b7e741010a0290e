"""Packaging a ladder with Shaka Packager (pure argv and names).

ffmpeg's own muxers cannot make HLS and DASH over one segment set with honest manifests
(its DASH muxer leaves PLAYLIST-TYPE, FRAME-RATE and INDEPENDENT-SEGMENTS out of the HLS
it writes, and `-var_stream_map` does nothing there), so the packager cuts the encoded
rungs into CMAF segments and writes the manifests: BANDWIDTH and AVERAGE-BANDWIDTH measured
from the segments, exact CODECS, RESOLUTION and FRAME-RATE, the audio as its own group.

Segments are SEGMENT_S long on the encode's keyframe clock, numbered from 1, and named
`{stem}_v{rung}_{nnnnn}.m4s` (`_a_` for audio, `.ts` for MPEG-TS), so any manifest can be
rebuilt from the list of segments. The packager runs in the output folder; the encoded
rungs are in ../encoded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from videoforge.media.ladder_encode import AUDIO_FILE, ENCODED_DIR, LIVE_PIPE, rung_file
from videoforge.models import OutputFormat, SegmentFormat

SEGMENT_S = 6  # three 2 s keyframe intervals; Apple's recommendation for VOD
AUDIO_GROUP = "audio"
PIPE_BLOCK_BYTES = 65536


@dataclass(frozen=True)
class PackagePlan:
    stem: str  # the attempt's stem: every object's name starts with it
    format: OutputFormat
    rung_count: int
    has_audio: bool
    segment_format: SegmentFormat = SegmentFormat.FMP4
    # Read from the encoder's pipe as it is written (ladder_encode.live_argv), writing each
    # segment as it completes, EVENT playlists and a dynamic MPD (made static at the end:
    # segments.packaged); otherwise from the encoded MP4s, once.
    live: bool = False
    # The longest input a job may have: a live packager keeps that much in its window.
    longest_input_s: float = 6 * 3600

    @property
    def writes_hls(self) -> bool:
        return self.format in (OutputFormat.HLS, OutputFormat.CMAF)

    @property
    def writes_dash(self) -> bool:
        return self.format in (OutputFormat.DASH, OutputFormat.CMAF)


def master_playlist(stem: str) -> str:
    return f"{stem}.m3u8"


def mpd(stem: str) -> str:
    return f"{stem}.mpd"


def main_manifest(plan: PackagePlan) -> str:
    """The job's main output: the HLS master playlist, or the MPD for DASH alone."""
    return master_playlist(plan.stem) if plan.writes_hls else mpd(plan.stem)


def rendition_playlist(stem: str, rung: int) -> str:
    return f"{track_name(stem, f'v{rung}')}.m3u8"


def audio_playlist(stem: str) -> str:
    return f"{track_name(stem, 'a')}.m3u8"


def track_name(stem: str, label: str) -> str:
    """What every object of a track is named from: `{stem}_v0`, `{stem}_a`."""
    return f"{stem}_{label}"


def package_argv(packager: str, plan: PackagePlan) -> list[str]:
    """The packager command: one stream descriptor per rung and for the audio, then the
    manifests the format asks for."""
    argv = [packager]
    for rung in range(plan.rung_count):
        # The pipe's streams are the rungs in order, then the audio.
        source, stream = (LIVE_PIPE, str(rung)) if plan.live else (rung_file(rung), "video")
        argv.append(_descriptor(plan, f"../{ENCODED_DIR}/{source}", stream, f"v{rung}"))
    if plan.has_audio:
        source = LIVE_PIPE if plan.live else AUDIO_FILE
        audio = _descriptor(plan, f"../{ENCODED_DIR}/{source}", "audio", "a")
        argv.append(f"{audio},hls_group_id={AUDIO_GROUP},hls_name={AUDIO_GROUP}")
    argv += ["--segment_duration", str(SEGMENT_S)]
    if plan.writes_hls:
        argv += [
            "--hls_master_playlist_output", master_playlist(plan.stem),
            "--hls_playlist_type", "EVENT" if plan.live else "VOD",
        ]  # fmt: skip
    if plan.writes_dash:
        argv += ["--mpd_output", mpd(plan.stem)]
        if not plan.live:  # without it SegmentTemplate output makes a dynamic (live) MPD
            argv.append("--generate_static_live_mpd")
    if plan.live:
        # A pipe's read blocks until the whole block has come: a small one keeps the
        # packager close behind the encoder. The window holds the whole stream: the default
        # (30 min) would drop the first segments from the MPD, and delete their files, on a
        # longer video.
        argv += ["--io_block_size", str(PIPE_BLOCK_BYTES),
                 "--time_shift_buffer_depth", str(math.ceil(plan.longest_input_s))]  # fmt: skip
    return argv


def _descriptor(plan: PackagePlan, source: str, stream: str, label: str) -> str:
    name = track_name(plan.stem, label)
    fields = [f"in={source}", f"stream={stream}"]
    if plan.segment_format is SegmentFormat.TS:
        # MPEG-TS segments carry their own codec setup: no init segment.
        fields.append(f"segment_template={name}_$Number%05d$.ts")
    else:
        fields += [f"init_segment={name}_init.mp4", f"segment_template={name}_$Number%05d$.m4s"]
    if plan.writes_hls:
        fields.append(f"playlist_name={name}.m3u8")
    return ",".join(fields)
