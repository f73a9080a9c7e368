"""Slack user profiles as cached by Meetline (handlers.ports.UserRepository)."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, bindparam, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handlers.domain import UserProfile
from storage.db import Sessions, write_session
from storage.models import UserModel
from storage.read_cache import ReadCache, forget
from storage.record_tables import autocommit_driver, driver_rows


def _to_profile(row: Any) -> UserProfile:
    """A profile from the ORM's row, or from psycopg's (whose times come naive: UTC)."""
    refreshed: datetime | None = row.refreshed_at
    if refreshed is not None and refreshed.tzinfo is None:
        refreshed = refreshed.replace(tzinfo=UTC)
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
        refreshed_at=refreshed,
        extra=dict(row.extra or {}),
        is_manager=bool(row.is_manager),
    )


def _escaped(query: str) -> str:
    return query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search_statement() -> Any:
    """The teammates picker's read, built once: names or emails starting with :like, or a
    name with a word starting with it (:word)."""
    u = UserModel.__table__.c
    like: Any = bindparam("like")
    return (
        select(UserModel.__table__)
        .where(
            u.team_id == bindparam("team"),
            or_(
                func.lower(u.name).like(like, escape="\\"),
                func.lower(u.email).like(like, escape="\\"),
                func.lower(u.name).like(bindparam("word"), escape="\\"),
            ),
        )
        .order_by(u.name)
        .limit(bindparam("limit"))
    )


_SEARCH = _search_statement()


class SqlUserRepository:
    def __init__(
        self,
        session_factory: Sessions,
        cache: ReadCache[tuple[str, str], UserProfile | None] | None = None,
    ) -> None:
        self._sessions = session_factory
        self._cache = cache
        # PostgreSQL outside a unit of work: the picker's search on a pooled connection in
        # autocommit, without an ORM session (its BEGIN and ROLLBACK round trips and the
        # statement built per call were 2 ms of each attendee options load).
        bind = getattr(session_factory, "kw", {}).get("bind")
        self._pg_reads: Engine | None = (
            bind if isinstance(bind, Engine) and bind.dialect.name == "postgresql" else None
        )

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
        like = _escaped(query.strip().lower()) + "%"
        params = {"team": team_id, "like": like, "word": "% " + like, "limit": limit * 2}
        if self._pg_reads is not None:
            with autocommit_driver(self._pg_reads) as driver:
                found = driver_rows(driver, self._pg_reads.dialect, _SEARCH, params)
        else:
            with self._sessions() as session:
                found = list(session.connection().execute(_SEARCH, params))
        rows = [_to_profile(r) for r in found]
        return [p for p in rows if not p.extra.get("deleted") and not p.extra.get("is_bot")][:limit]
