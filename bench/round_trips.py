"""PostgreSQL round trips of one Save, counted on the engine and on the wire, not estimated.

A round trip is one message the driver waits on: every statement (SAVEPOINT and
RELEASE included), each BEGIN, COMMIT and ROLLBACK that reaches the server (psycopg
skips a ROLLBACK when no transaction is open; so do we), and a pre-ping on checkout.
The app runs in this process (`bot.wiring` on the given database), served over real
HTTP by Bolt's WSGI adapter, against the benchmark's fake Slack; the count covers the
Save's request, from the signature check to the answer, and what it hands to the
after-ack pools (the confirmation DM makes no database call of its own). The same
Save is also counted on the wire by bench.pg_proxy (`on_wire`): the two must agree.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from psycopg.pq import TransactionStatus
from sqlalchemy import event
from sqlalchemy.engine import Engine


class RoundTrips:
    """Counts what `engine` sends the server while `counting()` is open."""

    def __init__(self, engine: Engine, wire: Callable[[], int] | None = None) -> None:
        self._engine = engine
        self._wire = wire  # a running count of round trips seen on the wire (bench.pg_proxy)
        self.on_wire: int | None = None
        self._lock = threading.Lock()
        self.on = False
        self.by_kind: dict[str, int] = {}
        self.statements: list[str] = []
        self.last_seen = time.monotonic()
        pre_ping = bool(getattr(engine.pool, "_pre_ping", False))

        def add(kind: str, text: str = "") -> None:
            self.last_seen = time.monotonic()
            if self.on:
                with self._lock:
                    self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
                    if text:
                        self.statements.append(text.split("\n", 1)[0][:100])

        def statement(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
            add("statement", sql)

        def begin(conn: Any) -> None:
            add("BEGIN")

        def commit(conn: Any) -> None:
            add("COMMIT")

        def rollback(conn: Any) -> None:
            dbapi = conn.connection.dbapi_connection
            if dbapi is not None and dbapi.info.transaction_status != TransactionStatus.IDLE:
                add("ROLLBACK")

        def checkout(dbapi: Any, record: Any, proxy: Any) -> None:
            if pre_ping:
                add("pre-ping")

        def reset(dbapi: Any, record: Any, state: Any) -> None:
            if dbapi.info.transaction_status != TransactionStatus.IDLE:
                add("ROLLBACK on return")

        event.listen(engine, "before_cursor_execute", statement)
        event.listen(engine, "begin", begin)
        event.listen(engine, "commit", commit)
        event.listen(engine, "rollback", rollback)
        event.listen(engine.pool, "checkout", checkout)
        event.listen(engine.pool, "reset", reset)

    def wait_quiet(self, quiet: float = 1.0, timeout: float = 30.0) -> None:
        """Until nothing (e.g. the teammate directory's sync after a first /meet) has used
        the database for `quiet` seconds, so only the Save is counted."""
        deadline = time.monotonic() + timeout
        while time.monotonic() - self.last_seen < quiet and time.monotonic() < deadline:
            time.sleep(0.05)

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    @contextmanager
    def counting(self) -> Iterator[RoundTrips]:
        with self._lock:
            self.by_kind, self.statements = {}, []
        self.on = True
        wire_before = self._wire() if self._wire is not None else 0
        try:
            yield self
        finally:
            self.on = False
            if self._wire is not None:
                self.on_wire = self._wire() - wire_before


def settle(done: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for after-ack work (the confirmation DM) to finish, so it is counted too."""
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(0.02)
