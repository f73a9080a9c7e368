"""Alembic environment, driven programmatically by storage.migrate (no alembic.ini).

storage.migrate passes an open connection in `config.attributes["connection"]` so it
can hold a lock around the upgrade; the `alembic` CLI path (URL from the config or
DATABASE_URL) is kept for developers writing new revisions.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy.engine import Connection

import storage.calendar_models  # noqa: F401  (registers the calendar tables on Base)
import storage.crm_connections  # noqa: F401  (registers crm_connections on Base)
from storage.db import make_engine, normalize_url
from storage.models import Base

config = context.config
target_metadata = Base.metadata

# Tables owned by slack_sdk are created by the migration but not described by our
# models; autogenerate must not propose dropping them.
_FOREIGN_TABLES = {"slack_installations", "slack_bots", "slack_oauth_states"}


def _include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    if type_ == "table" and name in _FOREIGN_TABLES:
        return False
    # The engines' own search indexes over record_search (0005_search): SQLite's FTS5
    # table and its shadow tables, PostgreSQL's GIN expression indexes.
    return not (name or "").startswith(("record_fts", "ix_record_search_"))


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get(
        "DATABASE_URL", "sqlite:///meetline.db"
    )
    return normalize_url(url)


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=_include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as conn:
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
