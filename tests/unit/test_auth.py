"""Signed URLs and the key-requirement rule (pure parts of videoforge.auth)."""

from __future__ import annotations

import time

import pytest

from videoforge.auth import keys_required, sign, signature_ok

KEY = b"k" * 32


def test_a_signature_is_bound_to_its_name_and_expiry() -> None:
    expires = int(time.time()) + 60
    sig = sign(KEY, "a.m3u8", expires)
    assert signature_ok(KEY, "a.m3u8", str(expires), sig)
    assert not signature_ok(KEY, "b.m3u8", str(expires), sig)
    assert not signature_ok(KEY, "a.m3u8", str(expires + 1), sig)
    assert not signature_ok(b"other" * 8, "a.m3u8", str(expires), sig)


@pytest.mark.parametrize("expires", ["", "1", "\u00b2", "9" * 5000, "-5", "12.5", None])
def test_bad_or_old_expiries_fail_without_errors(expires: str | None) -> None:
    assert not signature_ok(KEY, "a.mp4", expires, "0" * 32)


@pytest.mark.parametrize(
    ("setting", "host", "required"),
    [
        ("auto", "127.0.0.1", False),
        ("auto", "localhost", False),
        ("auto", "0.0.0.0", True),
        ("auto", "10.1.2.3", True),
        ("true", "127.0.0.1", True),
        ("false", "0.0.0.0", False),
    ],
)
def test_keys_are_required_beyond_loopback(setting: str, host: str, required: bool) -> None:
    assert keys_required(setting, host) is required
