"""Tables for connected calendars and the OAuth flows that connect them.

Kept apart from `storage.models` (same `Base`, same naming convention) so the calendar
feature can evolve without touching the core schema. Secrets never reach these columns in
clear text: `credentials` and `flow` hold `SecretBox` ciphertext (SECRET_KEY), so a
database dump alone does not hand out anybody's calendar.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, JSONType, UTCDateTime, utcnow

# provider values: the three calendars, plus "email" for a user who chose email-only
# invitations (no credentials; recorded so the App Home stops offering to connect).
PROVIDERS = ("google", "microsoft", "caldav", "email")
STATUSES = ("active", "revoked")


class CalendarConnectionModel(Base):
    """One Slack user's calendar (one per user: connecting another replaces it)."""

    __tablename__ = "calendar_connections"
    __table_args__ = (UniqueConstraint("team_id", "slack_user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32))
    slack_user_id: Mapped[str] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(16))
    # Encrypted: Google `Credentials.to_json()`, the msal token cache blob, or CalDAV
    # {"url", "username", "password", "calendar"} as JSON. NULL for "email".
    credentials: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(320))
    calendar_id: Mapped[str | None] = mapped_column(String(1024))
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    sync_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Google {"sync_token"}, Graph {"delta_link", "window_end"}, CalDAV {"ctag"}.
    sync_state: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class OAuthFlowModel(Base):
    """A started OAuth sign-in: the one-time `state` and what the callback needs.

    The PKCE code_verifier (Google) or msal's flow dict (Microsoft) stays server-side so
    the browser only ever carries the opaque state; a row is deleted when used.
    """

    __tablename__ = "calendar_oauth_flows"
    __table_args__ = (Index("ix_calendar_oauth_flows_expires_at", "expires_at"),)

    state: Mapped[str] = mapped_column(String(255), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    slack_user_id: Mapped[str] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(16))
    flow: Mapped[str] = mapped_column(Text)  # encrypted JSON
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # SHA-256 of the random cookie set in the browser that opened the sign-in link: the
    # callback must come from that browser. NULL only for rows made before 0004.
    browser_hash: Mapped[str | None] = mapped_column(String(64))


class SigninLinkUseModel(Base):
    """A sign-in link's nonce, recorded when the link is first opened: a second opening
    finds it and is refused. Kept until the link would have expired anyway."""

    __tablename__ = "calendar_signin_links"
    __table_args__ = (Index("ix_calendar_signin_links_expires_at", "expires_at"),)

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PendingConnectionModel(Base):
    """A finished sign-in whose account email differs from the Slack user's (or is
    unknown): the tokens wait here, encrypted, until that Slack user confirms in Slack."""

    __tablename__ = "calendar_pending_connections"
    __table_args__ = (
        Index("ix_calendar_pending_connections_expires_at", "expires_at"),
        Index("ix_calendar_pending_connections_team_id_slack_user_id", "team_id", "slack_user_id"),
    )

    id: Mapped[str] = mapped_column(
        String(64), primary_key=True
    )  # random, sent in the Connect button
    team_id: Mapped[str] = mapped_column(String(32))
    slack_user_id: Mapped[str] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(320))
    credentials: Mapped[str] = mapped_column(Text)  # encrypted, as calendar_connections.credentials
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


__all__ = [
    "PROVIDERS",
    "STATUSES",
    "CalendarConnectionModel",
    "OAuthFlowModel",
    "PendingConnectionModel",
    "SigninLinkUseModel",
]
