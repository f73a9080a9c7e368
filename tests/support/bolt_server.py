"""Serve a Bolt ``App`` in-process over real HTTP (threaded), for tests with SlackClientSim.

    with FakeSlack() as fake, BoltTestServer(build_app(fake)) as server:
        slack = SlackClientSim(server.url, SIGNING_SECRET)
        assert slack.command("Jane tomorrow 3pm").status == 200
        fake.wait_for("views.open")

For the real ``meetline serve`` process use ``tests.support.server.ServeProcess``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse

__all__ = ["BoltTestServer"]


class BoltTestServer:
    """POST ``path`` → ``app.dispatch``; GET install/redirect paths → ``app.oauth_flow``."""

    def __init__(self, app: App, *, path: str = "/slack/events") -> None:
        self.app = app
        self.path = path
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> BoltTestServer:
        if self._server is None:
            server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self.app, self.path))
            server.daemon_threads = True
            self._server = server
            self._thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> BoltTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("BoltTestServer is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (SlackClientSim appends ``/slack/events``)."""
        return f"http://127.0.0.1:{self.port}"


def _make_handler(app: App, endpoint: str) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

        def _headers(self) -> dict[str, str | Sequence[str]]:
            out: dict[str, list[str]] = {}
            for key, value in self.headers.items():
                out.setdefault(key.lower(), []).append(value)
            return dict(out)

        def do_GET(self) -> None:  # noqa: N802
            request_path, _, query = self.path.partition("?")
            flow = app.oauth_flow
            if flow is not None and request_path in (flow.install_path, flow.redirect_uri_path):
                req = BoltRequest(body="", query=query, headers=self._headers())
                if request_path == flow.install_path:
                    self._send(flow.handle_installation(req))
                else:
                    self._send(flow.handle_callback(req))
                return
            self._send(BoltResponse(status=404, body="not found"))

        def do_POST(self) -> None:  # noqa: N802
            request_path, _, query = self.path.partition("?")
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8") if length else ""
            if request_path != endpoint:
                self._send(BoltResponse(status=404, body="not found"))
                return
            req = BoltRequest(body=body, query=query, headers=self._headers())
            self._send(app.dispatch(req))

        def _send(self, resp: BoltResponse) -> None:
            body = resp.body if isinstance(resp.body, str) else json.dumps(resp.body)
            data = body.encode("utf-8")
            self.send_response(resp.status)
            for key, values in resp.headers.items():
                if key.lower() == "content-length":
                    continue
                for value in values:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return _Handler
