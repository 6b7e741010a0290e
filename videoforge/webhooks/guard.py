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
    "a cloud metadata address": ("fd00:ec2::254/128",),
    "an unspecified address": ("0.0.0.0/8", "::/128"),
    "a multicast or broadcast address": ("224.0.0.0/4", "255.255.255.255/32", "ff00::/8"),
    "a reserved address": ("240.0.0.0/4",),
}
PRIVATE = {
    "a loopback address": ("127.0.0.0/8", "::1/128"),
    "a private address": ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"),
    "a unique-local address": ("fc00::/7",),
    "a shared (CGNAT) address": ("100.64.0.0/10",),
}


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


def parse_target(url: str) -> Target:
    """The target of a webhook URL; RefusedTarget unless it is a plain http(s) URL."""
    if len(url) > MAX_URL_CHARS:
        raise RefusedTarget(f"the URL is longer than {MAX_URL_CHARS} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RefusedTarget(f"the URL is not valid: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise RefusedTarget("only http and https URLs can receive webhooks")
    if not parts.hostname:
        raise RefusedTarget("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise RefusedTarget("the URL may not carry credentials; use the signature instead")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default = 443 if parts.scheme == "https" else 80
    return Target(parts.scheme, parts.hostname, port or default, path)


def refusal(address: Address, allow_private: bool) -> str | None:
    """Why a webhook may not be sent to `address`, or None if it may."""
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:  # ::ffff:10.0.0.1 is 10.0.0.1
        address = mapped
    for why, networks in ALWAYS_REFUSED.items():
        if any(address in ipaddress.ip_network(net) for net in networks):
            return why
    if not allow_private:
        for why, networks in PRIVATE.items():
            if any(address in ipaddress.ip_network(net) for net in networks):
                return f"{why} (set WEBHOOK_ALLOW_PRIVATE=true to allow it)"
    return None


def resolve(target: Target, allow_private: bool) -> list[str]:
    """The addresses `target` resolves to, all checked; RefusedTarget if it does not
    resolve or any of them is refused (the client might connect to any one)."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RefusedTarget(f"the host {target.host} does not resolve ({exc})") from None
    addresses = sorted({str(info[4][0]).split("%")[0] for info in infos})
    for text in addresses:
        why = refusal(ipaddress.ip_address(text), allow_private)
        if why:
            # The address itself is not echoed: it could map someone's internal network.
            raise RefusedTarget(f"the host {target.host} resolves to {why}")
    return addresses


def check_url(url: str, allow_private: bool) -> Target:
    """A webhook URL checked now (scheme, host, every resolved address)."""
    target = parse_target(url)
    resolve(target, allow_private)
    return target
