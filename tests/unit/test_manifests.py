"""videoforge.media.manifests: reading what the packager declared, and rewriting every URI
(signatures, presigned URLs) in playlists and MPDs, as data."""

from __future__ import annotations

import m3u8

from videoforge.media.manifests import (
    attributes,
    dash_representations,
    hls_variants,
    longest_segment_s,
    playlist_uris,
    rewrite_mpd,
    rewrite_playlist,
    with_default_audio,
    with_peak_at_least_average,
)

# Shaka Packager v3.8.0's output for a two-rung CMAF ladder, names shortened.
MASTER = """#EXTM3U
## Generated with https://github.com/shaka-project/shaka-packager version v3.8.0

#EXT-X-INDEPENDENT-SEGMENTS

#EXT-X-MEDIA:TYPE=AUDIO,URI="s-1a2b3c4d_a.m3u8",GROUP-ID="audio",NAME="audio",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="2"

#EXT-X-STREAM-INF:BANDWIDTH=1369759,AVERAGE-BANDWIDTH=1340575,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=30.000,AUDIO="audio",CLOSED-CAPTIONS=NONE
s-1a2b3c4d_v0.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=409282,AVERAGE-BANDWIDTH=387160,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=30.000,AUDIO="audio",CLOSED-CAPTIONS=NONE
s-1a2b3c4d_v1.m3u8
"""
MEDIA = """#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:7
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-MAP:URI="s-1a2b3c4d_v0_init.mp4"
#EXTINF:6.000,
s-1a2b3c4d_v0_00001.m4s
#EXTINF:2.000,
s-1a2b3c4d_v0_00002.m4s
#EXT-X-ENDLIST
"""
MPD = """<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT8S">
  <Period id="0">
    <AdaptationSet id="0" contentType="video" segmentAlignment="true">
      <Representation id="0" bandwidth="1252856" codecs="avc1.64001f" width="1280" height="720">
        <SegmentTemplate timescale="15360" initialization="s-1a2b3c4d_v0_init.mp4" media="s-1a2b3c4d_v0_$Number%05d$.m4s" startNumber="1"/>
      </Representation>
      <Representation id="1" bandwidth="292379" codecs="avc1.64001e" width="640" height="360">
        <SegmentTemplate timescale="15360" initialization="s-1a2b3c4d_v1_init.mp4" media="s-1a2b3c4d_v1_$Number%05d$.m4s" startNumber="1"/>
      </Representation>
    </AdaptationSet>
    <AdaptationSet id="1" contentType="audio">
      <Representation id="2" bandwidth="116903" codecs="mp4a.40.2" audioSamplingRate="48000">
        <SegmentTemplate timescale="48000" initialization="s-1a2b3c4d_a_init.mp4" media="s-1a2b3c4d_a_$Number%05d$.m4s" startNumber="1"/>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
"""  # noqa: E501


def signed(uri: str) -> str:
    return f"{uri}?exp=99&sig=abc"


def test_attributes_keep_quoted_commas() -> None:
    line = '#EXT-X-STREAM-INF:BANDWIDTH=5,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=2x2'
    assert attributes(line) == {
        "BANDWIDTH": "5",
        "CODECS": "avc1.64001f,mp4a.40.2",
        "RESOLUTION": "2x2",
    }


def test_hls_variants_are_what_the_master_declares() -> None:
    assert hls_variants(MASTER) == [
        {
            "width": 1280,
            "height": 720,
            "bandwidth": 1369759,
            "average_bandwidth": 1340575,
            "codecs": "avc1.64001f,mp4a.40.2",
            "frame_rate": 30.0,
            "playlist": "s-1a2b3c4d_v0.m3u8",
        },
        {
            "width": 640,
            "height": 360,
            "bandwidth": 409282,
            "average_bandwidth": 387160,
            "codecs": "avc1.64001e,mp4a.40.2",
            "frame_rate": 30.0,
            "playlist": "s-1a2b3c4d_v1.m3u8",
        },
    ]


def test_dash_representations_add_the_audio() -> None:
    assert dash_representations(MPD) == [
        {"width": 1280, "height": 720, "bandwidth": 1252856 + 116903,
         "codecs": "avc1.64001f,mp4a.40.2"},
        {"width": 640, "height": 360, "bandwidth": 292379 + 116903,
         "codecs": "avc1.64001e,mp4a.40.2"},
    ]  # fmt: skip


def test_every_uri_of_a_master_is_rewritten_and_it_still_parses() -> None:
    rewritten = rewrite_playlist(MASTER, signed)
    assert playlist_uris(rewritten) == [
        "s-1a2b3c4d_a.m3u8?exp=99&sig=abc",
        "s-1a2b3c4d_v0.m3u8?exp=99&sig=abc",
        "s-1a2b3c4d_v1.m3u8?exp=99&sig=abc",
    ]
    # A third-party parser reads the same structure (comment lines stripped, as players do).
    text = "\n".join(x for x in rewritten.splitlines() if not x.startswith("##"))
    parsed = m3u8.loads(text)
    assert [p.uri for p in parsed.playlists] == [
        "s-1a2b3c4d_v0.m3u8?exp=99&sig=abc",
        "s-1a2b3c4d_v1.m3u8?exp=99&sig=abc",
    ]
    assert [m.uri for m in parsed.media] == ["s-1a2b3c4d_a.m3u8?exp=99&sig=abc"]


def test_a_media_playlist_rewrites_its_init_section_and_segments() -> None:
    rewritten = rewrite_playlist(MEDIA, signed)
    parsed = m3u8.loads(rewritten)
    assert parsed.segment_map[0].uri == "s-1a2b3c4d_v0_init.mp4?exp=99&sig=abc"
    assert [s.uri for s in parsed.segments] == [
        "s-1a2b3c4d_v0_00001.m4s?exp=99&sig=abc",
        "s-1a2b3c4d_v0_00002.m4s?exp=99&sig=abc",
    ]
    assert parsed.playlist_type == "vod" and parsed.is_endlist


def test_an_unchanged_rewrite_keeps_the_playlist() -> None:
    assert rewrite_playlist(MEDIA, lambda uri: uri) == MEDIA


def test_mpd_templates_carry_the_query_escaped_for_xml() -> None:
    rewritten = rewrite_mpd(MPD, signed)
    assert 'media="s-1a2b3c4d_v0_$Number%05d$.m4s?exp=99&amp;sig=abc"' in rewritten
    assert 'initialization="s-1a2b3c4d_a_init.mp4?exp=99&amp;sig=abc"' in rewritten
    # Still an MPD that reads the same, and nothing else changed.
    assert len(dash_representations(rewritten)) == 2
    assert rewritten.replace("?exp=99&amp;sig=abc", "") == MPD


def test_mpd_rewrite_sees_unescaped_values() -> None:
    seen: list[str] = []

    def keep(uri: str) -> str:
        seen.append(uri)
        return uri

    rewrite_mpd(MPD.replace("_v0_init.mp4", "_v0_init.mp4?a=1&amp;b=2"), keep)
    assert "s-1a2b3c4d_v0_init.mp4?a=1&b=2" in seen


def test_a_one_rung_mpd_reads_size_and_codecs_from_its_adaptation_set() -> None:
    # The packager moves attributes all Representations share up to the AdaptationSet.
    one_rung = """<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static"><Period>
      <AdaptationSet contentType="video" width="176" height="144" codecs="avc1.64000c">
        <Representation id="0" bandwidth="90000"/>
      </AdaptationSet>
    </Period></MPD>"""
    assert dash_representations(one_rung) == [
        {"width": 176, "height": 144, "bandwidth": 90000, "codecs": "avc1.64000c"}
    ]


def test_the_longest_segment_is_what_the_manifests_declare() -> None:
    assert longest_segment_s([MEDIA, MEDIA.replace("#EXTINF:2.000", "#EXTINF:8.008")]) == 8.008
    assert longest_segment_s([MPD.replace('type="static"', 'maxSegmentDuration="PT6.4S"')]) == 6.4
    assert longest_segment_s([MPD, MASTER]) is None


def test_an_audio_group_without_a_default_gets_its_first_rendition_as_default() -> None:
    fixed = m3u8.loads(with_default_audio(MASTER))
    (audio,) = fixed.media
    assert audio.default == "YES" and audio.autoselect == "YES"
    assert with_default_audio(with_default_audio(MASTER)) == with_default_audio(MASTER)
    assert [p.uri for p in fixed.playlists] == [p.uri for p in m3u8.loads(MASTER).playlists]
    two = MASTER.replace(
        "#EXT-X-STREAM-INF", '#EXT-X-MEDIA:TYPE=AUDIO,URI="b.m3u8",GROUP-ID="audio",NAME="b",'
        "DEFAULT=NO,AUTOSELECT=YES\n#EXT-X-STREAM-INF", 1)  # fmt: skip
    assert [m.default for m in m3u8.loads(with_default_audio(two)).media] == ["YES", "NO"]


def test_a_peak_below_the_average_is_raised_to_it() -> None:
    low = MASTER.replace(
        "BANDWIDTH=409282,AVERAGE-BANDWIDTH=387160", "BANDWIDTH=387000,AVERAGE-BANDWIDTH=387160"
    )
    fixed = m3u8.loads(with_peak_at_least_average(low))
    info = [(p.stream_info.bandwidth, p.stream_info.average_bandwidth) for p in fixed.playlists]
    assert info == [(1369759, 1340575), (387160, 387160)]
    assert with_peak_at_least_average(MASTER) == MASTER
