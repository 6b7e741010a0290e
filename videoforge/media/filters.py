"""How a source is read before it is scaled (pure): which streams, deinterlacing, HDR tone
mapping and a constant frame rate. Shared by single outputs and ladders."""

from __future__ import annotations

from dataclasses import dataclass

from videoforge.media.ladder import fps_expression, output_fps
from videoforge.models import MediaInfo

# PQ and HLG to SDR BT.709: linearise with the source's own transfer and BT.2020 primaries,
# convert primaries in float, compress highlights (hable keeps mid-tones), and return to
# BT.709 limited range. zscale needs the input's properties named: probes of HDR10 files
# carry them, but a decoder does not always attach them to frames. The output's primaries
# are named too (p=bt2020): zscale takes unnamed output properties from the frame, and a
# source tagged only with its transfer (primaries "unknown") made it fail with "no path
# between colorspaces" (bt2020 in, unknown out).
_TONEMAP = (
    "zscale=tin={transfer}:min=bt2020nc:pin=bt2020:rin=tv:t=linear:p=bt2020:npl=100",
    "format=gbrpf32le",
    "zscale=p=bt709",
    "tonemap=tonemap=hable:desat=0",
    "zscale=t=bt709:m=bt709:r=tv",
)
# Tags for tone-mapped output, so players do not treat it as HDR again.
BT709_TAGS = ["-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709"]


@dataclass(frozen=True)
class VideoPrep:
    """What an argv needs to know about the source to read it right."""

    video_index: int | None = None
    audio_index: int | None = None
    # The constant output rate; 0 keeps the source's timing as it is.
    fps: float = 0.0
    interlaced: bool = False
    # The HDR transfer ("smpte2084" or "arib-std-b67") to tone-map from; "" for SDR.
    hdr_transfer: str = ""

    @classmethod
    def of(cls, media: MediaInfo) -> VideoPrep:
        return cls(
            video_index=media.video_index,
            audio_index=media.audio_index,
            fps=output_fps(media.fps),
            interlaced=media.interlaced,
            hdr_transfer=media.color_transfer if media.hdr else "",
        )

    @property
    def video_map(self) -> str:
        return "0:v:0" if self.video_index is None else f"0:{self.video_index}"

    @property
    def audio_map(self) -> str:
        return "0:a:0" if self.audio_index is None else f"0:{self.audio_index}"

    def chain(self) -> list[str]:
        """Filters before scaling, in order: deinterlace, tone-map, constant rate."""
        filters = []
        if self.interlaced:
            # bwdif, one frame per frame (25i stays 25p); its parity comes from the stream.
            filters.append("bwdif=mode=send_frame:parity=auto:deint=all")
        if self.hdr_transfer:
            filters += [step.format(transfer=self.hdr_transfer) for step in _TONEMAP]
        if self.fps:
            # A constant rate: VFR sources and rates above 60 would give segments of
            # uneven frame counts and players a FRAME-RATE that lies.
            filters.append(f"fps={fps_expression(self.fps)}")
        return filters

    def color_tags(self) -> list[str]:
        return BT709_TAGS if self.hdr_transfer else []


def scale(width: int, height: int) -> str:
    # setsar=1: the planned size already includes the source's pixel aspect ratio.
    return f"scale={width}:{height}:flags=bicubic,setsar=1"
