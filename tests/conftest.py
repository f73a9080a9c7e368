"""Shared fixtures: every storage test runs on SQLite and, when TEST_DATABASE_URL
points at a PostgreSQL server, on a fresh PostgreSQL database as well.

Migrating takes longer than most storage tests, so a test that asks for
`migrated_url` gets a copy of a database migrated once per session (a PostgreSQL
TEMPLATE, a copied SQLite file); `storage.migrate.upgrade` still runs on it and
must find nothing to do.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_ENV = "TEST_DATABASE_URL"
SQLITE_FILE = "meetline-test.db"


def _postgres_server_url() -> str | None:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        return None
    from storage.db import normalize_url

    return normalize_url(url)


def _with_database(server_url: str, name: str) -> str:
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


class _Templates:
    """Databases migrated once per session, created on first use."""

    def __init__(self, tmp_dir: Path) -> None:
        self._tmp_dir = tmp_dir
        self._sqlite: Path | None = None
        self._postgres: str | None = None
        self._admin: Engine | None = None

    def sqlite_file(self) -> Path:
        if self._sqlite is None:
            from storage.migrate import upgrade

            path = self._tmp_dir / "template.db"
            upgrade(f"sqlite:///{path}")  # its engine is disposed: WAL folded back in
            self._sqlite = path
        return self._sqlite

    def postgres_name(self, server_url: str) -> str:
        if self._postgres is None:
            from storage.migrate import upgrade

            name = f"meetline_tpl_{uuid.uuid4().hex[:12]}"
            with self.admin(server_url).connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            upgrade(_with_database(server_url, name))
            self._postgres = name
        return self._postgres

    def admin(self, server_url: str) -> Engine:
        if self._admin is None:
            self._admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
        return self._admin

    def close(self) -> None:
        if self._admin is not None:
            if self._postgres is not None:
                with self._admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{self._postgres}" WITH (FORCE)'))
            self._admin.dispose()


@pytest.fixture(scope="session")
def _templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Templates]:
    templates = _Templates(tmp_path_factory.mktemp("db-templates"))
    yield templates
    templates.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, _templates: _Templates
) -> Iterator[str]:
    """A database of each kind of its own: empty, or already migrated when the test
    also asks for `migrated_url`. PostgreSQL ones are created and dropped per test."""
    migrated = "migrated_url" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / SQLITE_FILE
        if migrated:
            shutil.copyfile(_templates.sqlite_file(), path)
        yield f"sqlite:///{path}"
        return

    server_url = _postgres_server_url()
    if server_url is None:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    name = f"meetline_t_{uuid.uuid4().hex[:16]}"
    template = f' TEMPLATE "{_templates.postgres_name(server_url)}"' if migrated else ""
    admin = _templates.admin(server_url)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"{template}'))
        # Tests commit thousands of tiny transactions; waiting for each fsync
        # measures the disk, not the code. Crash durability is not under test.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit TO off'))
    try:
        yield _with_database(server_url, name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def migrated_url(database_url: str) -> str:
    """database_url after storage.migrate.upgrade."""
    from storage.migrate import upgrade

    upgrade(database_url)
    return database_url
