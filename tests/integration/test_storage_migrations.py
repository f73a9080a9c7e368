"""Migrations: idempotent, complete, and equal to the models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text

from storage import migrate
from storage.db import make_engine, make_session_factory, normalize_url, ping
from storage.models import Base, WorkspaceModel
from storage.records import SqlRecordRepository

SLACK_TABLES = {"slack_installations", "slack_bots", "slack_oauth_states"}


def test_upgrade_twice_creates_every_table(database_url: str) -> None:
    assert migrate.current_revision(database_url) is None
    migrate.upgrade(database_url)
    migrate.upgrade(database_url)  # every `serve` start does this
    assert migrate.current_revision(database_url) == migrate.head_revision()

    engine = make_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert tables >= SLACK_TABLES
    assert {
        "workspaces",
        "users",
        "records",
        "record_associations",
        "record_search",
        "meetings",
        "meeting_attendees",
        "meeting_records",
        "reminders",
        "timeline_entries",
        "jobs",
        "processed_events",
    } <= tables


def test_migration_matches_models(migrated_url: str) -> None:
    def ours(obj: object, name: str | None, type_: str, reflected: bool, other: object) -> bool:
        if type_ == "table" and name in SLACK_TABLES | {"alembic_version"}:
            return False
        # Each engine's own search index over record_search (migrations 0005_search and
        # 0016_search_vectors: PostgreSQL's stored tsvector columns).
        if type_ == "column" and name in {"names_tsv", "terms_tsv"}:
            return False
        return not (name or "").startswith(("record_fts", "ix_record_search_"))

    engine = make_engine(migrated_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": ours}
            )
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_downgrade_then_upgrade(migrated_url: str) -> None:
    migrate.downgrade(migrated_url, "base")
    engine = make_engine(migrated_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    migrate.upgrade(migrated_url)
    assert migrate.current_revision(migrated_url) == migrate.head_revision()


def test_slack_sdk_stores_work_on_the_migrated_tables(migrated_url: str) -> None:
    from slack_sdk.oauth.installation_store import Installation
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    engine = make_engine(migrated_url)
    try:
        store = SQLAlchemyInstallationStore(client_id="cid", engine=engine)
        store.save(
            Installation(app_id="A1", team_id="T1", user_id="U1", bot_token="xoxb-1", bot_id="B1")
        )
        bot = store.find_bot(enterprise_id=None, team_id="T1")
        assert bot is not None and bot.bot_token == "xoxb-1"
        states = SQLAlchemyOAuthStateStore(expiration_seconds=60, engine=engine)
        assert states.consume(states.issue())
    finally:
        engine.dispose()


def test_urls_times_and_ping(migrated_url: str) -> None:
    assert normalize_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalize_url("postgresql://h/db") == "postgresql+psycopg://h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"

    engine = make_engine(migrated_url)
    sessions = make_session_factory(engine)
    try:
        assert ping(engine)
        warsaw = timezone(timedelta(hours=2))
        created = datetime(2025, 6, 1, 12, 0, tzinfo=warsaw)
        with sessions.begin() as session:
            session.add(WorkspaceModel(team_id="T1", name="Acme", created_at=created))
        with sessions() as session:
            stored = session.execute(select(WorkspaceModel.created_at)).scalar_one()
        assert stored == created and stored.tzinfo == UTC and stored.hour == 10
        with pytest.raises(Exception, match="naive"), sessions.begin() as session:
            session.add(WorkspaceModel(team_id="T2", created_at=datetime(2025, 1, 1)))
    finally:
        engine.dispose()
    assert not ping(make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))


def test_search_index_is_backfilled_on_upgrade_and_restored_on_downgrade(
    database_url: str,
) -> None:
    """A database imported before 0005_search (terms in record_terms) finds its records
    after the upgrade without a re-import, and gets its terms back on a downgrade."""
    migrate.upgrade(database_url, "0004_signin")
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            for rid, team, name, terms in (
                (1, "T1", "Jane Doe", {"jane": 0, "doe": 0, "jane.doe@acme.com": 1, "acme": 1}),
                (2, "T2", "Jane Other", {"jane": 0, "other": 0}),
            ):
                conn.execute(
                    text(
                        "INSERT INTO records (id, team_id, kind, external_id, name, search_text,"
                        " created_at, updated_at) VALUES (:id, :team, 'contact', :ext, :name,"
                        " :key, '2026-01-01', '2026-01-01')"
                    ),
                    {"id": rid, "team": team, "ext": f"c{rid}", "name": name, "key": name.lower()},
                )
                for term, field in terms.items():
                    conn.execute(
                        text(
                            "INSERT INTO record_terms (record_id, term, team_id, field)"
                            " VALUES (:id, :term, :team, :field)"
                        ),
                        {"id": rid, "term": term, "team": team, "field": field},
                    )
        migrate.upgrade(database_url)
        repo = SqlRecordRepository(make_session_factory(engine))
        assert [r.name for r in repo.search("T1", "doe jan")] == ["Jane Doe"]
        assert [r.name for r in repo.search("T1", "acme")] == ["Jane Doe"]  # a company term
        assert [r.name for r in repo.search("T2", "jan")] == ["Jane Other"]
        migrate.downgrade(database_url, "0004_signin")
        with engine.connect() as conn:
            restored = conn.execute(text("SELECT count(*) FROM record_terms")).scalar_one()
        assert restored == 6
    finally:
        engine.dispose()
