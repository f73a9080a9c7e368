"""Meetings keep their calendar event's page (Google's htmlLink, Microsoft's webLink), so
the CRM's copy of a meeting links to the event in the host's calendar.

Written by hand and kept equal to storage/models.py (tests compare the two).

Revision ID: 0012_calendar_event_url
Revises: 0011_recent_by_kind
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_calendar_event_url"
down_revision: str | None = "0011_recent_by_kind"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("meetings", sa.Column("calendar_event_url", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("meetings", "calendar_event_url")
