"""Points carry a version, so concurrent edits through the API are detected.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("points", sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    op.create_check_constraint(op.f("ck_points_version_positive"), "points", "version >= 1")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_points_version_positive"), "points", type_="check")
    op.drop_column("points", "version")
