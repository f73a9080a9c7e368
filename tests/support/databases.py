"""Test databases: empty, or copied from a template built once per process (each
pytest-xdist worker builds its own), on SQLite or on the PostgreSQL server named by
TEST_DATABASE_URL. Copying a template (a file copy, or PostgreSQL's CREATE DATABASE
... TEMPLATE) takes milliseconds; migrating and importing took seconds per test.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_ENV = "TEST_DATABASE_URL"
SQLITE_FILE = "meetline-test.db"


def postgres_server_url() -> str | None:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        return None
    from storage.db import normalize_url

    return normalize_url(url)


def _with_database(server_url: str, name: str) -> str:
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


class Templates:
    """Databases built once per session (per xdist worker), created on first use:
    "migrated" (schema at head) and "seeded" (also the e2e records imported)."""

    def __init__(self, tmp_dir: Path) -> None:
        self._tmp_dir = tmp_dir
        self._sqlite: dict[str, Path] = {}
        self._postgres: dict[str, str] = {}
        self._admin: Engine | None = None

    def sqlite_file(self, kind: str) -> Path:
        if kind not in self._sqlite:
            path = self._tmp_dir / f"{kind}.db"
            self._build(kind, f"sqlite:///{path}")
            with sqlite3.connect(path) as conn:  # fold the WAL in: the copy is one file
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._sqlite[kind] = path
        return self._sqlite[kind]

    def postgres_name(self, server_url: str, kind: str) -> str:
        if kind not in self._postgres:
            name = f"meetline_tpl_{kind}_{uuid.uuid4().hex[:12]}"
            with self.admin(server_url).connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            self._postgres[kind] = name  # dropped at close even if the build fails
            self._build(kind, _with_database(server_url, name))
        return self._postgres[kind]

    @contextmanager
    def database(self, kind: str, template: str | None, workdir: Path) -> Iterator[str]:
        """A new database: "sqlite" (a file in `workdir`) or "postgresql" (created and
        dropped here, under a unique name: tests run in parallel), empty or a copy of
        the "migrated" or "seeded" template."""
        if kind == "sqlite":
            path = workdir / SQLITE_FILE
            if template is not None:
                shutil.copyfile(self.sqlite_file(template), path)
            yield f"sqlite:///{path}"
            return
        server_url = postgres_server_url()
        if server_url is None:
            pytest.skip(f"{POSTGRES_ENV} is not set")
        name = f"meetline_t_{uuid.uuid4().hex[:16]}"
        source = f' TEMPLATE "{self.postgres_name(server_url, template)}"' if template else ""
        admin = self.admin(server_url)
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{source}'))
            # Tests commit thousands of tiny transactions; waiting for each fsync
            # measures the disk, not the code. Crash durability is not under test.
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit TO off'))
        try:
            yield _with_database(server_url, name)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def _build(self, kind: str, url: str) -> None:
        from storage.migrate import upgrade
        from tests.support.stack import seed_records

        upgrade(url)  # its engine is disposed: no connection left on the template
        if kind == "seeded":
            seed_records(url, self._tmp_dir)

    def admin(self, server_url: str) -> Engine:
        if self._admin is None:
            self._admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
        return self._admin

    def close(self) -> None:
        if self._admin is not None:
            with self._admin.connect() as conn:
                for name in self._postgres.values():
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            self._admin.dispose()
