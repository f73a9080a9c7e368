"""Schema upgrades, safe to run at every start of every process.

`meetline serve` and `meetline worker` call `upgrade` on start-up; with several of
them starting at once against one PostgreSQL, a session advisory lock lets exactly
one migrate while the others wait and then find the schema already at head. On
SQLite the migration transaction takes the write lock up front for the same effect.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from storage.db import IMMEDIATE, make_engine, normalize_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Arbitrary but fixed: every Meetline process must use the same key.
_ADVISORY_LOCK_KEY = 0x6D65_6574_6C69_6E65 & 0x7FFF_FFFF_FFFF_FFFF  # "meetline"


def alembic_config(url: str) -> Config:
    """An Alembic config built in code, so no alembic.ini has to ship or be found."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolates "%": escape it so URL-encoded passwords survive.
    cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def upgrade(url: str, revision: str = "head") -> None:
    cfg = alembic_config(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execution_options(**IMMEDIATE)
            is_pg = conn.dialect.name == "postgresql"
            if is_pg:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _ADVISORY_LOCK_KEY})
                conn.commit()
            try:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
                conn.commit()
            finally:
                if is_pg:
                    conn.rollback()
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _ADVISORY_LOCK_KEY})
                    conn.commit()
    finally:
        engine.dispose()


def downgrade(url: str, revision: str) -> None:
    """For development and tests; production never downgrades."""
    cfg = alembic_config(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, revision)
            conn.commit()
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
