"""`meetline rotate-keys` (`storage.key_rotation`) on SQLite and PostgreSQL: after rotating,
every stored secret (calendar credentials, Slack tokens) opens with the new key alone; a
value no key opens stops the run with nothing changed, so the old key is never needed
for half the rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import Engine, select, update

from handlers.calendars import CalendarAuthError
from storage.calendar_connections import SqlCalendarConnections
from storage.calendar_models import CalendarConnectionModel
from storage.crypto import SecretBox
from storage.db import make_engine, make_session_factory
from storage.key_rotation import RotationError, rotate_secrets
from storage.slack_stores import EncryptedInstallationStore
from tests.support.server import OTHER_SECRET_KEY, SECRET_KEY

OLD, NEW = SECRET_KEY, OTHER_SECRET_KEY
TEAM = "T0001"


@dataclass
class Stored:
    engine: Engine
    google_id: int
    caldav_id: int


def calendars(engine: Engine, key: str) -> SqlCalendarConnections:
    return SqlCalendarConnections(make_session_factory(engine), SecretBox(key))


def slack_store(engine: Engine, key: str) -> EncryptedInstallationStore:
    return EncryptedInstallationStore("client-1", engine, SecretBox(key))


@pytest.fixture
def stored(migrated_url: str) -> Iterator[Stored]:
    """Secrets of every kind, written with the old key."""
    engine = make_engine(migrated_url)
    store = calendars(engine, OLD)
    store.save_google(TEAM, "U1", '{"refresh_token": "1//google-refresh"}', "anna@example.com")
    store.save_caldav(
        TEAM,
        "U2",
        url="https://dav.example/",
        username="bob",
        password="caldav-pass",
        calendar="https://dav.example/bob/cal/",
        email="bob@example.com",
    )
    google, caldav = store.account(TEAM, "U1"), store.account(TEAM, "U2")
    assert google is not None and caldav is not None
    slack_store(engine, OLD).save(
        Installation(
            app_id="A1",
            team_id=TEAM,
            user_id="U1",
            bot_token="xoxb-secret-bot",
            bot_id="B1",
            bot_user_id="UBOT",
            user_token="xoxp-secret-user",
            installed_at=1_700_000_000.0,
        )
    )
    yield Stored(engine, google.id, caldav.id)
    engine.dispose()


def test_after_rotation_every_secret_opens_with_the_new_key_alone(stored: Stored) -> None:
    result = rotate_secrets(stored.engine, SecretBox(f"{NEW},{OLD}"))
    assert result.tables["calendar_connections"] == 2
    assert result.tables["slack_installations"] == 2 and result.tables["slack_bots"] == 1
    assert result.values == sum(result.tables.values())

    new_only = calendars(stored.engine, NEW)
    assert new_only.secret(stored.google_id) == '{"refresh_token": "1//google-refresh"}'
    assert "caldav-pass" in new_only.secret(stored.caldav_id)
    installation = slack_store(stored.engine, NEW).find_installation(
        enterprise_id=None, team_id=TEAM
    )
    assert installation is not None
    assert (installation.bot_token, installation.user_token) == (
        "xoxb-secret-bot",
        "xoxp-secret-user",
    )
    bot = slack_store(stored.engine, NEW).find_bot(enterprise_id=None, team_id=TEAM)
    assert bot is not None and bot.bot_token == "xoxb-secret-bot"

    with pytest.raises(CalendarAuthError):
        calendars(stored.engine, OLD).secret(stored.google_id)


def test_rotating_twice_changes_nothing_a_reader_sees(stored: Stored) -> None:
    rotate_secrets(stored.engine, SecretBox(f"{NEW},{OLD}"))
    again = rotate_secrets(stored.engine, SecretBox(NEW))
    assert again.tables["calendar_connections"] == 2
    assert (
        calendars(stored.engine, NEW).secret(stored.google_id)
        == '{"refresh_token": "1//google-refresh"}'
    )


def test_a_value_no_key_opens_stops_the_run_with_nothing_changed(stored: Stored) -> None:
    foreign = SecretBox(NEW).encrypt("written with a key nobody has any more")
    sessions = make_session_factory(stored.engine)
    with sessions() as session, session.begin():
        session.execute(
            update(CalendarConnectionModel)
            .where(CalendarConnectionModel.id == stored.caldav_id)
            .values(credentials=foreign)
        )
    with sessions() as session:
        before = dict(
            session.execute(
                select(CalendarConnectionModel.id, CalendarConnectionModel.credentials)
            ).all()
        )

    with pytest.raises(RotationError) as caught:
        rotate_secrets(stored.engine, SecretBox(OLD))
    assert str(caught.value) == (
        f"calendar_connections.credentials (id {stored.caldav_id}) cannot be decrypted with any key in "
        "SECRET_KEY; nothing was changed"
    )
    with sessions() as session:
        after = dict(
            session.execute(
                select(CalendarConnectionModel.id, CalendarConnectionModel.credentials)
            ).all()
        )
    assert after == before
    assert (
        calendars(stored.engine, OLD).secret(stored.google_id)
        == '{"refresh_token": "1//google-refresh"}'
    )
