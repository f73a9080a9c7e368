"""Idempotency keys for Slack deliveries (event ids, submissions) under a unique key."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storage.db import Sessions, write_session


def remember_event(sessions: Sessions, key: str) -> bool:
    """True the first time `key` is seen; False for every repeat, across processes."""
    try:
        with write_session(sessions) as session:
            session.execute(
                text("INSERT INTO processed_events (key, created_at) VALUES (:k, :t)"),
                {"k": key[:255], "t": datetime.now(UTC).replace(tzinfo=None)},
            )
    except IntegrityError:  # seen before: the insert was rolled back
        return False
    return True
