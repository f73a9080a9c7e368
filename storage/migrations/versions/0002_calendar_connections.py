"""Calendar connections (Google, Microsoft 365, CalDAV, or email-only) and the one-time
OAuth flows that create them.

Written by hand and kept equal to storage/calendar_models.py (tests compare the two).

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-15
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _ts(name: str, nullable: bool = False) -> sa.Column:
    # Naive UTC; storage.models.UTCDateTime converts at the boundary.
    return sa.Column(name, sa.DateTime(timezone=False), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "calendar_connections",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("slack_user_id", sa.String(32), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("credentials", sa.Text(), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("calendar_id", sa.String(1024), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("sync_enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("sync_state", JSON, nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_calendar_connections"),
        sa.UniqueConstraint(
            "team_id", "slack_user_id", name="uq_calendar_connections_team_id_slack_user_id"
        ),
    )
    op.create_table(
        "calendar_oauth_flows",
        sa.Column("state", sa.String(255), nullable=False),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("slack_user_id", sa.String(32), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("flow", sa.Text(), nullable=False),
        _ts("expires_at"),
        sa.PrimaryKeyConstraint("state", name="pk_calendar_oauth_flows"),
    )
    op.create_index("ix_calendar_oauth_flows_expires_at", "calendar_oauth_flows", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_calendar_oauth_flows_expires_at", table_name="calendar_oauth_flows")
    op.drop_table("calendar_oauth_flows")
    op.drop_table("calendar_connections")
