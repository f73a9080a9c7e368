"""Where each meeting is logged in the workspace's CRM (a HubSpot engagement id).

Written by hand and kept equal to storage/crm_connections.py (tests compare the two).

Revision ID: 0007_meeting_crm_log
Revises: 0006_crm
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_meeting_crm_log"
down_revision: str | None = "0006_crm"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meeting_crm_log",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("log_id", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name="fk_meeting_crm_log_meeting_id_meetings",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("meeting_id", name="pk_meeting_crm_log"),
    )


def downgrade() -> None:
    op.drop_table("meeting_crm_log")
