"""How much the HTTP server accepts, sized for Slack's traffic.

Slack sends small bodies (a view submission is a few KB; files never come to us), in
short requests over connections it does not keep idle for long. waitress's defaults
(1 GiB bodies, 100 connections kept two minutes) let one client buffer hundreds of MB
or, with ~100 idle sockets, keep everyone else, /healthz included, waiting. In
production a reverse proxy in front (TLS, its own limits and timeouts) is the first
line; these are the second.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Final

MAX_BODY: Final = 256 * 1024
"""Bytes of request body accepted; larger bodies get 413 before more is read."""


@dataclass(frozen=True)
class ServingLimits:
    max_request_body_size: int = MAX_BODY
    max_request_header_size: int = 32 * 1024
    connection_limit: int = 500
    channel_timeout: int = 20  # seconds an idle connection (no request in progress) stays open
    cleanup_interval: int = 5  # how often idle connections are looked for
    asyncore_use_poll: bool = True  # select() stops at 1024 descriptors

    def waitress(self) -> dict[str, Any]:
        """Keyword arguments for `waitress.serve`."""
        return {**asdict(self), "ident": "meetline", "expose_tracebacks": False}


SERVING: Final = ServingLimits()
