"""Which URLs a webhook may call (server-side request forgery guard).

Only http and https, with a host and no credentials. Every address the host resolves to is
checked, at registration and again before each delivery (a name can be re-pointed after it
was checked: DNS rebinding), and the delivery then connects to the checked address itself.
Loopback, private, unique-local and shared (CGNAT) ranges are refused unless private targets
are allowed; link-local, cloud metadata and other special addresses are always refused."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from videoforge.errors import InvalidRequest

MAX_URL_CHARS = 2048
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
ALWAYS_REFUSED = {
    "a link-local address": ("169.254.0.0/16", "fe80::/10"),
    # AWS (IPv6), Oracle's legacy and Alibaba's metadata services.
    "a cloud metadata address": ("fd00:ec2::254/128", "192.0.0.192/32", "100.100.100.200/32"),
    "an unspecified address": ("0.0.0.0/8", "::/128"),
    "a multicast or broadcast address": ("224.0.0.0/4", "255.255.255.255/32", "ff00::/8"),
    "a site-local address": ("fec0::/10",),  # deprecated, but still routed inside some sites
}
PRIVATE = {
    "a loopback address": ("127.0.0.0/8", "::1/128"),
    "a private address": ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"),
    "a unique-local address": ("fc00::/7",),
    "a shared (CGNAT) address": ("100.64.0.0/10",),
}
# IPv6 forms that carry an IPv4 address (NAT64 and IPv4-compatible; 6to4, Teredo and
# IPv4-mapped are read by `ipaddress`): the IPv4 address inside is what gets reached.
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"),
         ipaddress.ip_network("::ffff:0:0:0/96"))  # fmt: skip  # the last: IPv4-translated
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
PRIVATE_SETTING = "WEBHOOK_ALLOW_PRIVATE"  # the setting a refusal of a private address names


class RefusedTarget(InvalidRequest):
    """A webhook URL that may not be called; the message says why (422)."""


@dataclass(frozen=True)
class Target:
    """Where a URL points: what to connect to, and what to say (Host, TLS name)."""

    scheme: str
    host: str
    port: int
    path: str  # with the query

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return shown if self.port == default else f"{shown}:{self.port}"


def parse_target(url: str, purpose: str = "receive webhooks") -> Target:
    """The target of a webhook URL; RefusedTarget unless it is a plain http(s) URL. `purpose`
    completes "only http and https URLs can ..." (imports use the guard too)."""
    if len(url) > MAX_URL_CHARS:
        raise RefusedTarget(f"the URL is longer than {MAX_URL_CHARS} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RefusedTarget(f"the URL is not valid: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise RefusedTarget(f"only http and https URLs can {purpose}")
    if not parts.hostname:
        raise RefusedTarget("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise RefusedTarget("the URL may not carry credentials (user:password@)")
    try:  # an international name travels as its ASCII (IDNA) form, in DNS and in Host
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise RefusedTarget(f"the host {parts.hostname!r} is not a valid name") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default = 443 if parts.scheme == "https" else 80
    return Target(parts.scheme, host, port or default, path)


def refusal(address: Address, allow_private: bool, setting: str = PRIVATE_SETTING) -> str | None:
    """Why a webhook may not be sent to `address`, or None if it may: special-purpose
    addresses never, private ones only when allowed (by `setting`), public ones always."""
    inside = _embedded(address)
    if inside:  # what such an address reaches is the IPv4 address inside: judge that
        return next((why for a in inside if (why := refusal(a, allow_private, setting))), None)
    for why, networks in ALWAYS_REFUSED.items():
        if _within(address, networks):
            return why
    for why, networks in PRIVATE.items():
        if _within(address, networks):
            return None if allow_private else f"{why} (set {setting}=true to allow it)"
    if not address.is_global:  # documentation, benchmarking, reserved, site-local...
        return "a special-purpose (not globally routed) address"
    return None


def _within(address: Address, networks: tuple[str, ...]) -> bool:
    return any(address in ipaddress.ip_network(net) for net in networks)


def _embedded(address: Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (and reaches)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    if any(address in net for net in NAT64) or (address in IPV4_COMPATIBLE and int(address) > 1):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [inner for inner in found if inner is not None]


def resolve(target: Target, allow_private: bool, setting: str = PRIVATE_SETTING) -> list[str]:
    """The addresses `target` resolves to, all checked; RefusedTarget if it does not
    resolve or any of them is refused (the client might connect to any one)."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RefusedTarget(f"the host {target.host} does not resolve ({exc})") from None
    # In the resolver's order (its preference), each once.
    addresses = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
    for text in addresses:
        why = refusal(ipaddress.ip_address(text), allow_private, setting)
        if why:
            # The address itself is not echoed: it could map someone's internal network.
            raise RefusedTarget(f"the host {target.host} resolves to {why}")
    return addresses


def check_url(url: str, allow_private: bool) -> Target:
    """A webhook URL checked now (scheme, host, every resolved address)."""
    target = parse_target(url)
    resolve(target, allow_private)
    return target
