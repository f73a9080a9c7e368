"""Who a Slack user is to Meetline (`bot.profiles`, `bot.directory`): name, email, time zone
and language read from the fake Slack Web API and cached in the real database, refreshed
at most every six hours; deactivated users, other workspaces' users and Slack outages
handled the way scheduling relies on. Also the two small storage helpers behind Slack
deliveries: event de-duplication and the list of installed workspaces.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation

from bot.directory import DirectorySync
from bot.profiles import ProfileService, TeamPeople, phone_region
from handlers.domain import UserProfile
from storage.crypto import SecretBox
from storage.db import make_engine, make_session_factory
from storage.events import remember_event
from storage.installed import installed_teams
from storage.slack_stores import EncryptedInstallationStore
from storage.users import SqlUserRepository
from tests.support.clock import MutableClock
from tests.support.fake_slack import FakeSlack
from tests.support.server import SECRET_KEY

TEAM = "T0001"
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@dataclass
class World:
    slack: FakeSlack
    client: WebClient
    users: SqlUserRepository
    clock: MutableClock
    profiles: ProfileService


@pytest.fixture
def world(migrated_url: str) -> Iterator[World]:
    engine = make_engine(migrated_url)
    users = SqlUserRepository(make_session_factory(engine))
    clock = MutableClock(NOW)
    with FakeSlack() as slack:
        slack.add_user(
            "U1",
            real_name="Anna Nowak",
            display_name="anna",
            email="anna@example.com",
            tz="Europe/Warsaw",
            locale="pl-PL",
        )
        slack.add_user("U2", real_name="Bob Smith", email="bob@example.com", tz="America/New_York")
        client = WebClient(token="xoxb-test", base_url=slack.url)
        yield World(slack, client, users, clock, ProfileService(users, clock, admin_ids={"U2"}))
    engine.dispose()


def test_a_profile_is_read_from_slack_and_cached(world: World) -> None:
    profile = world.profiles.get(world.client, TEAM, "U1")
    # The full name, not the display name: customers read it in mails and invitations.
    assert (profile.name, profile.email, profile.timezone, profile.locale) == (
        "Anna Nowak",
        "anna@example.com",
        "Europe/Warsaw",
        "pl-PL",
    )
    assert not profile.is_admin and profile.refreshed_at == NOW
    cached = world.users.get(TEAM, "U1")
    assert cached is not None and cached.timezone == "Europe/Warsaw"


def test_the_cache_is_used_for_six_hours_then_refreshed(world: World) -> None:
    world.profiles.get(world.client, TEAM, "U1")
    world.slack.add_user("U1", real_name="Anna Kowalska", email="anna@example.com", tz="Asia/Tokyo")
    world.clock.advance(hours=5, minutes=59)
    assert world.profiles.get(world.client, TEAM, "U1").timezone == "Europe/Warsaw"
    assert len(world.slack.calls("users.info")) == 1
    world.clock.advance(minutes=1)
    fresh = world.profiles.get(world.client, TEAM, "U1")
    assert (fresh.name, fresh.timezone) == ("Anna Kowalska", "Asia/Tokyo")
    assert len(world.slack.calls("users.info")) == 2


def test_operator_admins_and_slack_admins_are_admins(world: World) -> None:
    assert world.profiles.get(world.client, TEAM, "U2").is_admin  # ADMIN_SLACK_IDS
    world.slack.add_user("U3", real_name="Olga Owner", is_owner=True)
    owner = world.profiles.get(world.client, TEAM, "U3")
    assert owner.is_slack_admin and not owner.is_admin  # Slack's flag, Meetline's role untouched


def test_a_seat_granted_in_meetline_survives_a_refresh(world: World) -> None:
    profile = world.profiles.get(world.client, TEAM, "U1")
    profile.seat = "enterprise"
    world.users.save(profile)
    world.clock.advance(hours=7)
    assert world.profiles.get(world.client, TEAM, "U1").seat == "enterprise"


def test_an_unknown_zone_becomes_utc(world: World) -> None:
    world.slack.add_user("U4", real_name="Zed", tz="Mars/Olympus_Mons")
    assert world.profiles.get(world.client, TEAM, "U4").timezone == "UTC"


def test_deactivated_and_unknown_users_cannot_be_booked(world: World) -> None:
    world.slack.add_user("U5", real_name="Gone", deleted=True)
    assert world.profiles.lookup(world.client, TEAM, "U5") is None
    assert world.profiles.lookup(world.client, TEAM, "UNOBODY") is None
    default = world.profiles.get(world.client, TEAM, "UNOBODY")
    assert (default.timezone, default.locale, default.is_admin) == ("UTC", "en-US", False)
    world.clock.advance(minutes=1)
    assert (
        world.profiles.lookup(world.client, TEAM, "U5") is None
    )  # the cached "deleted" counts too


def test_a_user_of_another_workspace_is_not_a_member_here(world: World) -> None:
    world.slack.add_user("U6", real_name="Stranger", team_id="T0OTHER")
    assert world.profiles.lookup(world.client, TEAM, "U6") is None
    assert world.users.get(TEAM, "U6") is None


def test_when_slack_is_down_the_cached_profile_is_kept(world: World) -> None:
    world.profiles.get(world.client, TEAM, "U1")
    world.clock.advance(hours=7)
    world.slack.fail_next("users.info", status=500)
    kept = world.profiles.lookup(world.client, TEAM, "U1")
    assert kept is not None and kept.email == "anna@example.com"


def test_background_jobs_read_profiles_without_a_client_from_the_cache(world: World) -> None:
    world.profiles.get(world.client, TEAM, "U1")
    world.slack.add_user("U5", real_name="Gone", deleted=True)
    world.profiles.lookup(world.client, TEAM, "U5")

    def client_for(team_id: str) -> WebClient | None:
        return world.client if team_id == TEAM else None

    people = TeamPeople(world.profiles, world.users, client_for)
    found = people.user(TEAM, "U2")
    assert found is not None and found.email == "bob@example.com"  # fetched through the client
    offline = TeamPeople(world.profiles, world.users, lambda team_id: None)
    cached = offline.user(TEAM, "U1")
    assert cached is not None and cached.name == "Anna Nowak"
    assert offline.user(TEAM, "U5") is None and offline.user(TEAM, "U9") is None


@pytest.mark.parametrize(
    ("locale", "region"),
    [
        ("pl-PL", "PL"),
        ("en_US", "US"),
        ("en-gb", "GB"),
        ("pl", None),
        ("", None),
        (None, None),
        ("zh-Hant-TW", None),
    ],
)
def test_the_phone_region_comes_from_the_locale(locale: str | None, region: str | None) -> None:
    assert phone_region(locale) == region


def test_the_directory_sync_saves_every_member_but_bots_across_pages(world: World) -> None:
    for i in range(205):  # users.list pages hold 200
        world.slack.add_user(f"UM{i:03d}", real_name=f"Member {i}", email=f"m{i}@example.com")
    world.slack.add_user("UB1", real_name="A bot", is_bot=True)
    saved = DirectorySync(world.users, world.clock).sync(world.client, TEAM)
    assert saved == 207  # U1, U2 and the members; the bots are skipped
    assert len(world.slack.calls("users.list")) == 2
    member = world.users.get(TEAM, "UM204")
    assert member is not None and member.email == "m204@example.com"
    assert world.users.get(TEAM, "UB1") is None


def test_a_failed_directory_sync_keeps_what_it_saved(world: World) -> None:
    world.slack.fail_next("users.list", error="ratelimited", status=200)
    assert DirectorySync(world.users, world.clock).sync(world.client, TEAM) == 0


# --------------------------------------------------------------------------- storage helpers


def test_a_slack_delivery_is_processed_once_across_sessions(migrated_url: str) -> None:
    engine = make_engine(migrated_url)
    try:
        first, second = make_session_factory(engine), make_session_factory(engine)
        assert remember_event(first, "Ev0001") is True
        assert remember_event(second, "Ev0001") is False
        assert remember_event(first, "Ev0001") is False
        assert remember_event(second, "Ev0002") is True
        long_key = "view:" + "x" * 400
        assert remember_event(first, long_key) is True
        assert remember_event(second, long_key) is False  # compared on its first 255 characters
    finally:
        engine.dispose()


def test_installed_workspaces_are_listed_per_app(migrated_url: str) -> None:
    engine = make_engine(migrated_url)
    try:
        installs = [
            ("client-1", "T0002"),
            ("client-1", "T0001"),
            ("client-1", "T0002"),
            ("client-2", "T0009"),
        ]
        for client_id, team in installs:
            bot = Installation(
                app_id=client_id,
                team_id=team,
                user_id="U1",
                bot_token=f"xoxb-{team}",
                bot_user_id="UB",
            )
            EncryptedInstallationStore(client_id, engine, SecretBox(SECRET_KEY)).save(bot)
        assert installed_teams(engine, "client-1") == ["T0001", "T0002"]
        assert installed_teams(engine, "client-2") == ["T0009"]
        assert installed_teams(engine, "client-3") == []
    finally:
        engine.dispose()


def test_no_installation_table_yet_means_no_workspaces(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/empty.db")
    try:
        assert installed_teams(engine, "client-1") == []
    finally:
        engine.dispose()


def test_profiles_are_workspace_scoped(world: World) -> None:
    world.users.save(
        UserProfile(team_id="T0OTHER", slack_user_id="U1", name="Other Anna", refreshed_at=NOW)
    )
    mine = world.profiles.get(world.client, TEAM, "U1")
    assert mine.name == "Anna Nowak" and mine.team_id == TEAM
    theirs = world.users.get("T0OTHER", "U1")
    assert theirs is not None and theirs.name == "Other Anna"


@pytest.mark.parametrize(
    ("real_name", "display_name", "expected"),
    [("Jan Nowak", "janek", "Jan Nowak"), ("", "janek", "janek"), ("", "", "jan")],
)
def test_the_name_customers_read_is_the_full_name_then_display_name_then_handle(
    world: World, real_name: str, display_name: str, expected: str
) -> None:
    world.slack.add_user("U7", name="jan", real_name=real_name, display_name=display_name)
    assert world.profiles.get(world.client, TEAM, "U7").name == expected
