"""A workspace's CRM connection (HubSpot): the token, encrypted with SECRET_KEY like
the calendar secrets (storage.crypto), and where its record sync stands.

One row a workspace: connecting again replaces the token and keeps the sync cursor,
so a rotated token does not start the mirror over.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from handlers.connect_crm import CrmConnection
from storage.crypto import SecretBox
from storage.db import Sessions, write_session
from storage.models import Base, UTCDateTime


class CrmConnectionModel(Base):
    __tablename__ = "crm_connections"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    token: Mapped[str] = mapped_column(Text)  # SecretBox ciphertext, never clear text
    connected_by: Mapped[str] = mapped_column(String(32))
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # the incremental pull starts here (None: no full pull finished yet)
    synced_up_to: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SqlCrmConnections:
    def __init__(self, sessions: Sessions, box: SecretBox | None) -> None:
        self._sessions = sessions
        self._box = box

    def can_store_secrets(self) -> bool:
        return self._box is not None

    def save(self, team_id: str, provider: str, token: str, user_id: str, now: datetime) -> None:
        if self._box is None:
            raise RuntimeError("SECRET_KEY is required to store a CRM token")
        sealed = self._box.encrypt(token) or ""
        with write_session(self._sessions) as session:
            row = session.get(CrmConnectionModel, team_id)
            if row is None:
                row = CrmConnectionModel(team_id=team_id)
                session.add(row)
            row.provider, row.token, row.connected_by, row.connected_at = (
                provider,
                sealed,
                user_id,
                now,
            )

    def get(self, team_id: str) -> CrmConnection | None:
        with self._sessions() as session:
            row = session.get(CrmConnectionModel, team_id)
            if row is None:
                return None
            return CrmConnection(
                row.team_id, row.provider, row.connected_by, row.connected_at, row.synced_up_to
            )

    def connected(self) -> list[CrmConnection]:
        """Every workspace's connection (the worker's incremental syncs)."""
        with self._sessions() as session:
            return [
                CrmConnection(r.team_id, r.provider, r.connected_by, r.connected_at, r.synced_up_to)
                for r in session.query(CrmConnectionModel).order_by(CrmConnectionModel.team_id)
            ]

    def set_synced_up_to(self, team_id: str, at: datetime) -> None:
        with write_session(self._sessions) as session:
            row = session.get(CrmConnectionModel, team_id)
            if row is not None:
                row.synced_up_to = at

    def token(self, team_id: str) -> str | None:
        """The clear token, for the adapter only (never logged, never shown)."""
        if self._box is None:
            return None
        with self._sessions() as session:
            row = session.get(CrmConnectionModel, team_id)
            return None if row is None else self._box.decrypt(row.token)


if TYPE_CHECKING:  # mypy proves the port is implemented; nothing runs
    from handlers.connect_crm import CrmConnections
    from handlers.crm_sync import SyncState

    def _implements(repo: SqlCrmConnections) -> tuple[CrmConnections, SyncState]:
        return repo, repo
