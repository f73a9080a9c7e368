"""The host's outcome DMs of each meeting (channel and ts), so an outcome recorded from
the Edit form updates them as a click on their buttons does.

Written by hand and kept equal to storage/models.py (tests compare the two).

Revision ID: 0013_outcome_messages
Revises: 0012_calendar_event_url
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_outcome_messages"
down_revision: str | None = "0012_calendar_event_url"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outcome_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name="fk_outcome_messages_meeting_id_meetings",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_outcome_messages"),
    )
    op.create_index("ix_outcome_messages_meeting_id", "outcome_messages", ["meeting_id"])


def downgrade() -> None:
    op.drop_index("ix_outcome_messages_meeting_id", table_name="outcome_messages")
    op.drop_table("outcome_messages")
