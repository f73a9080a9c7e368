"""The HubSpot account of a workspace's connection (portal id and UI host), for links
to its records from Slack.

Written by hand and kept equal to storage/crm_connections.py (tests compare the two).

Revision ID: 0009_crm_account
Revises: 0008_invitation_language
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_crm_account"
down_revision: str | None = "0008_invitation_language"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("crm_connections") as batch:
        batch.add_column(sa.Column("portal_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("ui_domain", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crm_connections") as batch:
        batch.drop_column("ui_domain")
        batch.drop_column("portal_id")
