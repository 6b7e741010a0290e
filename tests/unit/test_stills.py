"""Previews made on demand: their parameter checks, names and ffmpeg argv, as data."""

from __future__ import annotations

from pathlib import Path

import pytest

from videoforge.errors import InvalidRequest
from videoforge.media import stills
from videoforge.media.filters import VideoPrep
from videoforge.media.probe import INPUT_GUARDS
from videoforge.models import MediaInfo

SOURCE = Path("/data/objects/sources/abc/source")


def media(
    width: int = 1280, height: int = 720, duration_s: float = 20.0, **extra: object
) -> MediaInfo:
    return MediaInfo(
        duration_s=duration_s, width=width, height=height, video_codec="h264",
        audio_codec="aac", format_name="mov,mp4,m4a,3gp,3g2,mj2", size_bytes=1000,
        **extra,  # type: ignore[arg-type]
    )  # fmt: skip


def test_still_defaults_a_tenth_in_at_the_displayed_width() -> None:
    assert stills.plan_still(media(), "jpg", None, None) == stills.Still(2000, 1280, 720, "jpg")
    rotated = stills.plan_still(media(rotation_deg=90), "png", None, None)
    assert (rotated.width, rotated.height) == (720, 1280)
    huge = stills.plan_still(media(7680, 4320), "webp", 1.5, None)
    assert (huge.width, huge.height, huge.time_ms) == (3840, 2160, 1500)


def test_still_sides_are_even_and_keep_the_aspect() -> None:
    still = stills.plan_still(media(640, 480), "jpg", 1.2501, 321)
    assert (still.width, still.height) == (320, 240)
    assert still.name == "thumb-t1250-w320.jpg"
    assert still.content_type == "image/jpeg"


@pytest.mark.parametrize(
    ("time_s", "width", "words"),
    [
        (-1.0, None, "0 or more"),
        (float("nan"), None, "0 or more"),
        (20.0, None, "before the end"),
        (25.0, None, "before the end"),
        (1.0, 0, "at least 2"),
        (1.0, 1281, "at most 1280 (the video's width)"),
    ],
)
def test_still_parameters_out_of_range_are_422(
    time_s: float, width: int | None, words: str
) -> None:
    with pytest.raises(InvalidRequest, match=words.replace("(", r"\(").replace(")", r"\)")):
        stills.plan_still(media(), "jpg", time_s, width)


def test_still_width_is_capped_at_3840_even_for_bigger_videos() -> None:
    with pytest.raises(InvalidRequest, match="at most 3840"):
        stills.plan_still(media(7680, 4320), "jpg", 1.0, 4000)


def test_animation_defaults_and_limits() -> None:
    assert stills.plan_animation(media(), "webp", None, None, None, None) == stills.Animation(
        0, 3000, 320, 180, 10, "webp"
    )
    near_end = stills.plan_animation(media(duration_s=4.0), "gif", 2.5, None, None, None)
    assert (near_end.start_ms, near_end.end_ms) == (2500, 4000)
    small = stills.plan_animation(media(200, 100), "gif", None, None, None, None)
    assert (small.width, small.height) == (200, 100)
    assert small.name == "anim-s0-e3000-w200-f10.gif"
    assert small.content_type == "image/gif"


@pytest.mark.parametrize(
    ("start", "end", "width", "fps", "words"),
    [
        (0.0, 10.5, None, None, "at most 10 s"),
        (2.0, 2.0, None, None, "end must be after start"),
        (3.0, 1.0, None, None, "end must be after start"),
        (-1.0, None, None, None, "0 or more"),
        (20.0, None, None, None, "before the end"),
        (1.0, 21.0, None, None, "before the end"),
        (None, None, 642, None, "at most 640"),
        (None, None, 0, None, "at least 2"),
        (None, None, None, 31, "fps must be from 1 to 30"),
        (None, None, None, 0, "fps must be from 1 to 30"),
    ],
)
def test_animation_parameters_beyond_the_limits_are_422(
    start: float | None, end: float | None, width: int | None, fps: int | None, words: str
) -> None:
    with pytest.raises(InvalidRequest, match=words):
        stills.plan_animation(media(), "webp", start, end, width, fps)


def test_unknown_types_are_refused() -> None:
    with pytest.raises(InvalidRequest):
        stills.plan_still(media(), "gif", None, None)
    with pytest.raises(InvalidRequest):
        stills.plan_animation(media(), "jpg", None, None, None, None)


def _after(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def test_still_argv_seeks_before_the_guarded_input_and_takes_one_frame() -> None:
    still = stills.Still(2500, 640, 360, "jpg")
    argv = stills.preview_argv("ffmpeg", SOURCE, still, VideoPrep(video_index=1), 1000)
    assert argv[0] == "ffmpeg"
    assert argv.index("-ss") < argv.index("-i")
    assert _after(argv, "-ss") == "2.500"
    assert _after(argv, "-i") == f"file:{SOURCE}"
    start = argv.index(INPUT_GUARDS[0])
    assert argv[start : start + len(INPUT_GUARDS)] == INPUT_GUARDS
    assert _after(argv, "-max_pixels") == "1000"
    assert _after(argv, "-map") == "0:1"
    assert "-an" in argv
    assert _after(argv, "-vf") == "scale=640:360:flags=bicubic,setsar=1"
    assert _after(argv, "-frames:v") == "1"
    assert _after(argv, "-c:v") == "mjpeg"
    assert argv[-1] == still.name == "thumb-t2500-w640.jpg"


@pytest.mark.parametrize(("extension", "codec"), [("png", "png"), ("webp", "libwebp")])
def test_still_codecs(extension: str, codec: str) -> None:
    argv = stills.preview_argv("ffmpeg", SOURCE, stills.Still(0, 64, 36, extension), VideoPrep(), 1)
    assert _after(argv, "-c:v") == codec
    assert _after(argv, "-map") == "0:v:0"
    assert argv[-1].endswith(f".{extension}")


def test_prep_deinterlaces_and_tone_maps_but_sets_no_rate_of_its_own() -> None:
    prep = VideoPrep(fps=25.0, interlaced=True, hdr_transfer="smpte2084")
    still = stills.preview_argv("ffmpeg", SOURCE, stills.Still(0, 64, 36, "png"), prep, 1)
    chain = _after(still, "-vf")
    assert chain.startswith("bwdif=") and "tonemap=tonemap=hable" in chain
    assert "fps=" not in chain
    animation = stills.Animation(1000, 3000, 320, 180, 12, "webp")
    animated = _after(stills.preview_argv("ffmpeg", SOURCE, animation, prep, 1), "-vf")
    assert animated.count("fps=") == 1 and "fps=12," in animated


def test_animation_argv_limits_the_read_and_encodes_animated() -> None:
    webp = stills.Animation(1500, 4000, 320, 180, 10, "webp")
    argv = stills.preview_argv("ffmpeg", SOURCE, webp, VideoPrep(), 1)
    assert argv.index("-ss") < argv.index("-t") < argv.index("-i")
    assert (_after(argv, "-ss"), _after(argv, "-t")) == ("1.500", "2.500")
    assert _after(argv, "-vf") == "fps=10,scale=320:180:flags=lanczos,setsar=1"
    assert _after(argv, "-c:v") == "libwebp_anim"
    assert _after(argv, "-loop") == "0"
    assert argv[-1] == "anim-s1500-e4000-w320-f10.webp"
    gif = stills.preview_argv("ffmpeg", SOURCE, stills.Animation(0, 900, 64, 36, 5, "gif"),
                              VideoPrep(), 1)  # fmt: skip
    assert "palettegen" in _after(gif, "-vf") and "paletteuse" in _after(gif, "-vf")
    assert (_after(gif, "-c:v"), _after(gif, "-f"), _after(gif, "-t")) == ("gif", "gif", "0.900")


def test_a_url_source_widens_only_the_protocols() -> None:
    url = "https://s3.example/bucket/sources/abc/source?X-Amz-Signature=x"
    argv = stills.preview_argv("ffmpeg", url, stills.Still(0, 64, 36, "jpg"), VideoPrep(), 1)
    assert _after(argv, "-protocol_whitelist") == stills.URL_PROTOCOLS
    assert _after(argv, "-format_whitelist") == _after(INPUT_GUARDS, "-format_whitelist")
    assert "hls" not in _after(argv, "-format_whitelist").split(",")
    assert "concat" not in _after(argv, "-format_whitelist").split(",")
    assert _after(argv, "-i") == url
    local = stills.preview_argv("ffmpeg", SOURCE, stills.Still(0, 64, 36, "jpg"), VideoPrep(), 1)
    assert _after(local, "-protocol_whitelist") == "file"


@pytest.mark.parametrize("source", ["ftp://host/x", "concat:a|b", "/etc/passwd"])
def test_other_string_sources_are_refused(source: str) -> None:
    with pytest.raises(ValueError, match="local path or an http"):
        stills.input_guards(source)


def test_sources_are_read_in_place_or_by_a_presigned_url(tmp_path: Path) -> None:
    from unittest import mock

    from videoforge.sources import in_place as _locate
    from videoforge.storage.local import LocalStorage

    local = LocalStorage(tmp_path)
    local.put_bytes("sources/abc/source", b"video")
    record = mock.Mock(storage_key="sources/abc/source")
    assert _locate(local, record) == tmp_path.resolve() / "sources/abc/source"
    remote = mock.Mock()
    remote.local_path.return_value = None
    remote.presigned_url.return_value = "https://s3/x?sig"
    assert _locate(remote, record) == "https://s3/x?sig"
    # Our own FFmpeg reads it: the endpoint this process reaches, not the clients' one.
    remote.presigned_url.assert_called_once_with("sources/abc/source", mock.ANY, internal=True)


def test_no_turn_within_the_wait_means_none_not_a_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    import anyio

    from videoforge.http import previews

    monkeypatch.setattr(previews, "PREVIEW_WAIT_S", 0.05)

    async def busy() -> object:
        makers = previews._Makers()
        holders = [object() for _ in range(previews.PREVIEW_CONCURRENCY)]
        for holder in holders:
            await makers.turns.acquire_on_behalf_of(holder)
        return await previews._make(None, None, makers, None, None, "k")  # type: ignore[arg-type]

    assert anyio.run(busy) is None
