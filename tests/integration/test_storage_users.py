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


def test_manager_role_is_stored_and_only_the_first_installer_claims_admin(
    migrated_url: str,
) -> None:
    engine = make_engine(migrated_url)
    repo = SqlUserRepository(make_session_factory(engine))
    try:
        repo.save(UserProfile(team_id="T1", slack_user_id="U3", name="Mia", is_manager=True))
        stored = repo.get("T1", "U3")
        assert stored is not None and stored.is_manager and not stored.is_admin
        assert repo.claim_first_admin("T1", "U1") is True  # no admin yet: the first installer
        assert repo.claim_first_admin("T1", "U2") is False  # a re-install by someone else
        assert repo.claim_first_admin("T1", "U1") is False
        first, second = repo.get("T1", "U1"), repo.get("T1", "U2")
        assert first is not None and first.is_admin and (second is None or not second.is_admin)
        assert (
            repo.claim_first_admin("T2", "U2") is True
        )  # another workspace has its own first installer
        assert not repo.get("T1", "U3").is_admin  # type: ignore[union-attr]
    finally:
        engine.dispose()
