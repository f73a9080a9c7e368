"""HubSpot's owners as the last sync matched them to Slack users (for the admin's
settings).

Written by hand and kept equal to storage/crm_connections.py (tests compare the two).

Revision ID: 0010_crm_owners
Revises: 0009_crm_account
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010_crm_owners"
down_revision: str | None = "0009_crm_account"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("crm_connections") as batch:
        batch.add_column(sa.Column("owners", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crm_connections") as batch:
        batch.drop_column("owners")
