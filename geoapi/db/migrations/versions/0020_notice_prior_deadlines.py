"""The deadline each problem had when its notice was issued: the notice moves earlier ones to
its own, and the printed notice still says how late the problem already was (原限期).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 05:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "notice_issues", sa.Column("prior_deadline", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("notice_issues", "prior_deadline")
