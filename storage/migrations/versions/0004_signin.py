"""Calendar sign-in hardening: the browser a flow started in, used sign-in links, and
connections waiting for the Slack user's confirmation.

Written by hand and kept equal to storage/calendar_models.py (tests compare the two).

Revision ID: 0004_signin
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_signin"
down_revision: str | None = "0003_roles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    # Naive UTC; storage.models.UTCDateTime converts at the boundary.
    return sa.Column(name, sa.DateTime(timezone=False), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("calendar_oauth_flows") as batch:
        batch.add_column(sa.Column("browser_hash", sa.String(64), nullable=True))
    op.create_table(
        "calendar_signin_links",
        sa.Column("nonce", sa.String(64), nullable=False),
        _ts("expires_at"),
        sa.PrimaryKeyConstraint("nonce", name="pk_calendar_signin_links"),
    )
    op.create_index("ix_calendar_signin_links_expires_at", "calendar_signin_links", ["expires_at"])
    op.create_table(
        "calendar_pending_connections",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("slack_user_id", sa.String(32), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("credentials", sa.Text(), nullable=False),
        _ts("expires_at"),
        sa.PrimaryKeyConstraint("id", name="pk_calendar_pending_connections"),
    )
    op.create_index(
        "ix_calendar_pending_connections_expires_at", "calendar_pending_connections", ["expires_at"]
    )
    op.create_index(
        "ix_calendar_pending_connections_team_id_slack_user_id",
        "calendar_pending_connections",
        ["team_id", "slack_user_id"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_calendar_pending_connections_team_id_slack_user_id",
        table_name="calendar_pending_connections",
    )
    op.drop_index(
        "ix_calendar_pending_connections_expires_at", table_name="calendar_pending_connections"
    )
    op.drop_table("calendar_pending_connections")
    op.drop_index("ix_calendar_signin_links_expires_at", table_name="calendar_signin_links")
    op.drop_table("calendar_signin_links")
    with op.batch_alter_table("calendar_oauth_flows") as batch:
        batch.drop_column("browser_hash")
