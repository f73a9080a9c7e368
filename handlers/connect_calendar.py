"""Use cases: connect a CalDAV account from the form, and answer the "Connect …?" question
a finished sign-in leaves for its Slack user.

Credentials are checked against the server before anything is saved; what went wrong is
told in one sentence per field, never the internal network's story (the details go to the
log, with the address reduced to its origin: paths often carry an email address).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from urllib.parse import urlsplit

from handlers.calendars import CalendarAuthError, CalendarError
from handlers.domain import UserProfile
from handlers.errors import Field, ValidationFailed
from handlers.i18n import Translator
from handlers.ports import CalendarConnections, Clock, ConnectionStatus, PendingConnection

log = logging.getLogger(__name__)


class CalDavCheck(Protocol):
    def check_connection(self) -> None: ...

    def close(self) -> None: ...


class CalDavProbe(Protocol):
    """A CalDAV client for credentials not saved yet."""

    def __call__(
        self,
        url: str,
        username: str,
        password: str,
        calendar: str | None = None,
        email: str | None = None,
    ) -> CalDavCheck: ...


@dataclass(frozen=True)
class CalDavAccount:
    url: str
    username: str
    password: str
    calendar: str = ""  # "" for the account's default calendar


def offers_connect(status: ConnectionStatus | None, *, can_connect: bool = True) -> bool:
    """No usable calendar and no choice of email-only: the meeting reaches nobody's
    calendar but by the email invitation, so the form and the confirmation say so and
    offer to connect one (someone who chose email-only is not asked again; nobody is
    offered what the server cannot do, `can_connect` False)."""
    if not can_connect:
        return False
    return status is None or (status.provider != "email" and not status.active)


def origin_for_log(url: str) -> str:
    """Scheme, host and port only: paths often carry the user's email address."""
    parts = urlsplit(url)
    try:
        return f"{parts.scheme}://{parts.hostname}:{parts.port or ''}"
    except ValueError:
        return "(malformed URL)"


class ConnectCalDav:
    def __init__(self, connections: CalendarConnections, probe: CalDavProbe) -> None:
        self._connections = connections
        self._probe = probe

    def __call__(self, actor: UserProfile, account: CalDavAccount, t: Translator) -> str | None:
        """The connected account's email; raises ValidationFailed (messages in `t`'s language)."""
        self._check_form(account, t)
        email = account.username if "@" in account.username else actor.email
        probe = self._probe(
            account.url, account.username, account.password, account.calendar or None, email=email
        )
        try:
            probe.check_connection()
        except CalendarAuthError:
            raise ValidationFailed(
                {
                    Field.CALDAV_PASSWORD: t.gettext(
                        "The server refused this username and password. Check them, or create a new app password."
                    )
                }
            ) from None
        except CalendarError as exc:
            if account.calendar and "no calendar named" in str(exc):
                raise ValidationFailed(
                    {
                        Field.CALDAV_CALENDAR: t.gettext(
                            "There is no calendar called “{name}” in this account.",
                            name=account.calendar,
                        )
                    }
                ) from None
            log.warning(
                "CalDAV connect check failed for %s/%s at %s: %s",
                actor.team_id,
                actor.slack_user_id,
                origin_for_log(account.url),
                exc,
            )
            raise ValidationFailed(
                {Field.CALDAV_URL: t.gettext("Could not reach a CalDAV server at that address.")}
            ) from None
        finally:
            probe.close()
        self._connections.save_caldav(
            actor.team_id,
            actor.slack_user_id,
            url=account.url,
            username=account.username,
            password=account.password,
            calendar=account.calendar or None,
            email=email,
        )
        return email

    def _check_form(self, account: CalDavAccount, t: Translator) -> None:
        """What can be told without asking the server."""
        errors: dict[Field, str] = {}
        parts = urlsplit(account.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            errors[Field.CALDAV_URL] = t.gettext(
                "Enter the server's address, starting with https://"
            )
        if not account.username:
            errors[Field.CALDAV_USER] = t.gettext("Enter your username.")
        if not account.password:
            errors[Field.CALDAV_PASSWORD] = t.gettext("Enter an app password.")
        if not self._connections.can_store_secrets:
            errors[Field.CALDAV_URL] = t.gettext(
                "This Meetline server cannot store passwords yet: an admin must set SECRET_KEY."
            )
        if errors:
            raise ValidationFailed(errors)


class PendingOutcome(StrEnum):
    CONNECTED = "connected"
    CANCELLED = "cancelled"
    REFUSED = "refused"  # not theirs, expired or already answered: nothing changed


@dataclass(frozen=True)
class PendingAnswer:
    outcome: PendingOutcome
    connection: PendingConnection | None = None


class AnswerPendingConnection:
    """Only the Slack user the sign-in link was made for, in that workspace, can answer."""

    def __init__(self, connections: CalendarConnections, clock: Clock) -> None:
        self._connections = connections
        self._clock = clock

    def __call__(
        self, team_id: str, user_id: str, pending_id: str, *, connect: bool
    ) -> PendingAnswer:
        if connect:
            found = self._connections.confirm_pending(
                pending_id, team_id, user_id, self._clock.now()
            )
            return (
                PendingAnswer(PendingOutcome.CONNECTED, found)
                if found
                else PendingAnswer(PendingOutcome.REFUSED)
            )
        if self._connections.cancel_pending(pending_id, team_id, user_id):
            return PendingAnswer(PendingOutcome.CANCELLED)
        return PendingAnswer(PendingOutcome.REFUSED)
