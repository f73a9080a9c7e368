"""A TCP proxy in front of PostgreSQL (or another server) that counts round trips: every
time the client speaks after the server has (a query, a BEGIN, a COMMIT, a pre-ping, a
step of the start-up), that is one more wait for the network. Counted on the wire, so nothing in
the measured program changes, and nothing is estimated.
"""

from __future__ import annotations

import select
import socket
import threading
from types import TracebackType
from typing import Self

from sqlalchemy.engine import make_url


class RoundTripProxy:
    """In front of the database of `database_url`, or of any TCP server at `upstream`
    (the tests count a mail server's round trips with it)."""

    def __init__(
        self, database_url: str | None = None, *, upstream: tuple[str, int] | None = None
    ) -> None:
        if (database_url is None) == (upstream is None):
            raise ValueError("give a database URL or an upstream address")
        self._url = make_url(database_url) if database_url is not None else None
        if self._url is not None:
            self._upstream = (self._url.host or "127.0.0.1", self._url.port or 5432)
        else:
            assert upstream is not None  # checked above
            self._upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self.round_trips = 0

    @property
    def port(self) -> int:
        """The proxy's own port on 127.0.0.1."""
        port: int = self._listener.getsockname()[1]
        return port

    @property
    def url(self) -> str:
        """The database URL through the proxy."""
        if self._url is None:
            raise ValueError("this proxy is not in front of a database")
        return self._url.set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def __enter__(self) -> Self:
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stopping.set()
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self._upstream)
            pump = threading.Thread(target=self._pump, args=(client, server), daemon=True)
            pump.start()
            self._threads.append(pump)

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        client_spoke_last = False
        try:
            while not self._stopping.is_set():
                ready, _, _ = select.select([client, server], [], [], 0.5)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if sock is client:
                        if not client_spoke_last:
                            with self._lock:
                                self.round_trips += 1
                        client_spoke_last = True
                        server.sendall(data)
                    else:
                        client_spoke_last = False
                        client.sendall(data)
        except OSError:
            return
        finally:
            client.close()
            server.close()
