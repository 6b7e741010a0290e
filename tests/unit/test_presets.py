"""Presets as data: names and versions, a request merged over a preset, the built-ins checked
by the rules of a transcode request, and encoder settings in requests and records."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from videoforge.errors import InvalidRequest
from videoforge.http.orders import TranscodeRequest
from videoforge.jobs.presets import BUILTIN_PRESETS, Preset, check_name, merged, parse_ref
from videoforge.media.encoding import Encoding, kbps
from videoforge.models import OutputFormat
from videoforge.submit import check_settings

PHONE = {
    "format": "mp4",
    "resolution": "854:480",
    "video": {"crf": 28, "maxrate": "1000k", "preset": "fast"},
    "audio": {"bitrate": "64k", "channels": 1},
    "priority": "low",
    "description": "phones",
}


@pytest.mark.parametrize("name", ["web-720p", "a", "x1", "a" * 40, "2-pass"])
def test_good_names(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", "Web", "a b", "-a", "a-", "a_b", "a" * 41, "a/b", "é"])
def test_bad_names_are_refused_with_the_rule(name: str) -> None:
    with pytest.raises(InvalidRequest, match="lowercase letters, digits and hyphens"):
        check_name(name)


def test_references_name_a_version_or_the_latest() -> None:
    assert parse_ref("phone") == ("phone", None)
    assert parse_ref("phone@2") == ("phone", 2)
    assert Preset("phone", 3, {}).ref == "phone@3"
    for bad in ("phone@", "phone@0", "phone@x", "phone@-1", "phone@1234567890"):
        with pytest.raises(InvalidRequest, match="a preset version is a number"):
            parse_ref(bad)


def test_a_preset_alone_gives_its_request_fields_without_its_description() -> None:
    fields = merged(PHONE, {})
    assert "description" not in fields
    assert fields == {k: v for k, v in PHONE.items() if k != "description"}
    assert Preset("phone", 1, PHONE).request_fields == fields


@pytest.mark.parametrize(
    ("request_fields", "expected"),
    [
        # Every field given wins; the rest are the preset's.
        ({"resolution": "640:360"}, {"resolution": "640:360", "format": "mp4"}),
        ({"priority": "high"}, {"priority": "high"}),
        # Encoder settings merge one by one.
        ({"video": {"crf": 20}}, {"video": {"crf": 20, "maxrate": "1000k", "preset": "fast"}}),
        ({"audio": {"channels": 2}}, {"audio": {"bitrate": "64k", "channels": 2}}),
    ],
)
def test_what_a_request_gives_wins(
    request_fields: dict[str, Any], expected: dict[str, Any]
) -> None:
    fields = merged(PHONE, request_fields)
    assert {key: fields[key] for key in expected} == expected


def test_a_field_given_drops_the_presets_that_it_excludes() -> None:
    ladder = {"format": "hls", "ladder": "auto", "resolution": "1280:720"}
    assert merged(ladder, {"renditions": ["640:360"]}) == {
        "format": "hls", "renditions": ["640:360"]
    }  # fmt: skip
    own = {"format": "hls", "renditions": ["1280:720", "640:360"]}
    assert merged(own, {"ladder": "auto"}) == {"format": "hls", "ladder": "auto"}
    assert merged(own, {"resolution": "640:360"}) == {"format": "hls", "resolution": "640:360"}
    # Both given: the request's own conflict, judged like any request's.
    assert merged(own, {"ladder": "auto", "renditions": ["640:360"]})["ladder"] == "auto"


def test_a_format_given_drops_what_it_cannot_take() -> None:
    preset = {"format": "hls", "ladder": "auto", "segment_format": "ts", "resolution": "854:480"}
    assert merged(preset, {"format": "mp4"}) == {"format": "mp4", "resolution": "854:480"}
    assert merged(preset, {"format": "dash"}) == {
        "format": "dash", "ladder": "auto", "resolution": "854:480"
    }  # fmt: skip
    assert merged(preset, {"format": "hls"}) == preset


@pytest.mark.parametrize("name", sorted(BUILTIN_PRESETS))
def test_builtins_pass_the_rules_of_a_transcode_request(name: str) -> None:
    preset = Preset(name, 1, BUILTIN_PRESETS[name], builtin=True)
    order = TranscodeRequest.model_validate(preset.request_fields).order()
    check_settings(order)
    assert BUILTIN_PRESETS[name]["description"]


def test_the_builtins_asked_for() -> None:
    def order(name: str) -> Any:
        return TranscodeRequest.model_validate(merged(BUILTIN_PRESETS[name], {})).order()

    web, abr, small = order("web-720p"), order("abr-auto"), order("small-mp4")
    assert (web.format, web.resolution, web.encoding) == (OutputFormat.MP4, "1280:720", None)
    assert (abr.format, abr.ladder) == (OutputFormat.HLS, "auto")
    assert (small.format, small.resolution) == (OutputFormat.MP4, "640:360")
    assert Encoding.of(small.encoding).crf == 30  # higher than the default 23: smaller


def test_a_request_records_only_the_encoder_settings_it_gives() -> None:
    order = TranscodeRequest.model_validate(PHONE).order()
    assert order.encoding == {
        "video": {"crf": 28, "maxrate": "1000k", "preset": "fast"},
        "audio": {"bitrate": "64k", "channels": 1},
    }
    assert order.priority == "low"
    bare = TranscodeRequest.model_validate({"format": "mp4", "resolution": "640:360"}).order()
    assert (bare.encoding, bare.preset, bare.priority) == (None, None, "normal")
    empty = {"format": "mp4", "resolution": "640:360", "video": {}, "audio": {"bitrate": None}}
    assert TranscodeRequest.model_validate(empty).order().encoding is None


def test_rates_are_read_in_any_spelling_and_written_in_kbit() -> None:
    for given, shown in (("2500k", "2500k"), ("2.5M", "2500k"), (800, "800k"), ("1m", "1000k")):
        request = TranscodeRequest.model_validate({"format": "mp4", "video": {"maxrate": given}})
        assert request.video is not None and request.video.maxrate == shown
    assert kbps("96k") == 96 and kbps("3M") == 3000 and kbps(128) == 128


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"video": {"crf": 52}}, "video.crf: Input should be less than or equal to 51"),
        ({"video": {"crf": 0}}, "video.crf: Input should be greater than or equal to 1"),
        ({"video": {"maxrate": "50k"}}, "must be from 100k to 100000k, got 50k"),
        ({"video": {"maxrate": "fast"}}, "must look like 2500k, 2.5M or a number of kbit/s"),
        ({"video": {"preset": "quick"}}, "video.preset: Input should be 'ultrafast'"),
        ({"video": {"crff": 20}}, "video.crff: Extra inputs are not permitted"),
        ({"audio": {"bitrate": "1000k"}}, "must be from 16k to 512k, got 1000k"),
        ({"audio": {"channels": 6}}, "audio.channels: Input should be 1 or 2"),
        ({"priority": "urgent"}, "priority: Input should be 'high', 'normal' or 'low'"),
    ],
)
def test_bad_encoder_settings_are_refused(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TranscodeRequest.model_validate({"format": "mp4", "resolution": "640:360", **settings})
    error = caught.value.errors()[0]
    assert message in f"{'.'.join(map(str, error['loc']))}: {error['msg']}"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"format": "mp4"}, "resolution is required for mp4"),
        ({"format": "mp4", "resolution": "641:360"}, "positive even numbers"),
        ({"format": "mp4", "ladder": "auto"}, "a ladder needs format hls, dash or cmaf"),
        ({"format": "hls", "renditions": []}, "renditions must name at least one size"),
        ({"format": "hls", "renditions": ["640:360"] * 9}, "at most 8 renditions"),
        ({"format": "hls", "renditions": ["640:361"]}, "positive even numbers"),
        ({"format": "dash", "segment_format": "ts"}, "segment_format applies to hls only"),
        ({"resolution": "640:360"}, "format: Field required"),
    ],
)
def test_preset_settings_are_judged_like_a_request(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        check_settings(TranscodeRequest.model_validate(fields).order())


def test_a_record_gives_the_argv_builders_their_settings() -> None:
    record = {"video": {"crf": 28, "maxrate": "1000k", "preset": "fast"},
              "audio": {"bitrate": "64k", "channels": 1}}  # fmt: skip
    assert Encoding.of(record) == Encoding(28, 1000, "fast", 64, 1)
    assert Encoding.of(None) == Encoding() == Encoding.of({"video": {}})
    assert Encoding.of({"video": {"crf": 0}}).crf == 0
