"""Deadline history: each event that sets a problem's deadline (dispatch, rework, extension,
the office's correction, a notice's common deadline) records the deadline it set.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("issue_events", sa.Column("deadline", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("issue_events", "deadline")
