"""The niquests session that enforces an `OutboundPolicy` on the wire (the reasons are in
`adapters.outbound`'s docstring). A module of its own so that only a process that really
fetches a user-typed URL imports niquests."""

from __future__ import annotations

import socket
import time
from typing import Any
from urllib.parse import urljoin

import niquests
from urllib3.contrib.resolver import BaseResolver, ProtocolResolver

from adapters.outbound import (
    MAX_REDIRECTS,
    AddrInfo,
    Origin,
    OutboundPolicy,
    OutboundRefused,
    origin_of,
)


class GuardedResolver(BaseResolver):
    """A urllib3-future resolver: the only way the session's connections learn an address,
    so the check and the connect see the same answer."""

    protocol = ProtocolResolver.CUSTOM
    implementation = "meetline-outbound-guard"

    def __init__(self, policy: OutboundPolicy) -> None:
        super().__init__(None, None)
        self._policy = policy

    def recycle(self) -> BaseResolver:
        return self

    def close(self) -> None:
        pass

    def is_available(self) -> bool:
        return True

    def getaddrinfo(
        self,
        host: bytes | str | None,
        port: str | int | None,
        family: socket.AddressFamily,
        type: socket.SocketKind,
        proto: int = 0,
        flags: int = 0,
        *,
        quic_upgrade_via_dns_rr: bool = False,
    ) -> list[AddrInfo]:
        if host is None or port is None:
            raise OutboundRefused("no host to connect to")
        name = host.decode("ascii") if isinstance(host, bytes) else host
        return self._policy.addresses(name, int(port), family, type, proto, flags)


class GuardedSession(niquests.Session):
    """A niquests session for one user-typed origin (see the module docstring)."""

    def __init__(
        self, policy: OutboundPolicy, origin: Origin, timeout: float | None = None
    ) -> None:
        super().__init__(resolver=GuardedResolver(policy), disable_http3=True, happy_eyeballs=False)
        self.trust_env = (
            False  # no proxies or .netrc from the environment: the guard sees the real target
        )
        self.policy = policy
        self.origin = origin
        limit = float(timeout) if timeout else None
        self._timeouts = (
            min(policy.connect_timeout, limit or policy.connect_timeout),
            min(policy.read_timeout, limit or policy.read_timeout),
        )
        self._deadline = min(policy.body_deadline, limit or policy.body_deadline)

    def send(self, request: Any, **kwargs: Any) -> Any:
        hops = int(kwargs.pop("_hops", 0))
        follow = bool(kwargs.pop("allow_redirects", True))
        url = str(request.url)
        if self.policy.check_url(url) != self.origin:
            raise OutboundRefused(
                f"{origin_of(url)} is not the origin the user gave ({self.origin})"
            )
        kwargs["stream"] = True
        kwargs["timeout"] = self._timeouts
        kwargs["proxies"] = {}
        response = super().send(request, allow_redirects=False, **kwargs)
        self._read_capped(response)
        if not (follow and response.is_redirect):
            return response
        target = urljoin(url, self.get_redirect_target(response) or "")
        if origin_of(target) != self.origin:
            raise OutboundRefused(
                f"redirect from {self.origin} to another origin ({origin_of(target)})"
            )
        if hops >= MAX_REDIRECTS:
            raise OutboundRefused(f"more than {MAX_REDIRECTS} redirects at {self.origin}")
        following = {
            k: kwargs[k] for k in ("stream", "timeout", "verify", "cert", "proxies") if k in kwargs
        }
        next_request = next(
            iter(self.resolve_redirects(response, request, yield_requests=True, **following))
        )
        return self.send(next_request, allow_redirects=True, _hops=hops + 1, **following)

    def _read_capped(self, response: Any) -> None:
        """Read the body into memory, closing the connection at the size cap or deadline."""
        cap = self.policy.max_body
        declared = response.headers.get("Content-Length")
        if declared and declared.strip().isdigit() and int(declared) > cap:
            response.close()
            raise OutboundRefused(f"{self.origin} announced a {declared}-byte answer (cap {cap})")
        started = time.monotonic()
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(chunk_size=64 * 1024):
                size += len(chunk)
                if size > cap:
                    raise OutboundRefused(f"{self.origin} sent more than {cap} bytes")
                if time.monotonic() - started > self._deadline:
                    raise OutboundRefused(
                        f"{self.origin} took longer than {self._deadline:g}s to answer"
                    )
                chunks.append(chunk)
        except OutboundRefused:
            response.close()
            raise
        response._content = b"".join(chunks)
        response._content_consumed = True
