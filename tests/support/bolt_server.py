"""Serve a Bolt ``App`` in-process over real HTTP (threaded), for tests with SlackClientSim.

    with FakeSlack() as fake, BoltTestServer(build_app(fake)) as server:
        slack = SlackClientSim(server.url, SIGNING_SECRET)
        assert slack.command("Jane tomorrow 3pm").status == 200
        fake.wait_for("views.open")

Requests go through slack_bolt's own WSGI adapter (POST ``path`` to ``app.dispatch``,
GET install/redirect paths to ``app.oauth_flow``), as `meetline serve` does behind
waitress. For the real ``meetline serve`` process use ``tests.support.server.ServeProcess``.
"""

from __future__ import annotations

import threading
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

__all__ = ["BoltTestServer"]


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return


class BoltTestServer:
    """``app`` behind slack_bolt's WSGI adapter on a free loopback port."""

    def __init__(self, app: App, *, path: str = "/slack/events") -> None:
        self.app = app
        self.path = path
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> BoltTestServer:
        if self._server is None:
            server = make_server(
                "127.0.0.1",
                0,
                SlackRequestHandler(self.app, path=self.path),
                server_class=_ThreadingWSGIServer,
                handler_class=_QuietHandler,
            )
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
