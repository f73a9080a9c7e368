"""Requests to addresses that users type (the CalDAV server URL today, any future one).

A member of a workspace types a URL and the Meetline server fetches it from inside the
operator's network, later again from the worker (PUT, DELETE). Without a guard that
turns Meetline into a probe of that network: loopback services, the cloud metadata
endpoint, private hosts. `OutboundPolicy` is the one place that decides what may be
reached, and `adapters.guarded_session.GuardedSession` is the niquests session that enforces it:

- **Checked on the address actually connected to.** The host is resolved once, inside
  the connection (a urllib3-future resolver), every address is checked, and the socket
  connects to exactly those addresses; a name that answers public at one lookup and
  private at the next cannot slip between a check and the connect. TLS still uses the
  host name (SNI, certificate, Host header), since the URL is never rewritten.
- **https only**, and no loopback, private, link-local, multicast, reserved or metadata
  address, unless the operator names the exact `host:port` in `CALDAV_ALLOW_HOSTS`
  (then private addresses and plain http are allowed for it: on-premise servers, the
  tests' local Radicale).
- **One origin per session.** Every request, redirect target and server-supplied href
  must be on the origin of the URL the user typed; anything else is refused before a
  byte is sent. Same-origin redirects are followed (a few hops at most).
- **Bounded answers.** Short connect/read timeouts, a deadline for reading a body, and a
  size cap: a server that streams without end is cut off (the connection is closed) at
  the cap instead of being read into memory.

Refusals raise `OutboundRefused` whose message is for the log only; callers show users
one generic sentence, so the form cannot be used to tell open ports from closed ones.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from adapters.guarded_session import GuardedSession

__all__ = [
    "Origin",
    "OutboundPolicy",
    "OutboundRefused",
    "is_public_address",
    "parse_allow_hosts",
]

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_BODY = 4 * 1024 * 1024
MAX_REDIRECTS = 3
# Cloud metadata endpoints that are not caught by the private/link-local ranges on
# every Python version (AWS's IPv6 one is a ULA; Alibaba's sits in 100.64/10).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")

AddrInfo = tuple[Any, Any, int, Any, Any]
Resolve = Callable[..., list[AddrInfo]]


class OutboundRefused(Exception):
    """The policy refused a request (or cut an answer off); the message is for the log."""


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str  # lower case, no brackets, no trailing dot
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def _norm_host(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


def origin_of(url: str) -> Origin:
    """The (scheme, host, port) of an http(s) URL; `OutboundRefused` for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundRefused(f"not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise OutboundRefused(f"scheme {scheme!r} is not allowed")
    if not parts.hostname:
        raise OutboundRefused("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise OutboundRefused("credentials in the URL are not accepted")
    return Origin(scheme, _norm_host(parts.hostname), port or DEFAULT_PORTS[scheme])


def parse_allow_hosts(value: str | Iterable[str] | None) -> frozenset[tuple[str, int]]:
    """`host:port` entries (comma-separated, or already split); `[v6]:port` for IPv6.
    Raises ValueError naming the bad entry."""
    if value is None:
        return frozenset()
    items = value.split(",") if isinstance(value, str) else list(value)
    allowed: set[tuple[str, int]] = set()
    for raw in items:
        entry = raw.strip()
        if not entry:
            continue
        host, sep, port_text = entry.rpartition(":")
        if entry.startswith("[") and not host.endswith("]"):
            sep = ""
        host = _norm_host(host)
        if (
            not sep
            or not host
            or not port_text.isdigit()
            or not 0 < int(port_text) < 65536
            or any(c in host for c in "/@?# ")
            or (":" in host and not entry.startswith("["))
        ):
            raise ValueError(f"expected comma-separated host:port entries, got {entry!r}")
        allowed.add((host, int(port_text)))
    return frozenset(allowed)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address that is not a metadata endpoint."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # the socket really talks IPv4 to that address
            return is_public_address(str(ip.ipv4_mapped))
        embedded = _embedded_ipv4(ip)
        if embedded is not None and not is_public_address(str(embedded)):
            return False
    if ip in METADATA_ADDRESSES:
        return False
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


@dataclass(frozen=True)
class OutboundPolicy:
    """What user-typed URLs may reach; built from `CALDAV_ALLOW_HOSTS` by the composition
    root. `resolve` is `socket.getaddrinfo` (a test seam for DNS answers)."""

    allow_hosts: frozenset[tuple[str, int]] = frozenset()
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    body_deadline: float = 30.0
    max_body: int = MAX_BODY
    resolve: Resolve = field(default=socket.getaddrinfo, compare=False, repr=False)

    @classmethod
    def from_setting(cls, value: str | None, **kwargs: Any) -> OutboundPolicy:
        return cls(allow_hosts=parse_allow_hosts(value), **kwargs)

    def is_allowed_host(self, host: str, port: int) -> bool:
        return (_norm_host(host), int(port)) in self.allow_hosts

    def check_url(self, url: str) -> Origin:
        """The URL's origin if it may be requested at all (scheme, shape, https rule);
        the addresses are checked later, on connect."""
        origin = origin_of(url)
        if origin.scheme != "https" and not self.is_allowed_host(origin.host, origin.port):
            raise OutboundRefused(
                f"plain http to {origin} is not allowed (not in CALDAV_ALLOW_HOSTS)"
            )
        return origin

    def addresses(self, host: str, port: int, *args: Any, **kwargs: Any) -> list[AddrInfo]:
        """Resolve `host` once and check every address; the connection uses exactly these."""
        records = self.resolve(host, port, *args, **kwargs)
        if self.is_allowed_host(host, port):
            return list(records)
        if not records:
            raise OutboundRefused(f"{host} did not resolve")
        for record in records:
            address = str(record[4][0])
            if not is_public_address(address):
                raise OutboundRefused(f"{host}:{port} resolves to a non-public address {address}")
        return list(records)

    def session(self, url: str, timeout: float | None = None) -> GuardedSession:
        """A session bound to the origin of `url` (the URL the user typed). niquests is
        imported here, on first use: settings import this module in every process, and
        niquests costs ~0.15 s of each start."""
        from adapters.guarded_session import GuardedSession

        return GuardedSession(self, self.check_url(url), timeout)
