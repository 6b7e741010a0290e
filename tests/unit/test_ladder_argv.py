"""The ladder's commands as data: the one-decode ffmpeg encode (media.ladder_encode), the
packager (media.packaging) and the source preparation they share (media.filters)."""

from __future__ import annotations

from pathlib import Path

from videoforge.media.filters import VideoPrep
from videoforge.media.ladder_encode import LadderPlan, ladder_argv
from videoforge.media.packaging import PackagePlan, main_manifest, package_argv
from videoforge.models import MediaInfo, OutputFormat, Rendition, SegmentFormat

FFMPEG = "/opt/ffmpeg"
RUNGS = (Rendition(1280, 720, 3000), Rendition(640, 360, 800))


def outputs(argv: list[str]) -> list[list[str]]:
    """The argv split after the filter graph into one option list per output file."""
    rest = argv[argv.index("-filter_complex") + 2 :]
    groups, current = [], []
    for arg in rest:
        current.append(arg)
        if arg.endswith(".mp4") and current[-2] == "mp4":
            groups.append(current)
            current = []
    assert not current, f"options after the last output: {current}"
    return groups


def value(group: list[str], option: str) -> str:
    assert group.count(option) == 1, f"{option} in {group}"
    return group[group.index(option) + 1]


def test_one_decode_splits_to_every_rung_and_the_audio_is_encoded_once() -> None:
    plan = LadderPlan(Path("/job/source"), RUNGS, has_audio=True, threads=4)
    argv = ladder_argv(FFMPEG, plan)
    assert argv.count("-i") == 1 and value(argv, "-i") == "file:/job/source"
    assert value(argv, "-filter_complex") == (
        "[0:v:0]split=2[s0][s1];"
        "[s0]scale=1280:720:flags=bicubic,setsar=1,format=yuv420p[v0];"
        "[s1]scale=640:360:flags=bicubic,setsar=1,format=yuv420p[v1]"
    )
    rung0, rung1, audio = outputs(argv)
    assert rung0[-1] == "rung0.mp4" and rung1[-1] == "rung1.mp4" and audio[-1] == "audio.mp4"
    assert value(rung0, "-map") == "[v0]" and value(rung1, "-map") == "[v1]"
    assert value(audio, "-map") == "0:a:0" and "-vn" in audio and value(audio, "-c:a") == "aac"
    for group in (rung0, rung1):
        assert "-an" in group and value(group, "-c:v") == "libx264"
        assert value(group, "-force_key_frames") == "expr:gte(t,n_forced*2)"
        assert value(group, "-sc_threshold") == "0"
    # Capped CRF: the same quality target, each rung's cap and a 2 s buffer.
    assert value(rung0, "-crf") == value(rung1, "-crf") == "23"
    assert (value(rung0, "-maxrate"), value(rung0, "-bufsize")) == ("3000k", "6000k")
    assert (value(rung1, "-maxrate"), value(rung1, "-bufsize")) == ("800k", "1600k")
    assert value(rung0, "-level:v") == "3.1" and value(rung1, "-level:v") == "3.0"
    # Every rung gets the job's threads: the top rung sets the pace.
    assert (value(rung0, "-threads"), value(rung1, "-threads")) == ("4", "4")


def test_a_silent_source_has_no_audio_output_and_threads_default_to_ffmpegs() -> None:
    argv = ladder_argv(FFMPEG, LadderPlan(Path("/job/source"), RUNGS[:1], has_audio=False))
    assert [group[-1] for group in outputs(argv)] == ["rung0.mp4"]
    assert "-threads" not in argv and "0:a:0" not in argv


def media(**fields: object) -> MediaInfo:
    base: dict[str, object] = {
        "duration_s": 4.0, "width": 720, "height": 576, "video_codec": "mpeg2video",
        "audio_codec": "mp2", "format_name": "mpeg", "size_bytes": 1, "fps": 25.0,
    }  # fmt: skip
    return MediaInfo(**{**base, **fields})  # type: ignore[arg-type]


def test_the_prepared_source_feeds_the_split() -> None:
    prep = VideoPrep.of(media(video_index=1, audio_index=2, field_order="tt",
                              color_transfer="smpte2084", fps=50.0))  # fmt: skip
    argv = ladder_argv(FFMPEG, LadderPlan(Path("/s"), RUNGS, has_audio=True, prep=prep))
    graph = value(argv, "-filter_complex")
    head = graph.split(";")[0]
    assert head.startswith("[0:1]bwdif=mode=send_frame:parity=auto:deint=all,zscale=tin=smpte2084")
    assert head.endswith("fps=50,split=2[s0][s1]")
    assert head.count("tonemap=tonemap=hable") == 1  # once, before the split
    rung0, _, audio = outputs(argv)
    assert value(rung0, "-color_trc") == "bt709" and value(rung0, "-colorspace") == "bt709"
    assert value(audio, "-map") == "0:2"


def test_sdr_progressive_sources_are_only_brought_to_a_constant_rate() -> None:
    assert VideoPrep.of(media(field_order="progressive", fps=240.0)).chain() == ["fps=60"]
    assert VideoPrep.of(media(field_order="", fps=29.97)).chain() == ["fps=30000/1001"]
    assert VideoPrep.of(media(color_transfer="bt709")).color_tags() == []


def test_cmaf_packaging_makes_both_manifests_over_one_segment_set() -> None:
    plan = PackagePlan("s-1a2b3c4d", OutputFormat.CMAF, rung_count=2, has_audio=True)
    argv = package_argv("/opt/packager", plan)
    assert argv[1:4] == [
        "in=../encoded/rung0.mp4,stream=video,init_segment=s-1a2b3c4d_v0_init.mp4,"
        "segment_template=s-1a2b3c4d_v0_$Number%05d$.m4s,playlist_name=s-1a2b3c4d_v0.m3u8",
        "in=../encoded/rung1.mp4,stream=video,init_segment=s-1a2b3c4d_v1_init.mp4,"
        "segment_template=s-1a2b3c4d_v1_$Number%05d$.m4s,playlist_name=s-1a2b3c4d_v1.m3u8",
        "in=../encoded/audio.mp4,stream=audio,init_segment=s-1a2b3c4d_a_init.mp4,"
        "segment_template=s-1a2b3c4d_a_$Number%05d$.m4s,playlist_name=s-1a2b3c4d_a.m3u8,"
        "hls_group_id=audio,hls_name=audio",
    ]
    assert argv[4:] == [
        "--segment_duration", "6",
        "--hls_master_playlist_output", "s-1a2b3c4d.m3u8", "--hls_playlist_type", "VOD",
        "--mpd_output", "s-1a2b3c4d.mpd", "--generate_static_live_mpd",
    ]  # fmt: skip
    assert main_manifest(plan) == "s-1a2b3c4d.m3u8"


def test_dash_alone_writes_no_playlists_and_its_main_output_is_the_mpd() -> None:
    plan = PackagePlan("s-1a2b3c4d", OutputFormat.DASH, rung_count=1, has_audio=False)
    argv = package_argv("/opt/packager", plan)
    assert not any("m3u8" in arg for arg in argv)
    assert "--mpd_output" in argv and main_manifest(plan) == "s-1a2b3c4d.mpd"


def test_ts_segments_have_no_init_section() -> None:
    plan = PackagePlan("s-1a2b3c4d", OutputFormat.HLS, 1, True, SegmentFormat.TS)
    argv = package_argv("/opt/packager", plan)
    assert argv[1] == (
        "in=../encoded/rung0.mp4,stream=video,segment_template=s-1a2b3c4d_v0_$Number%05d$.ts,"
        "playlist_name=s-1a2b3c4d_v0.m3u8"
    )
    assert "--mpd_output" not in argv and "init_segment" not in " ".join(argv)
