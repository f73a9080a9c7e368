"""Connecting a CalDAV account and answering "Connect …?" (handlers.connect_calendar):
nothing is saved until the server accepted the credentials, and only the user a
sign-in was made for can answer for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from handlers.calendars import CalendarAuthError, CalendarError
from handlers.connect_calendar import (
    AnswerPendingConnection,
    CalDavAccount,
    ConnectCalDav,
    PendingOutcome,
    offers_connect,
)
from handlers.domain import UserProfile
from handlers.errors import Field, ValidationFailed
from handlers.i18n import translator
from handlers.ports import ConnectionStatus, PendingConnection
from tests.support.clock import MutableClock

EN = translator("en")
ANNA = UserProfile("T1", "UANNA", email="anna@example.com")
ACCOUNT = CalDavAccount("https://dav.example.com/anna/", "anna", "app-pass", "")


@dataclass
class Connections:
    can_store_secrets: bool = True
    saved: list[tuple[str, str, str | None]] = field(default_factory=list)
    pending: dict[str, PendingConnection] = field(default_factory=dict)

    def save_caldav(
        self,
        team_id: str,
        user_id: str,
        *,
        url: str,
        username: str,
        password: str,
        calendar: str | None,
        email: str | None,
    ) -> None:
        self.saved.append((team_id, user_id, email))

    def confirm_pending(
        self, pending_id: str, team_id: str, user_id: str, now: datetime
    ) -> PendingConnection | None:
        p = self.pending.get(pending_id)
        return (
            self.pending.pop(pending_id)
            if p and (p.team_id, p.user_id) == (team_id, user_id)
            else None
        )

    def cancel_pending(self, pending_id: str, team_id: str, user_id: str) -> bool:
        return self.confirm_pending(pending_id, team_id, user_id, datetime.now(UTC)) is not None


class Probe:
    def __init__(self, failure: Exception | None = None) -> None:
        self.failure, self.closed = failure, False

    def __call__(
        self,
        url: str,
        username: str,
        password: str,
        calendar: str | None = None,
        email: str | None = None,
    ) -> Probe:
        return self

    def check_connection(self) -> None:
        if self.failure:
            raise self.failure

    def close(self) -> None:
        self.closed = True


def connect(
    account: CalDavAccount = ACCOUNT,
    failure: Exception | None = None,
    connections: Connections | None = None,
) -> tuple[Connections, Probe, str | None]:
    connections, probe = connections or Connections(), Probe(failure)
    email = ConnectCalDav(connections, probe)(ANNA, account, EN)  # type: ignore[arg-type]
    return connections, probe, email


def refusal(**kwargs: object) -> dict[Field, str]:
    with pytest.raises(ValidationFailed) as refused:
        connect(**kwargs)  # type: ignore[arg-type]
    return refused.value.errors


def test_accepted_credentials_are_saved_with_the_users_email() -> None:
    connections, probe, email = connect()
    assert email == "anna@example.com" and connections.saved == [
        ("T1", "UANNA", "anna@example.com")
    ]
    assert probe.closed
    _, _, email = connect(CalDavAccount("https://dav.example.com/", "anna@work.test", "pw"))
    assert email == "anna@work.test"  # a username that is an address names the account


def test_the_form_is_checked_before_the_server_is_asked() -> None:
    assert set(refusal(account=CalDavAccount("ftp://x", "", ""))) == {
        Field.CALDAV_URL,
        Field.CALDAV_USER,
        Field.CALDAV_PASSWORD,
    }
    assert (
        "SECRET_KEY" in refusal(connections=Connections(can_store_secrets=False))[Field.CALDAV_URL]
    )


def test_what_the_server_said_lands_on_one_field_and_nothing_is_saved() -> None:
    assert Field.CALDAV_PASSWORD in refusal(failure=CalendarAuthError("401"))
    named = CalDavAccount(ACCOUNT.url, "anna", "pw", "Work")
    assert refusal(
        account=named, failure=CalendarError("no calendar named Work", transient=False)
    ) == {Field.CALDAV_CALENDAR: "There is no calendar called “Work” in this account."}
    assert refusal(failure=CalendarError("connection refused to 10.0.0.5", transient=True)) == {
        Field.CALDAV_URL: "Could not reach a CalDAV server at that address."
    }  # no internal details


def test_only_the_user_a_sign_in_was_made_for_answers_it() -> None:
    pending = PendingConnection("p1", "T1", "UANNA", "google", "anna@example.com")
    connections = Connections(pending={"p1": pending})
    answer = AnswerPendingConnection(connections, MutableClock(datetime.now(UTC)))  # type: ignore[arg-type]
    assert answer("T2", "UANNA", "p1", connect=True).outcome is PendingOutcome.REFUSED
    assert answer("T1", "UBOB", "p1", connect=True).outcome is PendingOutcome.REFUSED
    assert answer("T1", "UANNA", "p1", connect=True).connection == pending
    assert (
        answer("T1", "UANNA", "p1", connect=False).outcome is PendingOutcome.REFUSED
    )  # answered already


@pytest.mark.parametrize(
    ("status", "can_connect", "offered"),
    [
        (None, True, True),  # nothing connected
        (ConnectionStatus("google", "a@example.com", active=False), True, True),  # revoked
        (ConnectionStatus("google", "a@example.com", active=True), True, False),
        (ConnectionStatus("email", None, active=True), True, False),  # chose email-only
        (None, False, False),  # no SECRET_KEY: nothing could be connected
    ],
)
def test_connecting_is_offered_to_whoever_has_no_calendar_and_did_not_choose_email_only(
    status: ConnectionStatus | None, can_connect: bool, offered: bool
) -> None:
    assert offers_connect(status, can_connect=can_connect) is offered
