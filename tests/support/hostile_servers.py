"""Loopback HTTP servers that play the other side of an SSRF attempt, and record every
connection they accept, so a drill can prove that nothing reached them.

`RecordingServer(answer)` calls `answer(handler, body)` for every request, whatever the
method (GET, PROPFIND, PUT, …). Ready-made answers: `internal_page` (an internal service
with something secret in its body), `redirect_to`, `foreign_href` (a CalDAV-looking
PROPFIND answer whose hrefs point elsewhere), `endless_body` (streams until the client
hangs up) and `not_caldav` (a 200 HTML page). `closed_port()` is a port nobody listens on.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "SECRET",
    "RecordingServer",
    "closed_port",
    "endless_body",
    "foreign_href",
    "internal_page",
    "not_caldav",
    "redirect_to",
]

SECRET = "INTERNAL-ONLY-7f3a"  # appears in every body these servers send
Answer = Callable[[BaseHTTPRequestHandler, bytes], None]


def _send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    content_type: str,
    headers: dict[str, str] | None = None,
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def internal_page(handler: BaseHTTPRequestHandler, body: bytes) -> None:
    _send(
        handler,
        200,
        f"<html><body>{SECRET} admin console, db password hunter2</body></html>".encode(),
        "text/html; charset=utf-8",
    )


not_caldav = internal_page


def redirect_to(target: str, status: int = 302) -> Answer:
    def answer(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        _send(handler, status, SECRET.encode(), "text/plain", {"Location": target})

    return answer


def foreign_href(target: str) -> Answer:
    """Every PROPFIND answers that the principal is here, but the calendar home and a
    calendar live at `target` (another origin)."""

    def answer(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        href = target.rstrip("/") + "/anna/"
        xml = f"""<?xml version="1.0" encoding="utf-8"?>
<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
  <d:response>
    <d:href>{handler.path}</d:href>
    <d:propstat>
      <d:prop>
        <d:current-user-principal><d:href>/principals/anna/</d:href></d:current-user-principal>
        <c:calendar-home-set><d:href>{href}</d:href></c:calendar-home-set>
        <d:resourcetype><d:collection/><c:calendar/></d:resourcetype>
        <d:displayname>{SECRET}</d:displayname>
      </d:prop>
      <d:status>HTTP/1.1 200 OK</d:status>
    </d:propstat>
  </d:response>
  <d:response>
    <d:href>{href}work/</d:href>
    <d:propstat>
      <d:prop><d:resourcetype><d:collection/><c:calendar/></d:resourcetype></d:prop>
      <d:status>HTTP/1.1 200 OK</d:status>
    </d:propstat>
  </d:response>
</d:multistatus>"""
        _send(handler, 207, xml.encode(), "application/xml; charset=utf-8")

    return answer


class EndlessBody:
    """Streams `chunk`s with no Content-Length until the client hangs up (or `limit`
    bytes are sent); `sent` and `cut_off` tell how far it got."""

    def __init__(self, limit: int = 256 * 1024 * 1024, chunk: int = 64 * 1024) -> None:
        self.limit = limit
        self.chunk = chunk
        self.sent = 0
        self.cut_off = False

    def __call__(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/xml")
        handler.send_header("Connection", "close")
        handler.end_headers()
        block = (SECRET.encode() * (self.chunk // len(SECRET) + 1))[: self.chunk]
        try:
            while self.sent < self.limit:
                handler.wfile.write(block)
                self.sent += len(block)
        except OSError:
            self.cut_off = True
        handler.close_connection = True


def endless_body(**kwargs: Any) -> EndlessBody:
    return EndlessBody(**kwargs)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with self.server.owner.lock:
            self.server.owner.requests.append((self.command, self.path))
        self.server.owner.answer(self, body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: RecordingServer

    def verify_request(self, request: Any, client_address: Any) -> bool:
        with self.owner.lock:
            self.owner.connections.append(client_address)
        return True


class RecordingServer:
    def __init__(self, answer: Answer = internal_page, host: str = "127.0.0.1") -> None:
        self.answer = answer
        self.lock = threading.Lock()
        self.connections: list[Any] = []
        self.requests: list[tuple[str, str]] = []
        server_class: type[_Server] = _Server
        if ":" in host:
            server_class = type("_Server6", (_Server,), {"address_family": socket.AF_INET6})
        self._server = server_class((host, 0), _Handler)
        self._server.owner = self
        self.host = host
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def netloc(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.netloc}/"

    @property
    def allow_host(self) -> str:
        """This server's `CALDAV_ALLOW_HOSTS` entry."""
        return self.netloc

    @property
    def hits(self) -> int:
        with self.lock:
            return len(self.connections)

    def clear(self) -> None:
        with self.lock:
            self.connections.clear()
            self.requests.clear()

    def __enter__(self) -> RecordingServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def closed_port() -> int:
    """A loopback port that was free a moment ago (nothing listens on it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
