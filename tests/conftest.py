"""Shared fixtures: every storage test runs on SQLite and, when TEST_DATABASE_URL
points at a PostgreSQL server, on a fresh PostgreSQL database as well. The e2e suite
and the drills run on SQLite only, except tests marked `both_databases` (behaviour
that differs on PostgreSQL: locking, concurrency, jobs, search, isolation).

Migrating takes longer than most storage tests, so a test that asks for
`migrated_url` gets a copy of a database migrated once per session (a PostgreSQL
TEMPLATE, a copied SQLite file); `storage.migrate.upgrade` still runs on it and
must find nothing to do. `seeded_url` is the same with the e2e records imported
(tests/support/stack.py's RECORDS_CSV), so a served app needs no migrate or import.
Templates are per process, so each pytest-xdist worker builds its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.databases import Templates

# Folders whose tests run on SQLite only unless marked `both_databases`.
# Tests change the database behind the served app's back (the in-process `services` of
# tests/support/stack.py), as another process would; such changes reach a process's read
# caches within CACHE_SECONDS (storage/read_cache.py), so tests read through by default.
# The caches themselves are tested with CACHE_SECONDS set (tests/integration/test_read_cache.py).
os.environ.setdefault("CACHE_SECONDS", "0")

SQLITE_ONLY = ("tests/e2e/", "tests/drills/")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "both_databases: an e2e test or drill also run on PostgreSQL (TEST_DATABASE_URL), "
        "because the behaviour under test differs there",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`database_url` (and so `migrated_url`, `seeded_url`): SQLite, plus PostgreSQL for
    storage tests and for e2e tests marked `both_databases`. A test may choose its own
    with `@pytest.mark.parametrize("database_url", [...], indirect=True)`."""
    if "database_url" not in metafunc.fixturenames:
        return
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0] if mark.args else mark.kwargs.get("argnames", "")
        if "database_url" in (
            [n.strip() for n in names.split(",")] if isinstance(names, str) else names
        ):
            return
    path = str(metafunc.definition.path).replace(os.sep, "/")
    sqlite_only = any(part in path for part in SQLITE_ONLY) and (
        metafunc.definition.get_closest_marker("both_databases") is None
    )
    kinds = [pytest.param("sqlite", id="sqlite")]
    if not sqlite_only:
        kinds.append(pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres))
    metafunc.parametrize("database_url", kinds, indirect=True)


@pytest.fixture(scope="session")
def _templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    templates = Templates(tmp_path_factory.mktemp("db-templates"))
    yield templates
    templates.close()


@pytest.fixture
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, _templates: Templates
) -> Iterator[str]:
    """A database of each kind of its own: empty, or a copy of a template when the
    test also asks for `migrated_url` or `seeded_url`."""
    template: str | None = None
    if "seeded_url" in request.fixturenames:
        template = "seeded"
    elif "migrated_url" in request.fixturenames:
        template = "migrated"
    with _templates.database(request.param, template, tmp_path) as url:
        yield url


@pytest.fixture
def migrated_url(database_url: str) -> str:
    """database_url after storage.migrate.upgrade."""
    from storage.migrate import upgrade

    upgrade(database_url)
    return database_url


@pytest.fixture
def seeded_url(database_url: str) -> str:
    """database_url migrated, with the e2e records imported for workspace T0001."""
    return database_url
