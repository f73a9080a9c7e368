"""Cached Slack profiles: saved by upsert, read back unchanged."""

from __future__ import annotations

from datetime import UTC, datetime

from handlers.domain import UserProfile
from storage.db import make_engine, make_session_factory
from storage.users import SqlUserRepository


def test_user_repository_round_trip(migrated_url: str) -> None:
    engine = make_engine(migrated_url)
    repo = SqlUserRepository(make_session_factory(engine))
    try:
        assert repo.get("T1", "U1") is None
        profile = UserProfile(
            team_id="T1",
            slack_user_id="U1",
            name="Jane",
            email="jane@acme.com",
            timezone="Europe/Warsaw",
            locale="pl-PL",
            seat="professional",
            is_admin=True,
            refreshed_at=datetime(2025, 1, 1, tzinfo=UTC),
            extra={"title": "AE"},
        )
        repo.save(profile)
        assert repo.get("T1", "U1") == profile
        profile.seat = "enterprise"
        profile.timezone = "America/New_York"
        repo.save(profile)
        again = repo.get("T1", "U1")
        assert again is not None and again.seat == "enterprise"
        assert again.timezone == "America/New_York"
        assert repo.get("T2", "U1") is None
    finally:
        engine.dispose()
