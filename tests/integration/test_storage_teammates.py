"""Teammates as the attendee picker and the admin screens find them (`storage.users`): search
by the start of a name, of any word of it, or of an email; deactivated users and bots never
offered; LIKE wildcards typed by a user taken literally; and two installers finishing at the
same moment never both become the first admin. SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from handlers.domain import UserProfile
from storage.db import make_engine, make_session_factory
from storage.users import SqlUserRepository

TEAM = "T1"


@pytest.fixture
def users(migrated_url: str) -> Iterator[SqlUserRepository]:
    engine = make_engine(migrated_url)
    repo = SqlUserRepository(make_session_factory(engine))
    people = [
        ("U1", "Anna Nowak", "anna@example.com", {}),
        ("U2", "Bob Annan", "bob@example.com", {}),
        ("U3", "Zofia Żak", "zofia@example.pl", {}),
        ("U4", "Annette Gone", "annette@example.com", {"deleted": True}),
        ("U5", "Annabot", None, {"is_bot": True}),
        ("U6", "100%_Sales", "sales@example.com", {}),
        ("U7", "100 Sales", "s100@example.com", {}),
    ]
    for user_id, name, email, extra in people:
        repo.save(UserProfile(TEAM, user_id, name=name, email=email, extra=dict(extra)))
    repo.save(UserProfile("T2", "U9", name="Anna Elsewhere", email="anna@other.example"))
    yield repo
    engine.dispose()


def names(found: list[UserProfile]) -> list[str]:
    return [p.name for p in found]


def test_a_name_matches_from_its_start_or_any_words_start(users: SqlUserRepository) -> None:
    assert names(users.search(TEAM, "ann")) == ["Anna Nowak", "Bob Annan"]
    assert names(users.search(TEAM, "NOWAK")) == ["Anna Nowak"]
    assert names(users.search(TEAM, "owak")) == []


def test_an_email_matches_from_its_start(users: SqlUserRepository) -> None:
    assert names(users.search(TEAM, "zofia@")) == ["Zofia Żak"]
    assert names(users.search(TEAM, "example.pl")) == []


def test_deactivated_users_bots_and_other_workspaces_are_never_offered(
    users: SqlUserRepository,
) -> None:
    offered = names(users.search(TEAM, ""))
    assert (
        "Annette Gone" not in offered
        and "Annabot" not in offered
        and "Anna Elsewhere" not in offered
    )
    assert offered == sorted(offered)  # alphabetical


def test_wildcards_in_the_query_are_literal(users: SqlUserRepository) -> None:
    assert names(users.search(TEAM, "100%")) == ["100%_Sales"]
    assert names(users.search(TEAM, "100 s")) == ["100 Sales"]
    assert names(users.search(TEAM, "_")) == []
    assert names(users.search(TEAM, "%")) == []


def test_the_limit_counts_only_users_that_can_be_offered(users: SqlUserRepository) -> None:
    assert names(users.search(TEAM, "", limit=2)) == ["100 Sales", "100%_Sales"]
    assert len(users.search(TEAM, "", limit=100)) == 5


def test_workspaces_and_their_people_are_listed(users: SqlUserRepository) -> None:
    assert users.teams() == ["T1", "T2"]
    assert [p.slack_user_id for p in users.list_users("T2")] == ["U9"]
    assert len(users.list_users()) == 8
    assert not users.has_admin(TEAM)
    assert users.claim_first_admin(TEAM, "U3")
    assert users.has_admin(TEAM) and not users.has_admin("T2")


def test_two_installers_at_once_make_exactly_one_first_admin(migrated_url: str) -> None:
    engine = make_engine(migrated_url)
    try:
        repo = SqlUserRepository(make_session_factory(engine))
        start = threading.Barrier(6)
        results: dict[str, bool] = {}
        errors: list[BaseException] = []

        def install(user_id: str) -> None:
            try:
                start.wait()
                results[user_id] = repo.claim_first_admin("T7", user_id)
            except BaseException as exc:  # SQLite may report a busy database: that counts as a loss
                errors.append(exc)

        threads = [threading.Thread(target=install, args=(f"U{i}",)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sum(results.values()) == 1, (results, errors)
        admins = [p.slack_user_id for p in repo.list_users("T7") if p.is_admin]
        assert len(admins) == 1 and results[admins[0]] is True
    finally:
        engine.dispose()


def test_a_teammate_found_is_the_profile_stored(users: SqlUserRepository) -> None:
    """What the picker offers is the whole stored profile, its times in UTC as stored
    (PostgreSQL's search reads the row on the driver's connection)."""
    from datetime import UTC, datetime

    stored = UserProfile(
        TEAM,
        "U8",
        name="Olga Admin",
        email="olga@example.com",
        timezone="Europe/Warsaw",
        locale="pl-PL",
        is_admin=True,
        refreshed_at=datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        extra={"title": "Head of sales"},
    )
    users.save(stored)
    assert users.search(TEAM, "olga") == [stored] == [users.get(TEAM, "U8")]
