"""`meetline serve --processes N`: N pre-forked processes behind one port (gunicorn).

One Python process uses one core at a time (the GIL); an operator with more cores runs
more processes. They share nothing but the database (PostgreSQL: SQLite takes one
writer at a time, so the default stays one process): each builds its own app, pools,
caches and job worker after the fork, so no connection or thread crosses a fork.
gunicorn's threaded workers (`gthread`) serve each process's requests on `threads`
threads, as waitress does for one process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.app.base import BaseApplication

from bot.serving import ServingLimits

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _Processes(BaseApplication):  # type: ignore[misc]
    def __init__(self, build: Callable[[], WsgiApp], options: dict[str, Any]) -> None:
        self._build = build
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            if key in self.cfg.settings:  # a setting this gunicorn does not know is left out
                self.cfg.set(key, value)

    def load(self) -> WsgiApp:
        return self._build()  # in each process, after the fork


def serve_processes(
    build: Callable[[], WsgiApp],
    *,
    host: str,
    port: int,
    processes: int,
    threads: int,
    limits: ServingLimits,
) -> None:
    """Run until stopped (SIGTERM/SIGINT stop every process gracefully)."""
    _Processes(
        build,
        {
            "bind": f"{host}:{port}",
            "workers": processes,
            "worker_class": "gthread",
            "threads": threads,
            "worker_connections": limits.connection_limit,
            "keepalive": 5,
            "timeout": 60,  # a process silent this long is restarted
            "graceful_timeout": 20,
            "limit_request_field_size": limits.max_request_header_size,
            "proc_name": "meetline",
            "accesslog": None,
            # gunicorn 25+'s control socket sits in ~/.gunicorn: two serves on one host
            # would share it. Meetline is stopped with signals.
            "control_socket_disable": True,
        },
    ).run()
