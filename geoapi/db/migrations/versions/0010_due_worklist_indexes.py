"""Indexes the due worklist reads in order: per category, inspected points by their last visit
and never-inspected points by code (points with a cycle of their own apart).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_points_due_inspected",
        "points",
        ["category", "last_inspected_at", "code"],
        postgresql_where=sa.text("cycle_days IS NULL AND last_inspected_at IS NOT NULL"),
    )
    op.create_index(
        "ix_points_due_never_inspected",
        "points",
        ["category", "code"],
        postgresql_where=sa.text("cycle_days IS NULL AND last_inspected_at IS NULL"),
    )
    op.create_index(
        "ix_points_own_cycle", "points", ["id"], postgresql_where=sa.text("cycle_days IS NOT NULL")
    )
    op.create_index("ix_points_last_inspected_at", "points", ["last_inspected_at"])


def downgrade() -> None:
    for index in (
        "ix_points_last_inspected_at",
        "ix_points_own_cycle",
        "ix_points_due_never_inspected",
        "ix_points_due_inspected",
    ):
        op.drop_index(index, table_name="points")
