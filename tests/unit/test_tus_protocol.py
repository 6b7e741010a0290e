"""tus 1.0.0 header rules, as data: versions, content types, counts, metadata, dates."""

from __future__ import annotations

import base64

import pytest

from videoforge.errors import UploadTooLarge
from videoforge.resumable import protocol
from videoforge.resumable.protocol import BadHeader, PreconditionFailed, UnsupportedChunk


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_metadata_pairs_are_decoded_from_base64() -> None:
    header = f"filename {b64('clip été.mp4')},filetype {b64('video/mp4')}, is_private"
    assert protocol.parse_metadata(header) == {
        "filename": "clip été.mp4",
        "filetype": "video/mp4",
        "is_private": "",
    }


def test_metadata_round_trips_through_the_encoder() -> None:
    metadata = {"filename": "a,b c.mov", "filetype": "video/quicktime"}
    assert protocol.parse_metadata(protocol.encode_metadata(metadata)) == metadata


@pytest.mark.parametrize("header", [None, "", " , "])
def test_no_metadata_is_empty(header: str | None) -> None:
    assert protocol.parse_metadata(header) == {}


@pytest.mark.parametrize(
    "header",
    [
        "filename not-base64!",  # not base64
        f"filename {b64('a')},filename {b64('b')}",  # a key twice
        f"file name {b64('a')}",  # a space inside the key: three words
        f"filename {b64('a')} extra",
    ],
)
def test_malformed_metadata_is_refused(header: str) -> None:
    with pytest.raises(BadHeader):
        protocol.parse_metadata(header)


@pytest.mark.parametrize("value, expected", [("0", 0), ("1048576", 1048576), (" 42 ", 42)])
def test_counts_are_digits_only(value: str, expected: int) -> None:
    assert protocol.parse_count("Upload-Offset", value) == expected


@pytest.mark.parametrize("value", [None, "", "-1", "+1", "1.5", "1e3", "0x10", "9" * 20])
def test_bad_counts_are_refused(value: str | None) -> None:
    with pytest.raises(BadHeader):
        protocol.parse_count("Upload-Offset", value)


def test_an_absent_optional_count_is_none() -> None:
    assert protocol.parse_optional_count("Content-Length", None) is None
    assert protocol.parse_optional_count("Content-Length", "7") == 7


@pytest.mark.parametrize("header", [None, "0.2.2", "1.0", ""])
def test_only_version_1_0_0_is_spoken(header: str | None) -> None:
    with pytest.raises(PreconditionFailed):
        protocol.check_version(header)
    protocol.check_version("1.0.0")


def test_chunks_must_be_offset_octet_streams() -> None:
    protocol.check_chunk_type("application/offset+octet-stream")
    protocol.check_chunk_type("Application/Offset+Octet-Stream; charset=binary")
    for other in (None, "application/octet-stream", "multipart/form-data"):
        with pytest.raises(UnsupportedChunk):
            protocol.check_chunk_type(other)


def test_a_declared_body_past_the_length_is_refused() -> None:
    protocol.check_room(offset=10, length=20, declared=10)
    protocol.check_room(offset=10, length=20, declared=None)  # chunked: checked while reading
    with pytest.raises(UploadTooLarge):
        protocol.check_room(offset=10, length=20, declared=11)


def test_expiry_dates_are_rfc_9110() -> None:
    assert protocol.http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT"


def test_errors_carry_the_statuses_tus_names() -> None:
    assert (PreconditionFailed.http_status, BadHeader.http_status) == (412, 400)
    assert UnsupportedChunk.http_status == 415
