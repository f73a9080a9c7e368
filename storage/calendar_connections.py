"""Connected calendars, stored encrypted: the rows, their secrets, the one-time OAuth
flows (`state` → PKCE verifier or msal flow) for `bot.calendar_oauth`, and accounts
waiting for their owner's confirmation.

Turning a stored connection into an adapter is `adapters.calendar_factory`'s job; it
reads and writes the secrets through the `CalendarSecrets` methods here.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from handlers.calendar_booking import CalendarAccount
from handlers.calendars import CalendarAuthError, CalendarError
from handlers.ports import CalendarConnectionInfo, ConnectionStatus, PendingConnection, PendingFlow
from storage.calendar_models import (
    CalendarConnectionModel,
    OAuthFlowModel,
    PendingConnectionModel,
    SigninLinkUseModel,
)
from storage.crypto import SecretBox, SecretBoxError
from storage.db import write_session
from storage.models import utcnow
from storage.read_cache import ReadCache

log = logging.getLogger(__name__)

CALENDAR_PROVIDERS = ("google", "microsoft", "caldav")
EMAIL_ONLY = "email"
SENDS_INVITATIONS = {"google": True, "microsoft": True, "caldav": False}


def _account(row: CalendarConnectionModel) -> CalendarAccount:
    return CalendarAccount(
        id=row.id,
        team_id=row.team_id,
        user_id=row.slack_user_id,
        provider=row.provider,
        email=row.email,
        active=row.status == "active",
        sync_enabled=bool(row.sync_enabled),
        sync_state=dict(row.sync_state) if row.sync_state else None,
    )


@dataclass(frozen=True)
class _Seen:
    """A user's connection row as the request path reads it."""

    info: CalendarConnectionInfo | None
    account: CalendarAccount | None
    status: ConnectionStatus

    @classmethod
    def of(cls, row: CalendarConnectionModel | None) -> _Seen | None:
        if row is None:
            return None
        calendar = row.provider in CALENDAR_PROVIDERS
        info = (
            CalendarConnectionInfo(
                provider=row.provider,
                sends_invitations=SENDS_INVITATIONS[row.provider],
                email=row.email,
                sync_enabled=bool(row.sync_enabled),
                active=row.status == "active",
            )
            if calendar
            else None
        )
        status = ConnectionStatus(row.provider, row.email, row.status == "active", row.calendar_id)
        return cls(info, _account(row) if calendar else None, status)


class SqlCalendarConnections:
    """handlers.ports.CalendarConnections and CalendarSecrets, and the stored side of
    handlers.calendar_booking.CalendarAccounts (adapters.calendar_factory adds the adapters)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        box: SecretBox | None,
        cache: ReadCache[tuple[str, str], _Seen | None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._box = box
        # What a request reads of a user's connection (connection_for, account, status),
        # kept for seconds; every write here forgets all of it (writes are rare).
        self._cache: ReadCache[tuple[str, str], _Seen | None] = cache or ReadCache(0)

    @property
    def can_store_secrets(self) -> bool:
        return self._box is not None

    # ------------------------------------------------------------------ CalendarDirectory

    def connection_for(self, team_id: str, user_id: str) -> CalendarConnectionInfo | None:
        seen = self._seen(team_id, user_id)
        return seen.info if seen is not None else None

    # ------------------------------------------------------------------ CalendarAccounts

    def account(self, team_id: str, user_id: str) -> CalendarAccount | None:
        seen = self._seen(team_id, user_id)
        if seen is None or seen.account is None:
            return None
        account = seen.account
        return replace(account, sync_state=dict(account.sync_state) if account.sync_state else None)

    def account_by_id(self, account_id: int) -> CalendarAccount | None:
        with self._sessions() as session:
            row = session.get(CalendarConnectionModel, account_id)
            return _account(row) if row is not None and row.provider in CALENDAR_PROVIDERS else None

    def syncable(self) -> list[CalendarAccount]:
        with self._sessions() as session:
            rows = session.scalars(
                select(CalendarConnectionModel)
                .where(
                    CalendarConnectionModel.status == "active",
                    CalendarConnectionModel.sync_enabled.is_(True),
                    CalendarConnectionModel.provider.in_(CALENDAR_PROVIDERS),
                )
                .order_by(CalendarConnectionModel.id)
            )
            return [_account(r) for r in rows]

    def mark_revoked(self, account_id: int) -> bool:
        with write_session(self._sessions) as session:
            result = session.execute(
                update(CalendarConnectionModel)
                .where(
                    CalendarConnectionModel.id == account_id,
                    CalendarConnectionModel.status == "active",
                )
                .values(status="revoked", updated_at=utcnow())
            )
        self._cache.clear()
        return bool(getattr(result, "rowcount", 0))

    def save_sync_state(self, account_id: int, state: dict[str, Any] | None) -> None:
        with write_session(self._sessions) as session:
            session.execute(
                update(CalendarConnectionModel)
                .where(CalendarConnectionModel.id == account_id)
                .values(sync_state=state)
            )
        self._cache.clear()

    # ------------------------------------------------------------------ connecting

    def status(self, team_id: str, user_id: str) -> ConnectionStatus | None:
        seen = self._seen(team_id, user_id)
        return seen.status if seen is not None else None

    def save_google(
        self, team_id: str, user_id: str, credentials_json: str, email: str | None
    ) -> None:
        self._upsert(team_id, user_id, "google", self._encrypt(credentials_json), email, "primary")

    def save_microsoft(
        self, team_id: str, user_id: str, token_cache: str, email: str | None
    ) -> None:
        self._upsert(team_id, user_id, "microsoft", self._encrypt(token_cache), email, None)

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
        blob = json.dumps(
            {"url": url, "username": username, "password": password, "calendar": calendar}
        )
        self._upsert(team_id, user_id, "caldav", self._encrypt(blob), email, calendar)

    def choose_email_only(self, team_id: str, user_id: str) -> None:
        self._upsert(team_id, user_id, EMAIL_ONLY, None, None, None)

    def disconnect(self, team_id: str, user_id: str) -> bool:
        """Forget the connection and its secrets (the provider-side grant stays until the
        user removes it there)."""
        with write_session(self._sessions) as session:
            result = session.execute(
                delete(CalendarConnectionModel).where(
                    CalendarConnectionModel.team_id == team_id,
                    CalendarConnectionModel.slack_user_id == user_id,
                )
            )
        self._cache.clear()
        return bool(getattr(result, "rowcount", 0))

    # ------------------------------------------------------------------ OAuth flows

    def use_link(self, nonce: str, expires_at: datetime, now: datetime) -> bool:
        """Record that the sign-in link with `nonce` was opened; False when it already was
        (a second opening, or a race between two: exactly one wins the primary key)."""
        if not nonce or len(nonce) > 64:
            return False
        try:
            with write_session(self._sessions) as session:
                session.execute(
                    delete(SigninLinkUseModel).where(SigninLinkUseModel.expires_at < now)
                )
                session.add(SigninLinkUseModel(nonce=nonce, expires_at=expires_at))
        except IntegrityError:
            return False
        return True

    def start_flow(
        self,
        state: str,
        team_id: str,
        user_id: str,
        provider: str,
        flow: dict[str, Any],
        expires_at: datetime,
        browser_hash: str | None = None,
    ) -> None:
        blob = self._encrypt(json.dumps(flow))
        assert blob is not None
        with write_session(self._sessions) as session:
            session.execute(delete(OAuthFlowModel).where(OAuthFlowModel.expires_at < utcnow()))
            session.add(
                OAuthFlowModel(
                    state=state,
                    team_id=team_id,
                    slack_user_id=user_id,
                    provider=provider,
                    flow=blob,
                    expires_at=expires_at,
                    browser_hash=browser_hash,
                )
            )

    def take_flow(self, state: str, provider: str, now: datetime) -> PendingFlow | None:
        """The flow for `state`, once: the row is deleted whether it was still valid or not."""
        if not state or len(state) > 255:
            return None
        with write_session(self._sessions) as session:
            row = session.get(OAuthFlowModel, state)
            if row is None:
                return None
            session.delete(row)
            if row.provider != provider or row.expires_at < now:
                return None
            try:
                flow = json.loads(self._decrypt(row.flow) or "{}")
            except (SecretBoxError, CalendarAuthError, ValueError):
                return None
            return PendingFlow(row.team_id, row.slack_user_id, row.provider, flow, row.browser_hash)

    # ------------------------------------------------------------------ confirmations

    def park(
        self,
        team_id: str,
        user_id: str,
        provider: str,
        secret: str,
        email: str | None,
        expires_at: datetime,
    ) -> PendingConnection:
        """Keep a signed-in account (encrypted) until the Slack user confirms it; an older
        unanswered one for the same user is dropped, so only the latest can be confirmed."""
        if provider not in ("google", "microsoft"):
            raise ValueError(f"cannot park a {provider!r} connection")
        blob = self._encrypt(secret)
        assert blob is not None
        pending_id = secrets.token_urlsafe(24)
        with write_session(self._sessions) as session:
            session.execute(
                delete(PendingConnectionModel).where(
                    (PendingConnectionModel.expires_at < utcnow())
                    | (
                        (PendingConnectionModel.team_id == team_id)
                        & (PendingConnectionModel.slack_user_id == user_id)
                    )
                )
            )
            session.add(
                PendingConnectionModel(
                    id=pending_id,
                    team_id=team_id,
                    slack_user_id=user_id,
                    provider=provider,
                    email=email,
                    credentials=blob,
                    expires_at=expires_at,
                )
            )
        return PendingConnection(pending_id, team_id, user_id, provider, email)

    def confirm_pending(
        self, pending_id: str, team_id: str, user_id: str, now: datetime
    ) -> PendingConnection | None:
        """Save the parked account as the user's calendar; None (and nothing saved) unless
        the row exists, has not expired and belongs to exactly this team and user. Someone
        else's click leaves the row for its owner."""
        with write_session(self._sessions) as session:
            row = self._pending_row(session, pending_id, team_id, user_id)
            if row is None:
                return None
            session.delete(row)
            if row.expires_at < now:
                return None
            found = PendingConnection(
                row.id, row.team_id, row.slack_user_id, row.provider, row.email
            )
            credentials = row.credentials
        self._upsert(
            team_id,
            user_id,
            found.provider,
            credentials,
            found.email,
            "primary" if found.provider == "google" else None,
        )
        return found

    def cancel_pending(self, pending_id: str, team_id: str, user_id: str) -> bool:
        with write_session(self._sessions) as session:
            row = self._pending_row(session, pending_id, team_id, user_id)
            if row is None:
                return False
            session.delete(row)
            return True

    @staticmethod
    def _pending_row(
        session: Session, pending_id: str, team_id: str, user_id: str
    ) -> PendingConnectionModel | None:
        if not pending_id or len(pending_id) > 64:
            return None
        row = session.get(PendingConnectionModel, pending_id)
        if row is None or row.team_id != team_id or row.slack_user_id != user_id:
            return None
        return row

    # ------------------------------------------------------------------ details

    def _seen(self, team_id: str, user_id: str) -> _Seen | None:
        return self._cache.get((team_id, user_id), lambda: _Seen.of(self._row(team_id, user_id)))

    def _row(self, team_id: str, user_id: str) -> CalendarConnectionModel | None:
        with self._sessions() as session:
            return session.scalars(
                select(CalendarConnectionModel).where(
                    CalendarConnectionModel.team_id == team_id,
                    CalendarConnectionModel.slack_user_id == user_id,
                )
            ).first()

    def calendar_id(self, account_id: int) -> str | None:
        with self._sessions() as session:
            row = session.get(CalendarConnectionModel, account_id)
            return row.calendar_id if row else None

    def _encrypt(self, value: str | None) -> str | None:
        if value is None:
            return None
        if self._box is None:
            raise CalendarError(
                "SECRET_KEY is not set, so calendar credentials cannot be stored", transient=False
            )
        return self._box.encrypt(value)

    def _decrypt(self, value: str) -> str:
        if self._box is None:
            raise CalendarAuthError(
                "SECRET_KEY is not set, so stored calendar credentials cannot be read"
            )
        try:
            return self._box.decrypt(value) or ""
        except SecretBoxError as exc:
            raise CalendarAuthError(
                "stored calendar credentials cannot be decrypted (SECRET_KEY changed?)"
            ) from exc

    def secret(self, account_id: int) -> str:
        with self._sessions() as session:
            row = session.get(CalendarConnectionModel, account_id)
            stored = row.credentials if row is not None else None
        if not stored:
            raise CalendarAuthError("the calendar connection has no stored credentials")
        return self._decrypt(stored)

    def store_secret(self, account_id: int, value: str) -> None:
        """Refreshed tokens (Google) or a changed msal cache: the next job starts from them."""
        encrypted = self._encrypt(value)
        with write_session(self._sessions) as session:
            session.execute(
                update(CalendarConnectionModel)
                .where(CalendarConnectionModel.id == account_id)
                .values(credentials=encrypted, updated_at=utcnow())
            )

    def _upsert(
        self,
        team_id: str,
        user_id: str,
        provider: str,
        credentials: str | None,
        email: str | None,
        calendar_id: str | None,
    ) -> None:
        for attempt in range(2):  # two first saves at once: the loser updates the winner's row
            try:
                with write_session(self._sessions) as session:
                    row = session.scalars(
                        select(CalendarConnectionModel).where(
                            CalendarConnectionModel.team_id == team_id,
                            CalendarConnectionModel.slack_user_id == user_id,
                        )
                    ).first()
                    if row is None:
                        row = CalendarConnectionModel(team_id=team_id, slack_user_id=user_id)
                        session.add(row)
                    row.provider = provider
                    row.credentials = credentials
                    row.email = email
                    row.calendar_id = calendar_id
                    row.status = "active"
                    row.sync_enabled = True
                    row.sync_state = None
                    row.updated_at = utcnow()
                self._cache.clear()
                return
            except IntegrityError:
                if attempt:
                    raise
