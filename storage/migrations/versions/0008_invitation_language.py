"""The language a meeting's contacts read, as chosen in the /meet form.

Revision ID: 0008_invitation_language
Revises: 0007_meeting_crm_log
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_invitation_language"
down_revision: str | None = "0007_meeting_crm_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meetings") as batch:
        batch.add_column(sa.Column("invitation_language", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("meetings") as batch:
        batch.drop_column("invitation_language")
