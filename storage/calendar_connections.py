"""Connected calendars: stored encrypted, and turned into the right adapter on demand.

`SqlCalendarDirectory` is the one place that knows how a stored connection becomes a
`CalendarPort` (Google credentials JSON, an msal token cache, CalDAV credentials) and how
refreshed tokens get written back, so use cases only ever see ports. It also keeps the
one-time OAuth flows (`state` → PKCE verifier or msal flow) for `bot.calendar_oauth`.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from adapters.calendar_changes import CalDavCalendarSync, GoogleCalendarSync, GraphCalendarSync
from adapters.graph_calendar import GRAPH_URL, MsalTokenProvider
from adapters.http_retry import RetryPolicy, Sleep
from adapters.outbound import OutboundPolicy
from adapters.zoom import ZOOM_API_URL, ZOOM_OAUTH_URL, ZoomConferencing
from handlers.calendar_booking import CalendarAccount
from handlers.calendars import CalendarAuthError, CalendarError, CalendarPort
from handlers.ports import CalendarConnectionInfo
from storage.calendar_models import (
    CalendarConnectionModel,
    OAuthFlowModel,
    PendingConnectionModel,
    SigninLinkUseModel,
)
from storage.crypto import SecretBox, SecretBoxError
from storage.db import write_session
from storage.models import utcnow

log = logging.getLogger(__name__)

CALENDAR_PROVIDERS = ("google", "microsoft", "caldav")
EMAIL_ONLY = "email"
SENDS_INVITATIONS = {"google": True, "microsoft": True, "caldav": False}
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
GOOGLE_AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
INTERACTIVE_POLICY = RetryPolicy(max_attempts=1)


@dataclass(frozen=True)
class CalendarConfig:
    """What building adapters needs from the settings (plus test seams: the msal HTTP
    client, the retry policy and the sleep the adapters use between retries)."""

    google_client_id: str | None = None
    google_client_secret: str | None = None
    google_api_url: str | None = None  # a fake's root in tests; moves the OAuth endpoints too
    ms_client_id: str | None = None
    ms_client_secret: str | None = None
    ms_tenant_id: str = "common"
    graph_api_url: str | None = None
    msal_http_client: Any = None
    zoom_account_id: str | None = None
    zoom_client_id: str | None = None
    zoom_client_secret: str | None = None
    zoom_api_url: str | None = None
    policy: RetryPolicy | None = None
    sleep: Sleep = time.sleep
    timeout: float = 30.0
    interactive_timeout: float = 3.0
    # What user-typed CalDAV URLs may reach (CALDAV_ALLOW_HOSTS); the probe and the worker
    # both build their adapter with it.
    outbound: OutboundPolicy = field(default_factory=OutboundPolicy)

    @property
    def google_token_uri(self) -> str:
        return f"{self.google_api_url.rstrip('/')}/token" if self.google_api_url else GOOGLE_TOKEN_URI

    @property
    def google_auth_uri(self) -> str:
        return f"{self.google_api_url.rstrip('/')}/o/oauth2/auth" if self.google_api_url else GOOGLE_AUTH_URI

    @property
    def google_ready(self) -> bool:
        return bool(self.google_client_id and self.google_client_secret)

    @property
    def microsoft_ready(self) -> bool:
        return bool(self.ms_client_id and self.ms_client_secret)

    @property
    def zoom_ready(self) -> bool:
        return bool(self.zoom_account_id and self.zoom_client_id and self.zoom_client_secret)


@dataclass(frozen=True)
class ConnectionStatus:
    """A user's choice as the App Home shows it (email-only included)."""

    provider: str  # google | microsoft | caldav | email
    email: str | None
    active: bool
    calendar_id: str | None = None


@dataclass(frozen=True)
class PendingFlow:
    team_id: str
    user_id: str
    provider: str
    flow: dict[str, Any]
    browser_hash: str | None = None  # what the callback's cookie must hash to


@dataclass(frozen=True)
class PendingConnection:
    """A signed-in account waiting for the Slack user's "Connect …?" answer."""

    id: str
    team_id: str
    user_id: str
    provider: str
    email: str | None


def _account(row: CalendarConnectionModel) -> CalendarAccount:
    return CalendarAccount(
        id=row.id, team_id=row.team_id, user_id=row.slack_user_id, provider=row.provider, email=row.email,
        active=row.status == "active", sync_enabled=bool(row.sync_enabled),
        sync_state=dict(row.sync_state) if row.sync_state else None,
    )


class SqlCalendarDirectory:
    """handlers.ports.CalendarDirectory and handlers.calendar_booking.CalendarAccounts."""

    def __init__(self, sessions: sessionmaker[Session], box: SecretBox | None,
                 config: CalendarConfig | None = None) -> None:
        self._sessions = sessions
        self._box = box
        self.config = config or CalendarConfig()

    @property
    def can_store_secrets(self) -> bool:
        return self._box is not None

    # ------------------------------------------------------------------ CalendarDirectory

    def connection_for(self, team_id: str, user_id: str) -> CalendarConnectionInfo | None:
        row = self._row(team_id, user_id)
        if row is None or row.provider not in CALENDAR_PROVIDERS:
            return None
        return CalendarConnectionInfo(
            provider=row.provider, sends_invitations=SENDS_INVITATIONS[row.provider], email=row.email,
            sync_enabled=bool(row.sync_enabled), active=row.status == "active",
        )

    def zoom_available(self) -> bool:
        return self.config.zoom_ready

    def conferencing(self) -> ZoomConferencing | None:
        cfg = self.config
        if not cfg.zoom_ready:
            return None
        assert cfg.zoom_account_id and cfg.zoom_client_id and cfg.zoom_client_secret
        api_url, oauth_url = ZOOM_API_URL, ZOOM_OAUTH_URL
        if cfg.zoom_api_url:
            # A stand-in (tests, a proxy) serves the token endpoint next to the API.
            api_url = cfg.zoom_api_url.rstrip("/")
            parts = urlsplit(api_url)
            oauth_url = f"{parts.scheme}://{parts.netloc}/oauth/token"
        return ZoomConferencing(cfg.zoom_account_id, cfg.zoom_client_id, cfg.zoom_client_secret,
                                api_url=api_url, oauth_url=oauth_url, sleep=cfg.sleep, policy=cfg.policy,
                                timeout=cfg.timeout)

    # ------------------------------------------------------------------ CalendarAccounts

    def account(self, team_id: str, user_id: str) -> CalendarAccount | None:
        row = self._row(team_id, user_id)
        return _account(row) if row is not None and row.provider in CALENDAR_PROVIDERS else None

    def account_by_id(self, account_id: int) -> CalendarAccount | None:
        with self._sessions() as session:
            row = session.get(CalendarConnectionModel, account_id)
            return _account(row) if row is not None and row.provider in CALENDAR_PROVIDERS else None

    def syncable(self) -> list[CalendarAccount]:
        with self._sessions() as session:
            rows = session.scalars(select(CalendarConnectionModel).where(
                CalendarConnectionModel.status == "active", CalendarConnectionModel.sync_enabled.is_(True),
                CalendarConnectionModel.provider.in_(CALENDAR_PROVIDERS)).order_by(CalendarConnectionModel.id))
            return [_account(r) for r in rows]

    def mark_revoked(self, account_id: int) -> bool:
        with write_session(self._sessions) as session:
            result = session.execute(
                update(CalendarConnectionModel)
                .where(CalendarConnectionModel.id == account_id, CalendarConnectionModel.status == "active")
                .values(status="revoked", updated_at=utcnow()))
            return bool(getattr(result, "rowcount", 0))

    def save_sync_state(self, account_id: int, state: dict[str, Any] | None) -> None:
        with write_session(self._sessions) as session:
            session.execute(update(CalendarConnectionModel).where(CalendarConnectionModel.id == account_id)
                            .values(sync_state=state))

    def calendar(self, account: CalendarAccount, *, interactive: bool = False) -> CalendarPort:
        cfg = self.config
        policy = INTERACTIVE_POLICY if interactive else cfg.policy
        timeout = cfg.interactive_timeout if interactive else cfg.timeout
        secret = self._secret(account.id)
        if account.provider == "google":
            if not cfg.google_ready:
                raise CalendarError("Google Calendar is not configured (GOOGLE_CLIENT_ID/SECRET)", transient=False)
            return GoogleCalendarSync.from_authorized_user_info(
                secret, calendar_id=self._calendar_id(account.id) or "primary", api_url=cfg.google_api_url,
                token_uri=cfg.google_token_uri, policy=policy, sleep=cfg.sleep, timeout=timeout,
                on_credentials_changed=lambda blob: self._store_secret(account.id, blob),
            )
        if account.provider == "microsoft":
            if not cfg.microsoft_ready:
                raise CalendarError("Microsoft 365 is not configured (MS_CLIENT_ID/SECRET)", transient=False)
            assert cfg.ms_client_id and cfg.ms_client_secret
            tokens = MsalTokenProvider(
                cfg.ms_client_id, cfg.ms_client_secret, tenant_id=cfg.ms_tenant_id or "common",
                username=account.email, load_cache=lambda: self._secret(account.id),
                save_cache=lambda blob: self._store_secret(account.id, blob), http_client=cfg.msal_http_client,
            )
            return GraphCalendarSync(tokens, api_url=cfg.graph_api_url or GRAPH_URL, sleep=cfg.sleep,
                                     policy=policy, timeout=timeout)
        if account.provider == "caldav":
            data = json.loads(secret)
            return CalDavCalendarSync(str(data["url"]), str(data["username"]), str(data["password"]),
                                      data.get("calendar") or None, email=account.email, timeout=timeout,
                                      policy=cfg.outbound)
        raise CalendarError(f"unknown calendar provider {account.provider!r}", transient=False)

    # ------------------------------------------------------------------ connecting

    def status(self, team_id: str, user_id: str) -> ConnectionStatus | None:
        row = self._row(team_id, user_id)
        if row is None:
            return None
        return ConnectionStatus(row.provider, row.email, row.status == "active", row.calendar_id)

    def save_google(self, team_id: str, user_id: str, credentials_json: str, email: str | None) -> None:
        self._upsert(team_id, user_id, "google", self._encrypt(credentials_json), email, "primary")

    def save_microsoft(self, team_id: str, user_id: str, token_cache: str, email: str | None) -> None:
        self._upsert(team_id, user_id, "microsoft", self._encrypt(token_cache), email, None)

    def save_caldav(self, team_id: str, user_id: str, *, url: str, username: str, password: str,
                    calendar: str | None, email: str | None) -> None:
        blob = json.dumps({"url": url, "username": username, "password": password, "calendar": calendar})
        self._upsert(team_id, user_id, "caldav", self._encrypt(blob), email, calendar)

    def choose_email_only(self, team_id: str, user_id: str) -> None:
        self._upsert(team_id, user_id, EMAIL_ONLY, None, None, None)

    def disconnect(self, team_id: str, user_id: str) -> bool:
        """Forget the connection and its secrets (the provider-side grant stays until the
        user removes it there)."""
        with write_session(self._sessions) as session:
            result = session.execute(delete(CalendarConnectionModel).where(
                CalendarConnectionModel.team_id == team_id, CalendarConnectionModel.slack_user_id == user_id))
            return bool(getattr(result, "rowcount", 0))

    def caldav_probe(self, url: str, username: str, password: str, calendar: str | None = None,
                     email: str | None = None) -> CalDavCalendarSync:
        """An adapter for credentials not saved yet, to check them first."""
        return CalDavCalendarSync(url, username, password, calendar, email=email,
                                  timeout=self.config.interactive_timeout, policy=self.config.outbound)

    # ------------------------------------------------------------------ OAuth flows

    def use_link(self, nonce: str, expires_at: datetime, now: datetime) -> bool:
        """Record that the sign-in link with `nonce` was opened; False when it already was
        (a second opening, or a race between two: exactly one wins the primary key)."""
        if not nonce or len(nonce) > 64:
            return False
        try:
            with write_session(self._sessions) as session:
                session.execute(delete(SigninLinkUseModel).where(SigninLinkUseModel.expires_at < now))
                session.add(SigninLinkUseModel(nonce=nonce, expires_at=expires_at))
        except IntegrityError:
            return False
        return True

    def start_flow(self, state: str, team_id: str, user_id: str, provider: str, flow: dict[str, Any],
                   expires_at: datetime, browser_hash: str | None = None) -> None:
        blob = self._encrypt(json.dumps(flow))
        assert blob is not None
        with write_session(self._sessions) as session:
            session.execute(delete(OAuthFlowModel).where(OAuthFlowModel.expires_at < utcnow()))
            session.add(OAuthFlowModel(state=state, team_id=team_id, slack_user_id=user_id, provider=provider,
                                       flow=blob, expires_at=expires_at, browser_hash=browser_hash))

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

    def park(self, team_id: str, user_id: str, provider: str, secret: str, email: str | None,
             expires_at: datetime) -> PendingConnection:
        """Keep a signed-in account (encrypted) until the Slack user confirms it; an older
        unanswered one for the same user is dropped, so only the latest can be confirmed."""
        if provider not in ("google", "microsoft"):
            raise ValueError(f"cannot park a {provider!r} connection")
        blob = self._encrypt(secret)
        assert blob is not None
        pending_id = secrets.token_urlsafe(24)
        with write_session(self._sessions) as session:
            session.execute(delete(PendingConnectionModel).where(
                (PendingConnectionModel.expires_at < utcnow())
                | ((PendingConnectionModel.team_id == team_id) & (PendingConnectionModel.slack_user_id == user_id))))
            session.add(PendingConnectionModel(id=pending_id, team_id=team_id, slack_user_id=user_id,
                                               provider=provider, email=email, credentials=blob,
                                               expires_at=expires_at))
        return PendingConnection(pending_id, team_id, user_id, provider, email)

    def confirm_pending(self, pending_id: str, team_id: str, user_id: str, now: datetime) -> PendingConnection | None:
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
            found = PendingConnection(row.id, row.team_id, row.slack_user_id, row.provider, row.email)
            credentials = row.credentials
        self._upsert(team_id, user_id, found.provider, credentials, found.email,
                     "primary" if found.provider == "google" else None)
        return found

    def cancel_pending(self, pending_id: str, team_id: str, user_id: str) -> bool:
        with write_session(self._sessions) as session:
            row = self._pending_row(session, pending_id, team_id, user_id)
            if row is None:
                return False
            session.delete(row)
            return True

    @staticmethod
    def _pending_row(session: Session, pending_id: str, team_id: str, user_id: str) -> PendingConnectionModel | None:
        if not pending_id or len(pending_id) > 64:
            return None
        row = session.get(PendingConnectionModel, pending_id)
        if row is None or row.team_id != team_id or row.slack_user_id != user_id:
            return None
        return row

    # ------------------------------------------------------------------ details

    def _row(self, team_id: str, user_id: str) -> CalendarConnectionModel | None:
        with self._sessions() as session:
            return session.scalars(select(CalendarConnectionModel).where(
                CalendarConnectionModel.team_id == team_id,
                CalendarConnectionModel.slack_user_id == user_id)).first()

    def _calendar_id(self, account_id: int) -> str | None:
        with self._sessions() as session:
            row = session.get(CalendarConnectionModel, account_id)
            return row.calendar_id if row else None

    def _encrypt(self, value: str | None) -> str | None:
        if value is None:
            return None
        if self._box is None:
            raise CalendarError("SECRET_KEY is not set, so calendar credentials cannot be stored", transient=False)
        return self._box.encrypt(value)

    def _decrypt(self, value: str) -> str:
        if self._box is None:
            raise CalendarAuthError("SECRET_KEY is not set, so stored calendar credentials cannot be read")
        try:
            return self._box.decrypt(value) or ""
        except SecretBoxError as exc:
            raise CalendarAuthError("stored calendar credentials cannot be decrypted (SECRET_KEY changed?)") from exc

    def _secret(self, account_id: int) -> str:
        with self._sessions() as session:
            row = session.get(CalendarConnectionModel, account_id)
            stored = row.credentials if row is not None else None
        if not stored:
            raise CalendarAuthError("the calendar connection has no stored credentials")
        return self._decrypt(stored)

    def _store_secret(self, account_id: int, value: str) -> None:
        """Refreshed tokens (Google) or a changed msal cache: the next job starts from them."""
        encrypted = self._encrypt(value)
        with write_session(self._sessions) as session:
            session.execute(update(CalendarConnectionModel).where(CalendarConnectionModel.id == account_id)
                            .values(credentials=encrypted, updated_at=utcnow()))

    def _upsert(self, team_id: str, user_id: str, provider: str, credentials: str | None, email: str | None,
                calendar_id: str | None) -> None:
        for attempt in range(2):  # two first saves at once: the loser updates the winner's row
            try:
                with write_session(self._sessions) as session:
                    row = session.scalars(select(CalendarConnectionModel).where(
                        CalendarConnectionModel.team_id == team_id,
                        CalendarConnectionModel.slack_user_id == user_id)).first()
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
                return
            except IntegrityError:
                if attempt:
                    raise

