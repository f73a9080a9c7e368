"""A workspace's CRM connection (HubSpot): the token, encrypted with SECRET_KEY like
the calendar secrets (storage.crypto), and where its record sync stands.

One row a workspace: connecting again replaces the token and keeps the sync cursor,
so a rotated token does not start the mirror over.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from handlers.connect_crm import CrmAccount, CrmConnection
from storage.crypto import SecretBox
from storage.db import Sessions, write_session
from storage.models import Base, JSONType, UTCDateTime


class CrmConnectionModel(Base):
    __tablename__ = "crm_connections"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    token: Mapped[str] = mapped_column(Text)  # SecretBox ciphertext, never clear text
    connected_by: Mapped[str] = mapped_column(String(32))
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # the incremental pull starts here (None: no full pull finished yet)
    synced_up_to: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    portal_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    ui_domain: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # [[email, slack user id or null], ...] as the last sync matched them
    owners: Mapped[list[Any] | None] = mapped_column(JSONType, nullable=True)


def _connection(row: CrmConnectionModel) -> CrmConnection:
    return CrmConnection(
        row.team_id,
        row.provider,
        row.connected_by,
        row.connected_at,
        row.synced_up_to,
        row.portal_id,
        row.ui_domain,
        tuple((str(o[0]), o[1] if isinstance(o[1], str) else None) for o in row.owners or ()),
    )


class MeetingCrmLogModel(Base):
    """Where a meeting is logged in the workspace's CRM: the engagement's id, or
    `pending:<job id>` while the job that claimed its creation runs."""

    __tablename__ = "meeting_crm_log"

    meeting_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[str] = mapped_column(String(32))
    log_id: Mapped[str] = mapped_column(String(64))


class SqlCrmLogIds:
    """handlers.crm_log.CrmLogIds: one creator per meeting, by an insert that only the
    first caller wins (ON CONFLICT DO NOTHING), whatever the number of workers."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    def claim(self, team_id: str, meeting_id: int, marker: str) -> str | None:
        with write_session(self._sessions) as session:
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            session.execute(
                insert(MeetingCrmLogModel)
                .values(meeting_id=meeting_id, team_id=team_id, log_id=marker)
                .on_conflict_do_nothing(index_elements=["meeting_id"])
            )
            return session.scalar(
                select(MeetingCrmLogModel.log_id).where(
                    MeetingCrmLogModel.meeting_id == meeting_id,
                    MeetingCrmLogModel.team_id == team_id,
                )
            )

    def store(self, team_id: str, meeting_id: int, log_id: str) -> None:
        with write_session(self._sessions) as session:
            row = session.get(MeetingCrmLogModel, meeting_id)
            if row is not None and row.team_id == team_id:
                row.log_id = log_id

    def get(self, team_id: str, meeting_id: int) -> str | None:
        with self._sessions() as session:
            return session.scalar(
                select(MeetingCrmLogModel.log_id).where(
                    MeetingCrmLogModel.meeting_id == meeting_id,
                    MeetingCrmLogModel.team_id == team_id,
                )
            )


class SqlCrmConnections:
    def __init__(
        self, sessions: Sessions, box: SecretBox | None, cache_seconds: float = 30.0
    ) -> None:
        self._sessions = sessions
        self._box = box
        self._cache_seconds = cache_seconds
        self._known: dict[str, tuple[bool, float]] = {}

    def is_connected(self, team_id: str) -> bool:
        """Whether the workspace logs meetings in a CRM: asked on every Save, so cached
        for `cache_seconds` (a connection made in this process is seen at once)."""
        now = time.monotonic()
        known = self._known.get(team_id)
        if known is not None and known[1] > now:
            return known[0]
        with self._sessions() as session:
            found = session.get(CrmConnectionModel, team_id) is not None
        self._known[team_id] = (found, now + self._cache_seconds)
        return found

    def can_store_secrets(self) -> bool:
        return self._box is not None

    def save(
        self,
        team_id: str,
        provider: str,
        token: str,
        user_id: str,
        now: datetime,
        account: CrmAccount | None = None,
    ) -> None:
        if self._box is None:
            raise RuntimeError("SECRET_KEY is required to store a CRM token")
        sealed = self._box.encrypt(token) or ""
        with write_session(self._sessions) as session:
            row = session.get(CrmConnectionModel, team_id)
            if row is None:
                row = CrmConnectionModel(team_id=team_id)
                session.add(row)
            self._known.pop(team_id, None)
            row.provider, row.token, row.connected_by, row.connected_at = (
                provider,
                sealed,
                user_id,
                now,
            )
            row.portal_id = account.portal_id if account else None
            row.ui_domain = account.ui_domain if account else None

    def get(self, team_id: str) -> CrmConnection | None:
        with self._sessions() as session:
            row = session.get(CrmConnectionModel, team_id)
            if row is None:
                return None
            return _connection(row)

    def connected(self) -> list[CrmConnection]:
        """Every workspace's connection (the worker's incremental syncs)."""
        with self._sessions() as session:
            return [
                _connection(r)
                for r in session.query(CrmConnectionModel).order_by(CrmConnectionModel.team_id)
            ]

    def set_synced_up_to(self, team_id: str, at: datetime) -> None:
        with write_session(self._sessions) as session:
            row = session.get(CrmConnectionModel, team_id)
            if row is not None:
                row.synced_up_to = at

    def set_owners(self, team_id: str, owners: Sequence[tuple[str, str | None]]) -> None:
        with write_session(self._sessions) as session:
            row = session.get(CrmConnectionModel, team_id)
            if row is not None:
                row.owners = [[email, user] for email, user in owners]

    def token(self, team_id: str) -> str | None:
        """The clear token, for the adapter only (never logged, never shown)."""
        if self._box is None:
            return None
        with self._sessions() as session:
            row = session.get(CrmConnectionModel, team_id)
            return None if row is None else self._box.decrypt(row.token)


if TYPE_CHECKING:  # mypy proves the port is implemented; nothing runs
    from handlers.connect_crm import CrmConnections
    from handlers.crm_log import CrmLogIds
    from handlers.crm_sync import SyncState

    def _implements(
        repo: SqlCrmConnections, ids: SqlCrmLogIds
    ) -> tuple[CrmConnections, SyncState, CrmLogIds]:
        return repo, repo, ids
