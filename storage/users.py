"""Slack user profiles as cached by Meetline (handlers.ports.UserRepository)."""

from __future__ import annotations

import zlib

from sqlalchemy import func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handlers.domain import UserProfile
from storage.db import Sessions, write_session
from storage.models import UserModel
from storage.read_cache import ReadCache, forget


def _to_profile(row: UserModel) -> UserProfile:
    return UserProfile(
        team_id=row.team_id,
        slack_user_id=row.slack_user_id,
        name=row.name or "",
        email=row.email,
        timezone=row.timezone or "UTC",
        locale=row.locale or "en-US",
        seat=row.seat or "none",
        is_admin=bool(row.is_admin),
        is_sandbox=bool(row.is_sandbox),
        refreshed_at=row.refreshed_at,
        extra=dict(row.extra or {}),
        is_manager=bool(row.is_manager),
    )


class SqlUserRepository:
    def __init__(
        self,
        session_factory: Sessions,
        cache: ReadCache[tuple[str, str], UserProfile | None] | None = None,
    ) -> None:
        self._sessions = session_factory
        self._cache = cache

    def get(self, team_id: str, slack_user_id: str) -> UserProfile | None:
        if self._cache is None:
            return self._read(team_id, slack_user_id)
        return self._cache.get((team_id, slack_user_id), lambda: self._read(team_id, slack_user_id))

    def _read(self, team_id: str, slack_user_id: str) -> UserProfile | None:
        with self._sessions() as session:
            row = session.scalars(
                select(UserModel).where(
                    UserModel.team_id == team_id, UserModel.slack_user_id == slack_user_id
                )
            ).first()
            return _to_profile(row) if row else None

    def save(self, profile: UserProfile) -> None:
        for _ in range(2):  # a concurrent first save of the same user: update theirs
            try:
                with write_session(self._sessions) as session:
                    self._write(session, profile)
                forget(self._sessions, self._cache, (profile.team_id, profile.slack_user_id))
                return
            except IntegrityError:
                continue

    @staticmethod
    def _write(session: Session, profile: UserProfile) -> None:
        row = session.scalars(
            select(UserModel).where(
                UserModel.team_id == profile.team_id,
                UserModel.slack_user_id == profile.slack_user_id,
            )
        ).first()
        if row is None:
            row = UserModel(team_id=profile.team_id, slack_user_id=profile.slack_user_id)
            session.add(row)
        row.name = profile.name[:200]
        row.email = profile.email
        row.timezone = profile.timezone
        row.locale = profile.locale
        row.seat = profile.seat
        row.is_admin = profile.is_admin
        row.is_sandbox = profile.is_sandbox
        row.is_manager = profile.is_manager
        row.refreshed_at = profile.refreshed_at
        row.extra = dict(profile.extra)

    def teams(self) -> list[str]:
        with self._sessions() as session:
            return list(
                session.scalars(select(UserModel.team_id).distinct().order_by(UserModel.team_id))
            )

    def list_users(self, team_id: str | None = None) -> list[UserProfile]:
        query = select(UserModel).order_by(UserModel.team_id, UserModel.name)
        if team_id:
            query = query.where(UserModel.team_id == team_id)
        with self._sessions() as session:
            return [_to_profile(r) for r in session.scalars(query)]

    def has_admin(self, team_id: str) -> bool:
        with self._sessions() as session:
            return (
                session.scalars(
                    select(UserModel.id)
                    .where(UserModel.team_id == team_id, UserModel.is_admin.is_(True))
                    .limit(1)
                ).first()
                is not None
            )

    def claim_first_admin(self, team_id: str, slack_user_id: str) -> bool:
        """Make the user admin only if the workspace has no admin yet; True when they became
        it. One transaction (and on PostgreSQL a per-workspace lock), so two people
        finishing an install at once do not both become the "first" installer."""
        with write_session(self._sessions) as session:
            if session.get_bind().dialect.name == "postgresql":
                key = zlib.crc32(f"meetline-first-admin:{team_id}".encode())
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            if session.scalars(
                select(UserModel.id)
                .where(UserModel.team_id == team_id, UserModel.is_admin.is_(True))
                .limit(1)
            ).first():
                return False
            row = session.scalars(
                select(UserModel).where(
                    UserModel.team_id == team_id, UserModel.slack_user_id == slack_user_id
                )
            ).first()
            if row is None:
                row = UserModel(team_id=team_id, slack_user_id=slack_user_id, extra={})
                session.add(row)
            row.is_admin = True
        forget(self._sessions, self._cache, (team_id, slack_user_id))
        return True

    def search(self, team_id: str, query: str, limit: int = 20) -> list[UserProfile]:
        """Teammates whose name or email starts with the query (case-insensitive)."""
        q = query.strip().lower()
        stmt = select(UserModel).where(UserModel.team_id == team_id)
        if q:
            like = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            stmt = stmt.where(
                or_(
                    func.lower(UserModel.name).like(like, escape="\\"),
                    func.lower(UserModel.email).like(like, escape="\\"),
                    func.lower(UserModel.name).like("% " + like, escape="\\"),
                )
            )
        stmt = stmt.order_by(UserModel.name).limit(limit * 2)
        with self._sessions() as session:
            rows = [_to_profile(r) for r in session.scalars(stmt)]
        return [p for p in rows if not p.extra.get("deleted") and not p.extra.get("is_bot")][:limit]
