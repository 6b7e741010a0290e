"""The pure rules of webhooks: which addresses are refused, URL parsing, subscriptions, the
envelope and the retry schedule."""

from __future__ import annotations

import ipaddress
import json
import random

import pytest

from videoforge.settings import Settings
from videoforge.webhooks import events as ev
from videoforge.webhooks.guard import RefusedTarget, parse_target, refusal


@pytest.mark.parametrize(
    ("address", "always", "private"),
    [
        ("169.254.169.254", "link-local", "link-local"),
        ("fe80::1", "link-local", "link-local"),
        ("fd00:ec2::254", "metadata", "metadata"),
        ("::ffff:169.254.1.1", "link-local", "link-local"),
        ("0.0.0.0", "unspecified", "unspecified"),
        ("224.0.0.1", "multicast", "multicast"),
        ("127.0.0.1", None, "loopback"),
        ("::1", None, "loopback"),
        ("10.0.0.1", None, "private"),
        ("172.31.255.255", None, "private"),
        ("192.168.1.1", None, "private"),
        ("fd12::1", None, "unique-local"),
        ("100.100.0.1", None, "CGNAT"),
        ("::ffff:10.0.0.1", None, "private"),
        # IPv6 forms that reach an IPv4 address inside them: NAT64, 6to4, IPv4-compatible,
        # IPv4-translated.
        ("64:ff9b::a9fe:a9fe", "link-local", "link-local"),
        ("2002:a9fe:a9fe::1", "link-local", "link-local"),
        ("::a9fe:a9fe", "link-local", "link-local"),
        ("::ffff:0:a9fe:a9fe", "link-local", "link-local"),
        ("64:ff9b::a00:1", None, "private"),
        ("64:ff9b::808:808", None, None),
        # Other clouds' metadata, site-local, and special-purpose ranges.
        ("192.0.0.192", "metadata", "metadata"),
        ("100.100.100.200", "metadata", "metadata"),
        ("fec0::1", "site-local", "site-local"),
        ("198.18.0.1", "special-purpose", "special-purpose"),
        ("2001:db8::1", "special-purpose", "special-purpose"),
        ("93.184.216.34", None, None),
        ("2606:2800:220:1::1", None, None),
        ("172.32.0.1", None, None),  # just past 172.16.0.0/12
    ],
)
def test_address_rules(address: str, always: str | None, private: str | None) -> None:
    ip = ipaddress.ip_address(address)
    allowed_private = refusal(ip, allow_private=True)
    strict = refusal(ip, allow_private=False)
    assert (allowed_private is None) == (always is None)
    assert always is None or always in (allowed_private or "")
    assert (strict is None) == (private is None)
    assert private is None or private in (strict or "")


def test_international_names_travel_as_ascii() -> None:
    assert parse_target("https://bücher.example/in").host == "xn--bcher-kva.example"


def test_targets_keep_host_port_and_query() -> None:
    target = parse_target("https://hooks.example.com:8443/in?token=a")
    assert (target.scheme, target.host, target.port, target.path) == (
        "https", "hooks.example.com", 8443, "/in?token=a")  # fmt: skip
    assert target.host_header == "hooks.example.com:8443"
    assert parse_target("http://[::1]/").host_header == "[::1]"
    assert parse_target("http://example.com").path == "/"


BAD_URLS = ["file:///etc/passwd", "gopher://x/", "http://a:b@c/", "http://", "http://x:99999/",
            "https://" + "a" * 2050]  # fmt: skip


@pytest.mark.parametrize("url", BAD_URLS)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(RefusedTarget):
        parse_target(url)


def test_subscriptions_default_to_all_but_progress_and_name_unknown_types() -> None:
    assert "job.progress" not in ev.check_events(None)
    assert set(ev.check_events(None)) | {"job.progress"} == set(ev.EVENT_TYPES)
    assert ev.check_events(["job.failed", "file.uploaded"]) == ("file.uploaded", "job.failed")
    with pytest.raises(ValueError, match=r"job\.exploded"):
        ev.check_events(["job.exploded"])


def test_the_envelope_and_ids() -> None:
    body = json.loads(ev.envelope("job.failed", 1_700_000_000.5, {"task_id": "t"}))
    assert body == {"type": "job.failed", "timestamp": "2023-11-14T22:13:20.500Z",
                    "data": {"task_id": "t"}}  # fmt: skip
    assert ev.delivery_id("1700000000000-3", "ep_1") == "msg_1700000000000_3_ep_1"


def test_retries_back_off_with_jitter_and_last_at_least_a_day() -> None:
    rng = random.Random(7)
    delays = [ev.retry_delay_s(n, 5, 3600, rng) for n in range(1, 30)]
    for n, delay in enumerate(delays, start=1):
        ceiling = min(3600, 5 * 2 ** (n - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert len({round(d, 6) for d in delays}) == len(delays)  # jittered: no two alike
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.webhook_retry_window_s >= 24 * 3600
    assert settings.webhook_timeout_s == 10
