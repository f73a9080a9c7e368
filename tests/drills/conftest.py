"""Fault drills: the app under failures, retries, hostile input and crashes.

Fixtures here give a whole running app (`drill_stack`, one per module: `meetline
serve`, fake Slack, SMTP sink, a copy of the seeded template database) on SQLite, or
on PostgreSQL when TEST_DATABASE_URL is set and the module is marked `both_databases`
(behaviour that differs there); and a bare PostgreSQL database (`pg_url`) for the
worker drills.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.databases import Templates, postgres_server_url
from tests.support.stack import Stack, running_stack


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "drill: a fault drill (tests/drills); runs in `make test`")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/drills/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.drill)


postgres_server = postgres_server_url  # the drills' name for it


@contextmanager
def fresh_database(kind: str, workdir: Path) -> Iterator[str]:
    """An empty database: SQLite in `workdir`, or a new PostgreSQL database dropped afterwards."""
    templates = Templates(workdir)
    try:
        with templates.database(kind, None, workdir) as url:
            yield url
    finally:
        templates.close()


@pytest.fixture
def pg_url(tmp_path: Path, _templates: Templates) -> Iterator[str]:
    if postgres_server() is None:
        pytest.skip("TEST_DATABASE_URL is not set (the worker drills need PostgreSQL)")
    with _templates.database("postgresql", None, tmp_path) as url:
        yield url


@pytest.fixture(scope="module")
def drill_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, _templates: Templates
) -> Iterator[Stack]:
    """One running app for a module's drills (they keep to their own meetings)."""
    workdir = tmp_path_factory.mktemp("drill")
    on_postgres = postgres_server() and request.node.get_closest_marker("both_databases")
    kind = "postgresql" if on_postgres else "sqlite"
    with (
        _templates.database(kind, "seeded", workdir) as url,
        running_stack(url, workdir, seeded=True) as stack,
    ):
        yield stack


@pytest.fixture
def stack(drill_stack: Stack) -> Stack:
    """The module's app, with the fakes' recordings cleared for this drill."""
    drill_stack.slack.clear()
    drill_stack.smtp.clear()
    drill_stack.smtp.accept_all()
    if not drill_stack.smtp.running:
        drill_stack.smtp.start()
    return drill_stack
