"""Idempotency keys for Slack deliveries (event ids, submissions) under a unique key."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storage.db import IMMEDIATE


def remember_event(sessions: sessionmaker[Session], key: str) -> bool:
    """True the first time `key` is seen; False for every repeat, across processes."""
    with sessions() as session:
        session.connection(execution_options=IMMEDIATE)
        try:
            session.execute(
                text("INSERT INTO processed_events (key, created_at) VALUES (:k, :t)"),
                {"k": key[:255], "t": datetime.now(UTC).replace(tzinfo=None)},
            )
            session.commit()
        except IntegrityError:
            session.rollback()
            return False
    return True
