"""A real Radicale CalDAV server, in-process on a free loopback port, for adapter tests.

Radicale ≥ 3.5 refuses everything by default (``auth.type = denyall``), so the auth type
is always set: ``none`` (any user name is accepted, principal ``/<user>/``) or
``htpasswd`` with the given plain-text users, to test bad credentials. Storage is a
temporary folder owned by the caller. Failed logins are not delayed (Radicale's default
is a 1 s penalty, which would only slow the tests down)::

    with RadicaleServer(tmp_path, users={"host@example.com": "s3cret"}) as dav:
        dav.make_calendar("host@example.com", "s3cret", "Work")
        cal = CalDavCalendar(dav.url, "host@example.com", "s3cret", policy=dav.policy)

It listens on loopback over plain http, which Meetline's outbound guard refuses unless
the operator allows it: `allow_host` is the `CALDAV_ALLOW_HOSTS` entry for this server
and `policy` the matching `OutboundPolicy`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import radicale
import radicale.config
from caldav.davclient import DAVClient
from radicale.app import Application

from adapters.outbound import OutboundPolicy

__all__ = ["RadicaleServer", "radicale_server"]


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class RadicaleServer:
    def __init__(self, folder: Path, users: Mapping[str, str] | None = None) -> None:
        self.folder = Path(folder)
        self.users = dict(users or {})
        storage = self.folder / "collections"
        storage.mkdir(parents=True, exist_ok=True)
        settings: dict[str, dict[str, Any]] = {
            "storage": {"filesystem_folder": str(storage)},
            "auth": {"type": "none", "delay": "0"},
            "logging": {"level": "warning"},
        }
        if self.users:
            htpasswd = self.folder / "users"
            htpasswd.write_text("".join(f"{u}:{p}\n" for u, p in self.users.items()))
            settings["auth"] = {
                "type": "htpasswd",
                "htpasswd_filename": str(htpasswd),
                "htpasswd_encryption": "plain",
                "delay": "0",
            }
        config = radicale.config.load()
        config.update(settings, "meetline-tests", privileged=True)
        self._server = make_server(
            "127.0.0.1",
            0,
            Application(config),
            server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/"

    @property
    def allow_host(self) -> str:
        return f"127.0.0.1:{self._server.server_port}"

    @property
    def policy(self) -> OutboundPolicy:
        return OutboundPolicy.from_setting(self.allow_host)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> RadicaleServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def make_calendar(self, username: str, password: str = "", name: str = "Work") -> str:
        """Create a calendar for `username` (over CalDAV, as a client would); its URL."""
        with DAVClient(self.url, username=username, password=password) as client:
            calendar = client.principal().make_calendar(name=name)
            return str(calendar.url)


@contextmanager
def radicale_server(
    folder: Path, users: Mapping[str, str] | None = None
) -> Iterator[RadicaleServer]:
    with RadicaleServer(folder, users) as server:
        yield server
