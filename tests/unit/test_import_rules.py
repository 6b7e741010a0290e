"""The pure rules of imports: redirects, statuses, size limits, encodings, progress, names,
and how an import job is kept and shown."""

from __future__ import annotations

import json

import pytest

from videoforge.errors import TransientError, UploadTooLarge
from videoforge.http.bodies import task_status
from videoforge.imports.attempt import download_progress
from videoforge.jobs.records import decode, encode
from videoforge.models import Job, JobKind, JobState, OutputFormat
from videoforge.net import rules
from videoforge.net.rules import DownloadFailed


def test_a_relative_location_is_resolved_against_the_current_url() -> None:
    assert rules.redirect_url("http://a.test/x/clip", 302, "../y/v.mp4", 0) == (
        "http://a.test/y/v.mp4"
    )
    assert rules.redirect_url("http://a.test/x", 301, "/v.mp4?k=1#frag", 0) == (
        "http://a.test/v.mp4?k=1"
    )


def test_an_absolute_location_may_change_host_and_scheme() -> None:
    # Where it leads is checked again by the fetch (scheme, every address), not here.
    assert rules.redirect_url("https://a.test/x", 307, "ftp://b.test/v", 0) == "ftp://b.test/v"
    assert rules.redirect_url("https://a.test/x", 308, "http://169.254.169.254/", 2) == (
        "http://169.254.169.254/"
    )


def test_redirects_stop_after_five() -> None:
    assert rules.redirect_url("http://a.test/4", 302, "/5", rules.MAX_REDIRECTS - 1)
    with pytest.raises(DownloadFailed, match="more than 5 redirects"):
        rules.redirect_url("http://a.test/5", 302, "/6", rules.MAX_REDIRECTS)


def test_a_redirect_without_location_fails() -> None:
    with pytest.raises(DownloadFailed, match="without a Location"):
        rules.redirect_url("http://a.test/", 302, "  ", 0)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_answers_worth_another_try_are_transient(status: int) -> None:
    with pytest.raises(TransientError, match=str(status)):
        rules.check_status(status)


@pytest.mark.parametrize("status", [204, 206, 401, 403, 404, 410])
def test_other_answers_fail_for_good(status: int) -> None:
    with pytest.raises(DownloadFailed, match=str(status)):
        rules.check_status(status)
    rules.check_status(200)


def test_the_declared_length_is_held_to_the_limit_before_reading() -> None:
    assert rules.declared_length(None, 10) is None
    assert rules.declared_length(" 10 ", 10) == 10
    with pytest.raises(UploadTooLarge, match="declares 11 bytes; the limit is 10 bytes"):
        rules.declared_length("11", 10)
    for bad in ("ten", "-1", "1e3"):
        with pytest.raises(DownloadFailed, match="invalid Content-Length"):
            rules.declared_length(bad, 10)


def test_the_received_size_is_held_to_the_limit_while_streaming() -> None:
    rules.check_size(10, 10)
    with pytest.raises(UploadTooLarge, match="sent more than 10 bytes"):
        rules.check_size(11, 10)


def test_only_identity_bodies_are_taken() -> None:
    rules.check_encoding(None)
    rules.check_encoding("identity")
    with pytest.raises(DownloadFailed, match="encoded body"):
        rules.check_encoding("gzip")


def test_percent_only_when_the_size_is_known_and_never_100_before_success() -> None:
    assert rules.percent(50, None) == 0.0
    assert rules.percent(50, 0) == 0.0
    assert rules.percent(1, 3) == 33.3
    assert rules.percent(3, 3) == 99.9


def test_download_progress_carries_bytes() -> None:
    known = download_progress(512, 1024)
    assert (known.percent, known.received_bytes, known.total_bytes) == (50.0, 512, 1024)
    unknown = download_progress(512, None)
    assert (unknown.percent, unknown.received_bytes, unknown.total_bytes) == (0.0, 512, None)


def test_a_name_from_the_url_path() -> None:
    assert rules.name_from_url("https://a.test/media/My%20Clip.mp4?x=1") == "My Clip.mp4"
    assert rules.name_from_url("https://a.test/") == rules.DEFAULT_NAME


def _import_job() -> Job:
    return Job(
        task_id="t1", file_id="f" * 32, output_name="", resolution="", format=OutputFormat.MP4,
        width=0, height=0, kind=JobKind.IMPORT, source_url="http://a.test/v.mp4",
        state=JobState.PROGRESS, progress=download_progress(10, None),
    )  # fmt: skip


def test_an_import_job_is_kept_with_its_kind_url_and_bytes() -> None:
    fields = encode(_import_job())
    assert json.loads(fields["kind"]) == "import"
    assert json.loads(fields["progress"])["received_bytes"] == 10
    assert "total_bytes" not in json.loads(fields["progress"])  # unknown: not stored
    back = decode(fields)
    assert back.kind is JobKind.IMPORT
    assert back.source_url == "http://a.test/v.mp4"
    assert back.progress == download_progress(10, None)


def test_a_record_from_before_kinds_is_a_transcode() -> None:
    fields = encode(_import_job())
    del fields["kind"]
    assert decode(fields).kind is JobKind.TRANSCODE


def test_an_import_is_shown_without_the_fields_of_a_transcode() -> None:
    shown = task_status(_import_job())
    assert (shown.kind, shown.url, shown.status) == ("import", "http://a.test/v.mp4", "downloading")
    assert shown.format is None and shown.output_name is None and shown.resolution is None
    assert shown.progress is not None and shown.progress.received_bytes == 10
